"""The losses' arguments, checked before anything is computed.

Each check turns what a user passed into what a loss computes with, or raises
a ValueError or TypeError that names the loss and the argument, so a failed
check changes nothing. ``apply_reduction`` applies the ``reduction`` argument
to a Value of per-element losses (``ops._reduce`` is the same rule inside the
loss operations, on arrays). ``functional.py`` uses these; they are apart so
that ``nn.functional`` holds the names ``torch.nn.functional`` has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..value import Value


def check_reduction(loss: str, reduction: str) -> None:
    if reduction not in ops.REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {', '.join(map(repr, ops.REDUCTIONS))}, "
                         f"got {reduction!r}")


def check_input(loss: str, input: Any) -> None:
    if not isinstance(input, Value) or input.dtype.kind != "f":
        kind = f"a Value of dtype {input.dtype}" if isinstance(input, Value) else type(input).__name__
        raise TypeError(f"{loss}: input must be a floating-point Value, got {kind}")


def same_shape_target(loss: str, input: Value, target: Any) -> Value:
    """``target`` as a Value of ``input``'s dtype and shape (a Value target keeps its graph)."""
    if not isinstance(target, Value):
        target = Value(np.asarray(target), dtype=input.dtype)
    elif target.dtype != input.dtype:
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
    weight = np.asarray(weight.data if isinstance(weight, Value) else weight)
    classes = input.shape[min(1, input.ndim - 1)] if input.ndim else 0
    if weight.dtype.kind not in "fiu" or weight.shape != (classes,):
        raise ValueError(f"{loss}: weight must hold one number per class, shape ({classes},), "
                         f"got shape {weight.shape} and dtype {weight.dtype} for input of shape {input.shape}")
    return weight.astype(input.dtype)


def class_target(loss: str, input: Value, target: Any, ignore_index: int, probabilities: bool = True) -> Value:
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
