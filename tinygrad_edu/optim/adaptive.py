"""The adaptive optimizers, PyTorch's: Adagrad, RMSprop, Adam and AdamW.

Each divides a coordinate's step by a running measure of that coordinate's gradients, so that
steep and flat directions move at similar speeds. Each is PyTorch's, exactly: its update equations
are in its docstring, as the code computes them, with a link to PyTorch's page.
"""

from __future__ import annotations

import numpy as np

from ..arguments import check_flag, check_fractions, check_nonnegative
from ..value import Value
from .optimizer import Optimizer, Params, direction, state_array


class Adagrad(Optimizer):
    """Adagrad, PyTorch's ``torch.optim.Adagrad``: each coordinate's step shrinks with its summed squared gradients.

    Each step t = 1, 2, …, for each parameter p with gradient g (lr γ, lr_decay η, weight_decay λ)::

        g ← −g with maximize;  g ← g + λ·p
        sum ← sum + g²                       (sum starts at initial_accumulator_value)
        p ← p − γ / (1 + (t − 1)·η) · g / (√sum + ε)

    PyTorch's page, with its algorithm: https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html

    Defaults as PyTorch's: lr 1e-2, lr_decay 0, weight_decay 0,
    initial_accumulator_value 0, eps 1e-10. State ``'step'`` and ``'sum'``,
    made for every parameter when the optimizer is built, as PyTorch does. As in PyTorch 2.13,
    every sum starts at the constructor's ``initial_accumulator_value``: a param group's
    own is kept in the group, but no sum starts from it.
    """

    _OPTIONS = {"lr": check_nonnegative, "lr_decay": check_nonnegative, "weight_decay": check_nonnegative,
                "initial_accumulator_value": check_nonnegative, "eps": check_nonnegative, "maximize": check_flag}
    _STATE_NAMES = frozenset({"step", "sum"})

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                  "maximize": maximize})
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0.0, "sum": self._initial_sum(p)}

    def _state_names(self, group):
        return {"step", "sum"}

    def _initial_sum(self, p: Value) -> np.ndarray:
        return np.full_like(p.data, self.defaults["initial_accumulator_value"])

    def _update(self, p, grad, group, state):
        step = state.get("step", 0.0) + 1
        grad = direction(p, grad, group)
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        if "sum" not in state:
            state["sum"] = self._initial_sum(p)
        total = state["sum"]
        total += grad * grad  # addcmul_(g, g, value=1)
        state["step"] = step
        p.data -= lr * grad / (np.sqrt(total) + group["eps"])


