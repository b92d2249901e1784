"""The functions behind the layers and losses, as ``torch.nn.functional``.

Every loss here is built from operations in ``ops.py``, so its gradient comes
from their derivatives. Binary cross-entropy (of probabilities and of logits)
and the negative log-likelihood are operations of their own, reduction
included, as in PyTorch (so a loss prints ``grad_fn=<BinaryCrossEntropyBackward0>``,
``<BinaryCrossEntropyWithLogitsBackward0>`` or ``<NllLossBackward0>``). Each loss checks its arguments before
computing anything, and a failed check raises without changing anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..value import Value, apply

REDUCTIONS = ops.REDUCTIONS


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


# ---------------------------------------------------------------- argument checks

def check_reduction(loss: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")


def _check_input(loss: str, input: Any) -> None:
    if not isinstance(input, Value) or input.dtype.kind != "f":
        kind = f"a Value of dtype {input.dtype}" if isinstance(input, Value) else type(input).__name__
        raise TypeError(f"{loss}: input must be a floating-point Value, got {kind}")


def _same_shape_target(loss: str, input: Value, target: Any) -> Value:
    """``target`` as a Value of ``input``'s dtype and shape (a Value target keeps its graph)."""
    if not isinstance(target, Value):
        target = Value(np.asarray(target), dtype=input.dtype)
    elif target.dtype != input.dtype:
        target = target.to(input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"{loss}: target shape {target.shape} differs from input shape {input.shape}; "
                         f"they must be equal")
    return target


def _check_probabilities(loss: str, what: str, array: np.ndarray, hint: str = "") -> None:
    if array.size and not np.all((array >= 0) & (array <= 1)):  # written so that NaN fails too
        raise ValueError(f"{loss}: every {what} element must be in [0, 1], got values from "
                         f"{np.nanmin(array):.6g} to {np.nanmax(array):.6g}{hint}")


def _reduce(loss: Value, reduction: str) -> Value:
    """'mean' averages over every element, 'sum' adds them up, 'none' keeps one loss per element."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ---------------------------------------------------------------- losses

def binary_cross_entropy(input: Value, target: Any, reduction: str = "mean") -> Value:
    """BCE of probabilities x against targets y: −(y ln x + (1 − y) ln(1 − x)), each ln clamped at −100.

    The derivative is (x − y) / (x(1 − x)); ``ops.BinaryCrossEntropy`` has the details.
    """
    check_reduction("BCELoss", reduction)
    _check_input("BCELoss", input)
    target = _same_shape_target("BCELoss", input, target)
    _check_probabilities("BCELoss", "input", input.data, " (for logits use BCEWithLogitsLoss)")
    _check_probabilities("BCELoss", "target", target.data)
    return apply(ops.BinaryCrossEntropy(reduction), input, target)


def binary_cross_entropy_with_logits(input: Value, target: Any, reduction: str = "mean") -> Value:
    """BCE of σ(x) against y, computed from the logit x without forming σ(x):
    (1 − y)·x + ln(1 + e⁻ˣ), exact for logits of ±1000. The derivative is σ(x) − y,
    finite even at x = ±∞; ``ops.BinaryCrossEntropyWithLogits`` has the details.
    """
    check_reduction("BCEWithLogitsLoss", reduction)
    _check_input("BCEWithLogitsLoss", input)
    target = _same_shape_target("BCEWithLogitsLoss", input, target)
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
    _check_input("CrossEntropyLoss", input)
    weight = _class_weight("CrossEntropyLoss", input, weight)
    target = _class_target("CrossEntropyLoss", input, target, ignore_index)
    class_axis = min(1, input.ndim - 1)
    log_p = input.log_softmax(class_axis)
    if target.dtype.kind in "iu":
        return apply(ops.NllLoss(target.data, weight, ignore_index, reduction), log_p)
    if weight is not None:  # weight the classes: wᵢ qᵢ, with w along the class axis
        target = target * Value(weight.reshape((-1,) + (1,) * (input.ndim - 1 - class_axis)))
    return _reduce(-(target * log_p).sum(class_axis), reduction)


def nll_loss(input: Value, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Value:
    """Negative log-likelihood −w_c x_c of log-probabilities x (classes on axis 1) against class indices c."""
    check_reduction("NLLLoss", reduction)
    _check_input("NLLLoss", input)
    weight = _class_weight("NLLLoss", input, weight)
    target = _class_target("NLLLoss", input, target, ignore_index, probabilities=False)
    return apply(ops.NllLoss(target.data, weight, ignore_index, reduction), input)


def _class_weight(loss: str, input: Value, weight: Any) -> np.ndarray | None:
    """``weight`` as None or a numpy array of one weight per class, in ``input``'s dtype."""
    if weight is None:
        return None
    weight = np.asarray(weight.data if isinstance(weight, Value) else weight)
    classes = input.shape[min(1, input.ndim - 1)] if input.ndim else 0
    if weight.dtype.kind not in "fiu" or weight.shape != (classes,):
        raise ValueError(f"{loss}: weight must hold one number per class, shape ({classes},), "
                         f"got shape {weight.shape} and dtype {weight.dtype} for input of shape {input.shape}")
    return weight.astype(input.dtype)


def _class_target(loss: str, input: Value, target: Any, ignore_index: int, probabilities: bool = True) -> Value:
    """The target as a Value: integer class indices of input's shape without the class axis, or
    (if ``probabilities``) floating class probabilities of input's shape (cast to input's dtype)."""
    if input.ndim == 0:
        raise ValueError(f"{loss}: input must hold scores over classes ((C,) or (N, C, …)), got a scalar")
    if not isinstance(target, Value):
        target = Value(np.asarray(target))
    class_axis = min(1, input.ndim - 1)
    classes, batch = input.shape[class_axis], input.shape[:class_axis] + input.shape[class_axis + 1:]
    if target.dtype.kind in "iu" and target.shape == batch:
        indices = target.data
        bad = indices[((indices < 0) | (indices >= classes)) & (indices != ignore_index)]
        if bad.size:
            raise IndexError(f"{loss}: target class index {bad.reshape(-1)[0]} is out of range "
                             f"for {classes} classes (valid: 0 to {classes - 1})")
        return target
    if probabilities and target.dtype.kind == "f" and target.shape == input.shape:
        return target if target.dtype == input.dtype else target.to(input.dtype)
    fits = f"fits neither class indices (integers of shape {batch})"
    fits += f" nor class probabilities (floats of shape {input.shape})" if probabilities else ""
    scores = "logits" if probabilities else "log-probabilities"
    raise ValueError(f"{loss}: a target of shape {target.shape} and dtype {target.dtype} {fits} "
                     f"for {scores} of shape {input.shape} and dtype {input.dtype}")


def mse_loss(input: Value, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error: (x − y)², derivative 2(x − y).

    PyTorch only warns when the shapes differ and then broadcasts, which is
    almost always a bug (a (N, 1) prediction against a (N,) target gives N² terms);
    here it is a ValueError.
    """
    check_reduction("MSELoss", reduction)
    _check_input("MSELoss", input)
    target = _same_shape_target("MSELoss", input, target)
    difference = input - target
    return _reduce(difference * difference, reduction)
