"""The few functions a derivative in ``ops.py`` computes with, on numpy arrays or on Values alike.

Each derivative in ``ops.py`` is written once and runs two ways: a plain ``backward()`` hands it
numpy arrays, ``backward(create_graph=True)`` hands it Values (see ``ops.py``'s docstring).
Operators (``*``, ``@``, ``-``) and methods that both have (``sum``, ``reshape``) need nothing;
what numpy spells as a function does: each function here is numpy's on arrays and the Value
method of the same meaning on Values, which records it. The condition of ``where`` is data (a
mask, such as out <= 0): it has no derivative. (``index_put`` is the same kind of function; it
lives in ``ops.py`` beside ``IndexPut``, whose forward it runs on arrays.)
"""

from __future__ import annotations

import numpy as np

ARRAYS = (np.ndarray, np.generic)  # what a first-order backward computes with (a 0-d one gets numpy scalars)
NUMBERS = ARRAYS + (int, float)


def exp(x): return np.exp(x) if isinstance(x, ARRAYS) else x.exp()
def log(x): return np.log(x) if isinstance(x, ARRAYS) else x.log()
def permute(x, axes): return x.transpose(axes) if isinstance(x, ARRAYS) else x.permute(axes)
def new_zeros(x, shape): return np.zeros(shape, dtype=x.dtype) if isinstance(x, ARRAYS) else x.new_zeros(shape)


def sigmoid(x):
    """σ(x) = 1/(1 + e⁻ˣ); on arrays as e^−ln(1 + e⁻ˣ), which never overflows."""
    return np.exp(-np.logaddexp(0, -x)) if isinstance(x, ARRAYS) else x.sigmoid()


def where(condition, x, y):
    """x where ``condition`` holds, else y (numpy's ``where``); either may be a number."""
    if not isinstance(x, NUMBERS):
        return x.where(condition, y)
    if not isinstance(y, NUMBERS):
        return y.where(~condition, x)
    return np.where(condition, x, y)


def cast(x, dtype):
    """x in ``dtype`` (itself if it is already)."""
    if x.dtype == dtype:
        return x
    return x.astype(dtype) if isinstance(x, ARRAYS) else x.to(dtype)


def expand(x, shape: tuple):
    """x broadcast to ``shape``: each element copied along the axes where it has size 1 (or none)."""
    if not isinstance(x, ARRAYS):
        return x.expand(shape)
    # speed: one broadcasting assignment instead of np.broadcast_to (a Python-level function; the
    # next operation makes the full-size array anyway), see benchmarks/README.md.
    spread = np.empty(shape, dtype=x.dtype)
    spread[...] = x
    return spread