class RMSprop(Optimizer):
    """RMSprop, PyTorch's ``torch.optim.RMSprop``: divide by a running root mean square of the gradient.

    Each step, for each parameter p with gradient g (lr γ, alpha α, momentum μ, weight_decay λ)::

        g ← −g with maximize;  g ← g + λ·p
        v ← α·v + (1 − α)·g²                                    (square_avg)
        ṽ = v − ḡ² with ḡ ← α·ḡ + (1 − α)·g if centered, else v   (grad_avg ḡ)
        b ← μ·b + g / (√ṽ + ε);  p ← p − γ·b     if μ > 0       (momentum_buffer b)
        p ← p − γ·g / (√ṽ + ε)                   otherwise

    PyTorch's page, with its algorithm: https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html

    The square root is taken before ε is added (TensorFlow swaps the two).
    Defaults as PyTorch's: lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0,
    momentum 0, centered False. State ``'step'``, ``'square_avg'``, and
    ``'momentum_buffer'`` when μ > 0, ``'grad_avg'`` when centered.
    """

    _OPTIONS = {"lr": check_nonnegative, "alpha": check_nonnegative, "eps": check_nonnegative,
                "weight_decay": check_nonnegative, "momentum": check_nonnegative, "centered": check_flag,
                "maximize": check_flag}
    _STATE_NAMES = frozenset({"step", "square_avg", "momentum_buffer", "grad_avg"})

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay, "maximize": maximize})

    def _state_names(self, group):
        return ({"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] > 0 else set())
                | ({"grad_avg"} if group["centered"] else set()))

    def _update(self, p, grad, group, state):
        alpha = group["alpha"]
        grad = direction(p, grad, group)
        state["step"] = state.get("step", 0.0) + 1
        square_avg = state_array(p, state, "square_avg")
        _mean_square_(square_avg, grad, alpha)
        if group["centered"]:  # ṽ = v − (g_ave)², the gradient's variance
            grad_avg = state_array(p, state, "grad_avg")
            _lerp_(grad_avg, grad, 1 - alpha)
            square_avg = square_avg - grad_avg * grad_avg
        avg = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:  # b ← μb + g/(√ṽ + ε), p ← p − γb
            buffer = state_array(p, state, "momentum_buffer")
            buffer *= group["momentum"]
            buffer += grad / avg
            p.data -= group["lr"] * buffer
        else:
            p.data -= group["lr"] * grad / avg


class Adam(Optimizer):
    """Adam, PyTorch's ``torch.optim.Adam``: momentum divided by a running root mean square, bias-corrected.

    Each step t = 1, 2, …, for each parameter p with gradient g (lr γ, betas β₁, β₂, weight_decay λ)::

        g ← −g with maximize
        g ← g + λ·p, or p ← p·(1 − γ·λ) with decoupled_weight_decay
        m ← β₁·m + (1 − β₁)·g                          (exp_avg)
        v ← β₂·v + (1 − β₂)·g²                         (exp_avg_sq; with amsgrad, the largest v so far)
        p ← p − γ / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    that is, p ← p − γ·m̂ / (√v̂ + ε) with the bias-corrected m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).
    PyTorch's page, with its algorithm: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html

    Defaults as PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0,
    amsgrad False. State ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'``, and
    ``'max_exp_avg_sq'`` with amsgrad. ``decoupled_weight_decay=True`` is ``AdamW``.
    """

    _OPTIONS = {"lr": check_nonnegative, "betas": check_fractions, "eps": check_nonnegative,
                "weight_decay": check_nonnegative, "amsgrad": check_flag, "maximize": check_flag,
                "decoupled_weight_decay": check_flag}
    _STATE_NAMES = frozenset({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _state_names(self, group):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _update(self, p, grad, group, state):
        (beta1, beta2), lr = group["betas"], group["lr"]
        step = state["step"] = state.get("step", 0.0) + 1
        if not group["decoupled_weight_decay"]:
            grad = direction(p, grad, group)
        else:  # decay the weights, not the gradient
            grad = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                p.data *= 1 - lr * group["weight_decay"]
        exp_avg = state_array(p, state, "exp_avg")
        _lerp_(exp_avg, grad, 1 - beta1)
        square_avg = state_array(p, state, "exp_avg_sq")
        _mean_square_(square_avg, grad, beta2)
        if group["amsgrad"]:  # divide by the largest v so far
            largest = state_array(p, state, "max_exp_avg_sq")
            np.maximum(largest, square_avg, out=largest)
            square_avg = largest
        # γ m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), grouped as PyTorch groups it
        step_size = lr / (1 - beta1**step)
        denominator = np.sqrt(square_avg) / (1 - beta2**step) ** 0.5 + group["eps"]
        p.data -= step_size * exp_avg / denominator


class AdamW(Adam):
    """AdamW, PyTorch's ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights, not the gradient.

    Each step, before Adam's (see ``Adam``)::

        p ← p·(1 − γ·λ)

    PyTorch's page, with its algorithm: https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html

    Defaults as PyTorch's: Adam's, but weight_decay 1e-2. In PyTorch 2.13,
    AdamW is Adam with ``decoupled_weight_decay=True``; so it is here, and
    that option must stay True (for the coupled rule use ``Adam``).
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def _check(self, group):
        super()._check(group)
        if not group["decoupled_weight_decay"]:
            raise ValueError("AdamW: decoupled_weight_decay must be True (AdamW decouples weight decay; "
                             "for L2 weight decay in the gradient use Adam)")


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start ← start + weight·(end − start) in place, computed as PyTorch's ``lerp_`` does (from the nearer end)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _mean_square_(average: np.ndarray, grad: np.ndarray, decay: float) -> None:
    """average ← decay·average + (1 − decay)·g² in place: ``average.mul_(decay).addcmul_(g, g, value=1 − decay)``."""
    average *= decay
    average += (1 - decay) * grad * grad
