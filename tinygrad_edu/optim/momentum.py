"""The lecture's three update rules: gradient descent, momentum, and Nesterov momentum.

Each optimizer moves every parameter p against its gradient g = ∇f(p) (``p.grad``, from
``loss.backward()`` or set by hand), one ``step()`` at a time, with the learning rate η
and the momentum γ written as the slides write them. Everything else (parameter groups,
``zero_grad``, checks, state dicts) is the base class's, in ``optimizer.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..arguments import check_fraction, check_nonnegative
from ..grad_mode import enable_grad
from .optimizer import Optimizer, Params, state_array


class GD(Optimizer):
    """Gradient descent, the slides' first update rule:

        p ← p − η·g

    Equals ``Momentum`` with momentum 0 and ``SGD(params, lr)`` (momentum 0):
    the same iterates, bit for bit.
    """

    def __init__(self, params: Params, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    def _update(self, p, grad, group, state):
        p.data -= group["lr"] * grad


class Momentum(Optimizer):
    """Gradient descent with momentum, as the slides write it (the velocity v starts at 0):

        v ← γ·v + η·g
        p ← p − v

    Equals PyTorch's ``SGD(params, lr=η, momentum=γ)`` while η is constant: that
    keeps b ← γ·b + g and steps p ← p − η·b, so v = η·b. (The two round
    differently, so they agree to rounding error, not bit for bit.) State: ``'velocity'``.
    """

    _OPTIONS = {"lr": check_nonnegative, "momentum": check_fraction}
    _STATE_NAMES = frozenset({"velocity"})

    def __init__(self, params: Params, lr: float, momentum: float) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def _state_names(self, group):
        return {"velocity"}

    def _update(self, p, grad, group, state):
        velocity = state_array(p, state, "velocity")
        velocity *= group["momentum"]
        velocity += group["lr"] * grad
        p.data -= velocity


class Nesterov(Momentum):
    """Nesterov momentum, as the slides write it: the gradient is taken at the look-ahead point.

        v ← γ·v − η·∇f(p + γ·v)
        p ← p + v

    ``step(closure)`` moves every parameter to its look-ahead point p + γv,
    calls the closure there (it computes the loss and its gradient), moves the
    parameters back and then updates them. State: ``'velocity'``.

    Equals PyTorch's ``SGD(params, lr=η, momentum=γ, nesterov=True)``, which
    keeps the look-ahead point itself: its iterate is this one's p + γ·v at
    every step, so it needs no closure.
    """

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Evaluate ``closure`` at the look-ahead points p + γv, then update; return its loss."""
        if closure is None:
            raise RuntimeError("Nesterov.step: the gradient must be taken at the look-ahead point p + γv, "
                               "so step needs a closure that computes the loss there and calls backward(): "
                               "optimizer.step(closure)")
        saved = [(p, p.data.copy(), p.data + group["momentum"] * self.state.get(p, {}).get("velocity", 0.0))
                 for group in self.param_groups for p in group["params"]]
        for p, _, ahead in saved:
            _write(p, ahead)
        try:
            with enable_grad():
                loss = closure()
        finally:
            for p, data, _ in saved:
                _write(p, data)  # restored exactly, not by subtracting γv again
        self._update_all()
        return loss

    def _update(self, p, grad, group, state):
        velocity = state_array(p, state, "velocity")
        velocity *= group["momentum"]
        velocity -= group["lr"] * grad
        p.data += velocity


def _write(p, data) -> None:
    """Write new numbers into ``p.data`` in place and count the change, as PyTorch's in-place update does."""
    p.data[...] = data
    p._version += 1
