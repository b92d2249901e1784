"""PyTorch's SGD: gradient descent with momentum, dampening, Nesterov's look-ahead and weight decay.

With its options it is each of the lecture's rules (``momentum.py``), as PyTorch writes them.
"""

from __future__ import annotations

import numpy as np

from ..arguments import check_flag, check_fraction, check_nonnegative
from .optimizer import Optimizer, Params, direction


class SGD(Optimizer):
    """Stochastic gradient descent exactly as PyTorch's ``torch.optim.SGD``. Each step, for each
    parameter p with gradient g (momentum μ, dampening τ, weight_decay λ, lr η)::

        g ← g + λ·p
        b ← g at the first step, else μ·b + (1 − τ)·g        (only when μ ≠ 0)
        g ← g + μ·b with nesterov, else b                    (only when μ ≠ 0)
        p ← p − η·g

    PyTorch's page, with its algorithm: https://pytorch.org/docs/stable/generated/torch.optim.SGD.html

    The first momentum buffer is the raw gradient (dampening applies from the
    second step on). State: ``'momentum_buffer'``, only when μ ≠ 0.

    With μ = 0 it is ``GD``; with μ = γ it is the slides' ``Momentum`` (v = η b);
    with ``nesterov=True`` its iterate is the slides' ``Nesterov`` look-ahead
    point p + γv. Nesterov needs μ > 0 and τ = 0.
    """

    _OPTIONS = {"lr": check_nonnegative, "momentum": check_fraction, "dampening": check_nonnegative,
                "nesterov": check_flag, "weight_decay": check_nonnegative}
    _STATE_NAMES = frozenset({"momentum_buffer"})

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:  # PyTorch's order
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _check(self, group):
        super()._check(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _state_names(self, group):
        return {"momentum_buffer"} if group["momentum"] != 0 else set()

    def _update(self, p, grad, group, state):
        momentum = group["momentum"]
        grad = direction(p, grad, group)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, dtype=p.dtype)  # a copy, not p.grad
            else:  # PyTorch's buf.mul_(μ).add_(g, alpha=1 − τ)
                buffer *= momentum
                buffer += grad if group["dampening"] == 0 else (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        p.data -= group["lr"] * grad
