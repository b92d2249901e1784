"""Ways to make new leaf Values: filled, random, ranges, and the random seed.

All random numbers come from one numpy Generator, so ``manual_seed(n)`` makes
every later draw (``rand``, ``randn``, the layers' initial weights) repeatable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .value import Value

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind every random draw in tinygrad_edu, as ``torch.manual_seed``."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The numpy Generator that ``rand``, ``randn`` and layer initialisation draw from."""
    return _generator


def _shape(shape: tuple) -> tuple:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean shape (2, 3), as in PyTorch."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _leaf(data: np.ndarray, dtype: Any, requires_grad: bool) -> Value:
    return Value(data, requires_grad=requires_grad, dtype=np.float32 if dtype is None else dtype)


def zeros(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    return _leaf(np.zeros(_shape(shape)), dtype, requires_grad)


def ones(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    return _leaf(np.ones(_shape(shape)), dtype, requires_grad)


def rand(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Uniform on [0, 1)."""
    return _leaf(_generator.random(_shape(shape)), dtype, requires_grad)


def randn(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Standard normal."""
    return _leaf(_generator.standard_normal(_shape(shape)), dtype, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Value:
    """``start, start + step, …`` below ``end``; int64 if every argument is an int, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else np.float32
    return Value(np.arange(start, end, step), requires_grad=requires_grad, dtype=dtype)


def argmax(value: Value, axis: int | None = None, keepdims: bool = False) -> Value:
    """Index of the largest element of ``value`` (along ``axis``)."""
    return value.argmax(axis, keepdims)
