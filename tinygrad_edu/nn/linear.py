"""``Linear``: the fully connected layer y = x Wᵀ + b."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..value import Value
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) and b of shape (out_features,).

    As in PyTorch, W and b start uniform on ±1/√in_features, drawn from the
    package's generator (repeatable under ``manual_seed``). The input may be
    (in_features,), (N, in_features) or (N, …, in_features): the last axis is
    the features, every other axis is a batch axis.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None):
        super().__init__()
        in_features, out_features = _size("in_features", in_features), _size("out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        dtype = np.float32 if dtype is None else dtype
        bound = init.linear_bound(in_features)
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)
        init.uniform_(self.weight, -bound, bound)
        if bias:
            self.bias = Parameter(np.zeros(out_features), dtype=dtype)
            init.uniform_(self.bias, -bound, bound)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Value) -> Value:
        if not isinstance(x, Value):
            raise TypeError(f"{self!r}: input must be a Value, got {type(x).__name__}")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            size = x.shape[-1] if x.ndim else "a scalar"
            raise ValueError(f"{self!r}: input's last dimension is {size}, expected in_features = "
                             f"{self.in_features} (input shape {x.shape})")
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _size(name: str, size: Any) -> int:
    """A layer width: an int ≥ 0 (PyTorch allows 0, an empty layer), as a Python int."""
    try:
        size = operator.index(size)  # ints, numpy ints and (as in PyTorch) bools; not 2.0 or '2'
    except TypeError:
        raise TypeError(f"Linear: {name} must be an int (a number of features), got {size!r:.80}") from None
    if size < 0:
        raise ValueError(f"Linear: {name} must be ≥ 0 (a number of features), got {size}")
    return size
