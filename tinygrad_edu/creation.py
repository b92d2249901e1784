"""Ways to make new leaf Values: filled, random, ranges, and the random seed.

All random numbers come from one numpy Generator, so ``manual_seed(n)`` makes
every later draw (``rand``, ``randn``, the layers' initial weights) repeatable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arguments import is_int, number_dtype
from .value import Value

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind every random draw in tinygrad_edu, as ``torch.manual_seed``.

    A negative seed is taken modulo 2⁶⁴, as PyTorch takes it (numpy wants one ≥ 0).
    """
    global _generator
    if not is_int(seed):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r:.80}")
    _generator = np.random.default_rng(int(seed) % 2**64)
    return _generator


def generator() -> np.random.Generator:
    """The numpy Generator that ``rand``, ``randn`` and layer initialisation draw from."""
    return _generator


def _shape(function: str, shape: tuple) -> tuple:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean shape (2, 3), as in PyTorch; sizes are ints ≥ 0."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(map(is_int, shape)):
        raise TypeError(f"{function}: the shape must be ints, got {shape!r:.80}")
    if any(size < 0 for size in shape):
        raise ValueError(f"{function}: the shape's sizes must be 0 or more, got {shape}")
    return shape


def _dtype(function: str, dtype: Any, floating: bool = False) -> np.dtype:
    """The factory's dtype, float32 by default; a random draw needs a floating one."""
    dtype = np.dtype(np.float32) if dtype is None else number_dtype(function, dtype)
    if floating and dtype.kind != "f":
        raise TypeError(f"{function}: dtype must be a floating-point type for random numbers, got {dtype}")
    return dtype


def zeros(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    return Value(np.zeros(_shape("zeros", shape), dtype=_dtype("zeros", dtype)), requires_grad=requires_grad)


def ones(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    return Value(np.ones(_shape("ones", shape), dtype=_dtype("ones", dtype)), requires_grad=requires_grad)


def rand(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Uniform on [0, 1)."""
    shape, dtype = _shape("rand", shape), _dtype("rand", dtype, floating=True)
    return Value(_generator.random(shape), requires_grad=requires_grad, dtype=dtype)


def randn(*shape, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Standard normal."""
    shape, dtype = _shape("randn", shape), _dtype("randn", dtype, floating=True)
    return Value(_generator.standard_normal(shape), requires_grad=requires_grad, dtype=dtype)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Value:
    """``start, start + step, …`` below ``end``; int64 if every argument is an int, else float32.

    As in PyTorch, the step must be nonzero and point from start towards end
    (or start = end, for none), and the three must be finite real numbers.
    """
    if end is None:
        start, end = 0, start
    for name, number in (("start", start), ("end", end), ("step", step)):
        if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {number!r:.80}")
        if not np.isfinite(number):
            raise ValueError(f"arange: {name} must be finite, got {number}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(f"arange: step {step} points away from end: start {start}, end {end}")
    if dtype is None:
        integral = all(is_int(v) for v in (start, end, step))
        dtype = np.int64 if integral else np.float32
    return Value(np.arange(start, end, step), requires_grad=requires_grad, dtype=number_dtype("arange", dtype))


def argmax(value: Value, axis: int | None = None, keepdims: bool = False) -> Value:
    """Index of the largest element of ``value`` (along ``axis``)."""
    if not isinstance(value, Value):
        raise TypeError(f"argmax: value must be a Value, got {type(value).__name__}")
    return value.argmax(axis, keepdims)
