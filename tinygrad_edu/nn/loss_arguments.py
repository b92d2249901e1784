"""The losses' arguments, checked before anything is computed.

Each check turns what a user passed into what a loss computes with, or raises
a ValueError or TypeError that names the loss and the argument, so a failed
check changes nothing. ``apply_reduction`` applies the ``reduction`` argument
to a Value of per-element losses (``ops._reduce`` is the same reduction inside the
loss operations, on arrays). ``functional.py`` uses these; they are apart so
that ``nn.functional`` holds the names ``torch.nn.functional`` has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..arguments import is_int
from ..value import Value


def check_reduction(loss: str, reduction: str) -> None:
    if reduction not in ops.REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {', '.join(map(repr, ops.REDUCTIONS))}, "
                         f"got {reduction!r}")


def check_input(loss: str, input: Any) -> None:
    if not isinstance(input, Value) or input.dtype.kind != "f":
        kind = f"a Value of dtype {input.dtype}" if isinstance(input, Value) else type(input).__name__
        raise TypeError(f"{loss}: input must be a floating-point Value, got {kind}")


def as_target(loss: str, target: Any, dtype: Any = None) -> Value:
    """``target`` as a Value (a Value target is returned as it is, keeping its graph)."""
    if isinstance(target, Value):
        return target
    try:
        return Value(np.asarray(target), dtype=dtype)
    except (TypeError, ValueError):  # None, a string, a ragged list, …
        sequence = isinstance(target, (list, tuple))
        what = "a ragged or non-numeric sequence" if sequence else f"{type(target).__name__} {target!r}"
        raise TypeError(f"{loss}: target must be numbers (an array, a list or a Value), got {what}") from None


def check_ignore_index(loss: str, ignore_index: Any) -> None:
    if not is_int(ignore_index):
        raise TypeError(f"{loss}: ignore_index must be an int (a class index never to count, default -100), "
                        f"got {ignore_index!r}")


def check_class_weight(loss: str, weight: Any) -> np.ndarray | None:
    """``weight`` as None or a 1-D numpy array of real numbers (its length is checked against the input's classes)."""
    if weight is None:
        return None
    try:
        weight = np.asarray(weight.data if isinstance(weight, Value) else weight)
    except ValueError:  # a ragged list
        weight = np.array(None)
    if weight.dtype.kind not in "biuf" or weight.ndim != 1:
        raise ValueError(f"{loss}: weight must be None or one number per class, a 1-D array of shape (C,), "
                         f"got shape {weight.shape} and dtype {weight.dtype}")
    return weight


def same_shape_target(loss: str, input: Value, target: Any) -> Value:
    """``target`` as a Value of ``input``'s dtype and shape (a Value target keeps its graph)."""
    target = as_target(loss, target, input.dtype)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"{loss}: target shape {target.shape} differs from input shape {input.shape}; "
                         f"they must be equal")
    return target


def check_probabilities(loss: str, what: str, array: np.ndarray, hint: str = "") -> None:
    if array.size and not np.all((array >= 0) & (array <= 1)):  # written so that NaN fails too
        raise ValueError(f"{loss}: every {what} element must be in [0, 1], got values from "
                         f"{np.nanmin(array):.6g} to {np.nanmax(array):.6g}{hint}")


def apply_reduction(loss: Value, reduction: str) -> Value:
    """'mean' averages over every element, 'sum' adds them up, 'none' keeps one loss per element."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def class_weight(loss: str, input: Value, weight: Any) -> np.ndarray | None:
    """``weight`` as None or a numpy array of one weight per class, in ``input``'s dtype."""
    if weight is None:
        return None
    weight = check_class_weight(loss, weight)
    classes = input.shape[min(1, input.ndim - 1)] if input.ndim else 0
    if weight.shape != (classes,):
        raise ValueError(f"{loss}: weight must hold one number per class, shape ({classes},), "
                         f"got shape {weight.shape} and dtype {weight.dtype} for input of shape {input.shape}")
    return weight.astype(input.dtype)


def class_target(loss: str, input: Value, target: Any, ignore_index: int, probabilities: bool = True) -> Value:
    """The target as a Value: integer class indices of input's shape without the class axis, or
    (if ``probabilities``) floating class probabilities of input's shape (cast to input's dtype)."""
    if input.ndim == 0:
        raise ValueError(f"{loss}: input must hold scores over classes ((C,) or (N, C, …)), got a scalar")
    target = as_target(loss, target)
    class_axis = min(1, input.ndim - 1)
    classes, batch = input.shape[class_axis], input.shape[:class_axis] + input.shape[class_axis + 1:]
    if target.dtype.kind in "iu" and target.shape == batch:
        indices = target.data
        outside = (indices < 0) | (indices >= classes)
        # ignore_index is set aside only where something is outside (rare, but for ignore_index itself).
        bad = indices[outside & (indices != ignore_index)] if np.count_nonzero(outside) else ()
        if len(bad):
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
