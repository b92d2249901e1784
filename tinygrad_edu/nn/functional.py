"""The functions behind the layers and losses, as ``torch.nn.functional``.

Every loss here is built from operations in ``ops.py``, so its gradient comes
from their derivatives. Binary cross-entropy (of probabilities and of logits)
and the negative log-likelihood are operations of their own, reduction
included, as in PyTorch (so a loss prints ``grad_fn=<BinaryCrossEntropyBackward0>``,
``<BinaryCrossEntropyWithLogitsBackward0>`` or ``<NllLossBackward0>``). Each loss checks its
arguments before computing anything (``loss_arguments.py``), and a failed check raises without
changing anything.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..value import Value, apply
from .loss_arguments import (
    apply_reduction,
    check_ignore_index,
    check_input,
    check_probabilities,
    check_reduction,
    class_target,
    class_weight,
    same_shape_target,
)

# ---------------------------------------------------------------- activations and layers

def sigmoid(x: Value) -> Value:
    return x.sigmoid()


def relu(x: Value) -> Value:
    return x.relu()


def tanh(x: Value) -> Value:
    return x.tanh()


def softmax(x: Value, dim: int = -1) -> Value:
    return x.softmax(dim)


def log_softmax(x: Value, dim: int = -1) -> Value:
    return x.log_softmax(dim)


def linear(x: Value, weight: Value, bias: Value | None = None) -> Value:
    """x Wᵀ + b."""
    y = x @ weight.T
    return y if bias is None else y + bias


# ---------------------------------------------------------------- losses

def binary_cross_entropy(input: Value, target: Any, reduction: str = "mean") -> Value:
    """BCE of probabilities x against targets y: −(y ln x + (1 − y) ln(1 − x)), each ln clamped at −100.

    The derivative is (x − y) / (x(1 − x)); ``ops.BinaryCrossEntropy`` has the details.
    """
    check_reduction("BCELoss", reduction)
    check_input("BCELoss", input)
    target = same_shape_target("BCELoss", input, target)
    check_probabilities("BCELoss", "input", input.data, " (for logits use BCEWithLogitsLoss)")
    check_probabilities("BCELoss", "target", target.data)
    return apply(ops.BinaryCrossEntropy(reduction), input, target)


def binary_cross_entropy_with_logits(input: Value, target: Any, reduction: str = "mean") -> Value:
    """BCE of σ(x) against y, computed from the logit x without forming σ(x):
    (1 − y)·x + ln(1 + e⁻ˣ), exact for logits of ±1000. The derivative is σ(x) − y,
    finite even at x = ±∞; ``ops.BinaryCrossEntropyWithLogits`` has the details.
    """
    check_reduction("BCEWithLogitsLoss", reduction)
    check_input("BCEWithLogitsLoss", input)
    target = same_shape_target("BCEWithLogitsLoss", input, target)
    return apply(ops.BinaryCrossEntropyWithLogits(reduction), input, target)


def cross_entropy(input: Value, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean") -> Value:
    """Cross-entropy of logits against class indices or class probabilities.

    The classes are axis 1 of the logits, as in PyTorch ((N, C) or (N, C, d₁, …);
    a single sample is (C,)). With log pᵢ = log_softmax(x)ᵢ over the classes
    (stable for logits of ±1000): an index target c gives −w_c log p_c, which is
    ``nll_loss`` of log p; a probability target q gives −Σᵢ wᵢ qᵢ log pᵢ.
    Without ``weight`` every wᵢ is 1.
    """
    check_reduction("CrossEntropyLoss", reduction)
    check_ignore_index("CrossEntropyLoss", ignore_index)
    check_input("CrossEntropyLoss", input)
    weight = class_weight("CrossEntropyLoss", input, weight)
    target = class_target("CrossEntropyLoss", input, target, ignore_index)
    class_axis = min(1, input.ndim - 1)
    log_p = input.log_softmax(class_axis)
    if target.dtype.kind in "iu":
        return apply(ops.NllLoss(target.data, weight, ignore_index, reduction), log_p)
    if weight is not None:  # weight the classes: wᵢ qᵢ, with w along the class axis
        target = target * Value(weight.reshape((-1,) + (1,) * (input.ndim - 1 - class_axis)))
    return apply_reduction(-(target * log_p).sum(class_axis), reduction)


def nll_loss(input: Value, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Value:
    """Negative log-likelihood −w_c x_c of log-probabilities x (classes on axis 1) against class indices c."""
    check_reduction("NLLLoss", reduction)
    check_ignore_index("NLLLoss", ignore_index)
    check_input("NLLLoss", input)
    weight = class_weight("NLLLoss", input, weight)
    target = class_target("NLLLoss", input, target, ignore_index, probabilities=False)
    return apply(ops.NllLoss(target.data, weight, ignore_index, reduction), input)


def mse_loss(input: Value, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error: (x − y)², derivative 2(x − y).

    PyTorch only warns when the shapes differ and then broadcasts, which is
    almost always a bug (a (N, 1) prediction against a (N,) target gives N² terms);
    here it is a ValueError.
    """
    check_reduction("MSELoss", reduction)
    check_input("MSELoss", input)
    target = same_shape_target("MSELoss", input, target)
    difference = input - target
    return apply_reduction(difference * difference, reduction)
