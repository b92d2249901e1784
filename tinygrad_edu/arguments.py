"""Argument checks: each names the function and the argument, and runs before anything is changed.

Bad input gets a clear error that says what was expected; the engine, ``nn`` and ``optim``
check their arguments with these, so that the same mistake gets the same words everywhere.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """An int or numpy integer, not a bool (which Python counts as an int)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """A real number (int, float, numpy number), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_flag(function: str, name: str, flag: Any) -> None:
    if not isinstance(flag, (bool, np.bool_)):
        raise TypeError(f"{function}: {name} must be True or False, got {type(flag).__name__} {flag!r:.80}")


def check_real(function: str, name: str, value: Any) -> float:
    if not is_real(value):
        raise TypeError(f"{function}: {name} must be a real number, got {type(value).__name__} {value!r:.80}")
    return value


def check_nonnegative(function: str, name: str, value: Any) -> None:
    """A finite number >= 0 (a rate, a weight decay, an epsilon)."""
    if not (math.isfinite(check_real(function, name, value)) and value >= 0):
        raise ValueError(f"{function}: invalid {name}={value}; it must be a finite number >= 0")


def check_fraction(function: str, name: str, value: Any) -> None:
    """A number in [0, 1): a decay factor below 1 forgets the past geometrically."""
    if not 0.0 <= check_real(function, name, value) < 1.0:
        raise ValueError(f"{function}: invalid {name}={value}; it must be in [0, 1)")


def check_fractions(function: str, name: str, value: Any) -> None:
    """Two decay factors (Adam's β₁, β₂), each in [0, 1)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{function}: {name} must be a pair (beta1, beta2), got {value!r}")
    for index, beta in enumerate(value):
        check_fraction(function, f"{name}[{index}]", beta)


def check_dim(function: str, name: str, dim: Any, ndim: int | None = None) -> None:
    """``dim`` an int, and if ``ndim`` is given, one of its axes (-ndim to ndim - 1; a 0-d Value has 0 and -1)."""
    if not is_int(dim):
        raise TypeError(f"{function}: {name} must be an int, got {dim!r:.80}")
    if ndim is not None and not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{function}: {name} = {dim} is out of range for a Value with {ndim} dimensions "
                         f"(expected {-max(ndim, 1)} to {max(ndim, 1) - 1})")


def check_axes(function: str, axis: Any) -> None:
    """A reduction's axis: None, an int, or a tuple (or list) of ints; ranges are checked by ops."""
    if axis is None or is_int(axis) or (isinstance(axis, (tuple, list)) and all(map(is_int, axis))):
        return
    raise TypeError(f"{function}: axis (dim) must be None, an int or a tuple of ints, got {axis!r:.80}")


def check_ints(function: str, name: str, values: tuple) -> None:
    if not all(map(is_int, values)):
        raise TypeError(f"{function}: {name} must be ints, got {values!r:.80}")


def number_dtype(function: str, dtype: Any) -> np.dtype:
    """``dtype`` as a numpy dtype of bools, integers or floats (None is not accepted here)."""
    if dtype is None:  # np.dtype(None) would quietly be float64
        raise TypeError(f"{function}: dtype must be a numpy dtype such as np.float32, got None")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{function}: dtype must be a numpy dtype such as np.float32, got {dtype!r:.80}") from None
    if dtype.kind not in "fiub":
        raise TypeError(f"{function}: dtype must be a bool, integer or floating-point type, got {dtype}")
    return dtype


def grad_array(function: str, grad: Any, dtype: np.dtype, argument: str = "grad") -> np.ndarray:
    """A gradient given by the user as ``argument`` (its numbers: a Value's data, an array or a number),
    as a new array of ``dtype``: it must be numbers."""
    array = np.asarray(grad)
    check_gradient_dtype(function, argument, array.dtype, grad)
    return np.array(array, dtype=dtype)


def check_gradient_dtype(function: str, argument: str, dtype: np.dtype, given: Any) -> None:
    """A gradient must be numbers (bool, integer or floating; cast to the Value's dtype, as PyTorch casts it)."""
    if dtype.kind not in "fiub":
        raise TypeError(f"{function}: {argument} must be numbers (a Value, an array or a number), "
                        f"got {type(given).__name__} {given!r:.80}")
