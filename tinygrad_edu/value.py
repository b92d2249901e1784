"""``Value``: a number or an array that remembers how it was computed.

A Value holds ``data`` (a numpy array; 0-d for a scalar) and, when it was made
by an operation, ``_op``: the instance of the operation class from ``ops.py``
that made it, which in turn holds the input Values as ``parents``. Those links
form the computation graph; ``backward()`` walks them in reverse (autograd.py).

The links point only from outputs to inputs, never back, so the graph has no
reference cycles: when the last Value of an old graph goes, Python's reference
counting frees the whole graph at once, without waiting for the cyclic garbage
collector.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, ops
from .autograd import is_grad_enabled
from .printing import LINE_WIDTH, format_array

# What ``torch.tensor`` makes of Python data that carries no numpy dtype.
_PYTHON_DTYPES = {"f": np.dtype(np.float32), "i": np.dtype(np.int64), "u": np.dtype(np.int64),
                  "b": np.dtype(np.bool_)}


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert the constructor's ``data`` to a numpy array of a number dtype (a copy)."""
    if isinstance(data, Value):
        data = data.data
    dtype = None if dtype is None else np.dtype(dtype)
    try:
        array = np.array(data)
        # Cast only numbers: np.array("1.0", dtype=float) would parse the string.
        if dtype is not None and array.dtype.kind in "fiub":
            array = array.astype(dtype, copy=False)
    except (ValueError, TypeError) as error:
        raise TypeError(f"Value: cannot make numbers of {type(data).__name__} data {data!r:.80}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Value: data must be numbers (bool, int or float), got {type(data).__name__} "
                        f"with numpy dtype {array.dtype}: {data!r:.80}")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        array = array.astype(_PYTHON_DTYPES[array.dtype.kind], copy=False)
    return array


def _from_op(data: np.ndarray, op) -> Value:
    """A Value made by an operation (the fast path: ``data`` is already an array)."""
    out = Value.__new__(Value)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out._grad = None
    out._op = op
    out._requires_grad = op is not None
    out._version = 0
    out.name = None
    return out


def _lift(other: Any, like: Value) -> Value:
    """Make an operand a Value. A Python number takes ``like``'s float dtype, so
    that ``x * 2`` keeps a float32 ``x`` float32 (no silent promotion)."""
    if isinstance(other, Value):
        return other
    if isinstance(other, (int, float)) and like.data.dtype.kind == "f":
        return _from_op(np.asarray(other, dtype=like.data.dtype), None)
    return Value(other)


def _forward_in_torch_dtype(op: ops.Function, arrays: list, data: np.ndarray) -> np.ndarray:
    """Redo ``op.forward`` in the float dtype PyTorch would compute in, where numpy's differs.

    Integers and bools mixed with floats take the floats' dtype (numpy makes
    int64 with float32 float64), and an operation on integers alone that gives
    floats (``/``, exp, mean, ...) gives float32, PyTorch's default dtype
    (numpy gives float64, or float16 for bools). Only integer inputs differ
    between the two rules, so they are converted and the operation run again.
    """
    floats = [array.dtype for array in arrays if array.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float32)
    if data.dtype == dtype:
        return data
    return op.forward(*[array if array.dtype.kind == "f" else array.astype(dtype) for array in arrays])


def apply(op: ops.Function, *inputs: Value) -> Value:
    """Run ``op`` forward on the inputs' data and, if any input requires grad
    (and grad is enabled), record ``op`` as the output's creator."""
    # This runs once per operation, so it is written for speed: list comprehensions
    # rather than generators, and one pass over the inputs for their flags. A 0-d
    # array goes to numpy as its scalar (``array[()]``): numpy's scalar arithmetic
    # is about five times faster than its ufuncs on 0-d arrays and gives the same
    # number, which is most of the time of a network of scalar Values.
    arrays = [value.data if value.data.ndim else value.data[()] for value in inputs]
    try:
        data = op.forward(*arrays)
        # Only a result whose dtype is not its first input's can need PyTorch's; a numpy
        # scalar's type is its dtype, and comparing types is the cheaper test.
        if type(data) is not type(arrays[0]) or (type(data) is np.ndarray and data.dtype is not arrays[0].dtype):
            if data.dtype.kind == "f" and type(op) is not ops.Cast:
                data = _forward_in_torch_dtype(op, arrays, data)
    except ValueError as error:
        shapes = " and ".join(str(value.shape) for value in inputs)
        raise ValueError(f"{op.name}: cannot apply to shapes {shapes}: {error}") from None
    needs_input_grad = tuple([value._requires_grad for value in inputs])
    if True not in needs_input_grad or not is_grad_enabled():
        return _from_op(data, None)
    op.parents = inputs
    op.needs_input_grad = needs_input_grad
    return _from_op(data, op)


def _axis(axis, dim):
    """Reductions take numpy's ``axis`` or PyTorch's ``dim``."""
    return dim if axis is None else axis


class Value:
    """A scalar or an array of numbers, with reverse-mode automatic differentiation.

    >>> x = Value([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "_grad", "_op", "_requires_grad", "_version", "name")
    __array_ufunc__ = None  # ``ndarray * Value`` defers to ``Value.__rmul__`` instead of unwrapping

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        self.data = _as_array(data, dtype)
        self._grad = None
        self._op = None
        self._requires_grad = False
        self._version = 0  # bumped by every in-place change (PyTorch's ``tensor._version``)
        self.name = name
        self.requires_grad = requires_grad

    # ------------------------------------------------------------ attributes

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"Value: only floating-point Values can require grad, this one is {self.data.dtype}")
        if self._op is not None and not flag:
            raise RuntimeError("Value: requires_grad can only be turned off on a leaf; use .detach()")
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag: bool = True) -> Value:
        """Set ``requires_grad`` in place and return self, as PyTorch's method does."""
        self.requires_grad = flag
        return self

    @property
    def grad(self) -> np.ndarray | None:
        """dL/d(this Value) after ``backward()``, or None."""
        return self._grad

    @grad.setter
    def grad(self, grad: Any) -> None:
        if grad is None:
            self._grad = None
            return
        grad = np.array(grad.data if isinstance(grad, Value) else grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(f"Value.grad: a gradient of shape {grad.shape} does not fit data of shape {self.shape}")
        self._grad = grad

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        # A fresh array of our own dtype: ``grad`` may be shared with another input
        # (add passes the same array to both) or be a read-only broadcast view.
        if self._grad is None:
            self._grad = np.array(grad, dtype=self.data.dtype)
        else:
            self._grad = (self._grad + grad).astype(self.data.dtype, copy=False)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def grad_fn(self) -> ops.Function | None:
        """The operation that made this Value (None for a leaf), as in PyTorch."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def numel(self) -> int:
        return self.data.size

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"Value.item: only a Value with one element has an item, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied, as in PyTorch)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Value:
        """The same data as a new leaf outside the graph."""
        return _from_op(self.data, None)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ------------------------------------------------------------ autodiff

    def backward(self, grad: Any = None, retain_graph: bool | None = None) -> None:
        """Compute the gradient of this Value with respect to every leaf that requires grad.

        ``grad`` is dL/d(self); it may be left out for a single-element Value
        (then it is 1). The graph is kept, so backward may be called again
        (``retain_graph`` is accepted for PyTorch compatibility).
        """
        if not self._requires_grad:
            raise RuntimeError("backward: this Value does not require grad and has no operation "
                               "that does; set requires_grad=True on an input (and compute outside no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: a gradient can be created implicitly only for a single-element "
                                   f"Value; this one has shape {self.shape}, so pass grad=")
            # dL/dL = 1 in this Value's shape and dtype (a fifth of np.ones's cost, which is Python-level)
            grad = np.array(1, dtype=self.data.dtype).reshape(self.shape)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Value) else grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad of shape {grad.shape} does not match the Value's shape {self.shape}")
        # Looked up at call time, not imported by name: course mode (tinygrad_edu.course) plugs a
        # student's backward in for one check run by swapping ``autograd.backward``.
        autograd.backward(self, grad)

    # ------------------------------------------------------------ arithmetic

    def __add__(self, other): return apply(ops.Add(), self, _lift(other, self))
    def __radd__(self, other): return apply(ops.Add(), _lift(other, self), self)
    def __sub__(self, other): return apply(ops.Sub(), self, _lift(other, self))
    def __rsub__(self, other): return apply(ops.Sub(), _lift(other, self), self)
    def __mul__(self, other): return apply(ops.Mul(), self, _lift(other, self))
    def __rmul__(self, other): return apply(ops.Mul(), _lift(other, self), self)
    def __truediv__(self, other): return apply(ops.Div(), self, _lift(other, self))
    def __rtruediv__(self, other): return apply(ops.Div(), _lift(other, self), self)
    def __pow__(self, other): return apply(ops.Pow(), self, _lift(other, self))
    def __rpow__(self, other): return apply(ops.Pow(), _lift(other, self), self)
    def __matmul__(self, other): return apply(ops.MatMul(), self, _lift(other, self))
    def __rmatmul__(self, other): return apply(ops.MatMul(), _lift(other, self), self)
    def __neg__(self): return apply(ops.Neg(), self)

    def __getitem__(self, index) -> Value:
        if isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Value) else i for i in index)
        elif isinstance(index, Value):
            index = index.data
        return apply(ops.Index(index), self)

    # ------------------------------------------------------------ comparisons (no grad)

    def _compare(self, other, compare) -> Value:
        other = other.data if isinstance(other, Value) else other
        return _from_op(compare(self.data, other), None)

    def __eq__(self, other): return self._compare(other, np.equal)  # type: ignore[override]
    def __ne__(self, other): return self._compare(other, np.not_equal)  # type: ignore[override]
    def __lt__(self, other): return self._compare(other, np.less)
    def __le__(self, other): return self._compare(other, np.less_equal)
    def __gt__(self, other): return self._compare(other, np.greater)
    def __ge__(self, other): return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__  # by identity, so Values can key dicts (optimizer state)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"bool of a Value with {self.data.size} elements is ambiguous; use .all() or .any() "
                               "on the numpy data")
        return bool(self.data)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Value")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ------------------------------------------------------------ functions

    def exp(self) -> Value: return apply(ops.Exp(), self)
    def log(self) -> Value: return apply(ops.Log(), self)
    def relu(self) -> Value: return apply(ops.Relu(), self)
    def sigmoid(self) -> Value: return apply(ops.Sigmoid(), self)
    def tanh(self) -> Value: return apply(ops.Tanh(), self)

    def sum(self, axis=None, keepdims: bool = False, *, dim=None) -> Value:
        return apply(ops.Sum(_axis(axis, dim), keepdims), self)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None) -> Value:
        return apply(ops.Mean(_axis(axis, dim), keepdims), self)

    def max(self, axis: int | None = None, keepdims: bool = False, *, dim=None) -> Value:
        axis = _axis(axis, dim)
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"max: axis must be one int or None, got {axis!r}")
        return apply(ops.Max(axis, keepdims), self)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim=None) -> Value:
        """Index of the largest element (no gradient: an index is not differentiable)."""
        return _from_op(np.argmax(self.data, axis=_axis(axis, dim), keepdims=keepdims), None)

    def log_softmax(self, axis: int = -1, *, dim=None) -> Value:
        return apply(ops.LogSoftmax(_axis(None if dim is not None else axis, dim)), self)

    def softmax(self, axis: int = -1, *, dim=None) -> Value:
        return apply(ops.Softmax(_axis(None if dim is not None else axis, dim)), self)

    def reshape(self, *shape) -> Value:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(ops.Reshape(shape), self)

    def transpose(self, dim0: int | None = None, dim1: int | None = None) -> Value:
        """``transpose(dim0, dim1)`` swaps two axes, as in PyTorch; ``transpose()`` reverses them all."""
        if dim0 is None and dim1 is None:
            return apply(ops.Transpose(None), self)
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return apply(ops.Transpose(tuple(axes)), self)

    def permute(self, *axes) -> Value:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply(ops.Transpose(tuple(axes)), self)

    @property
    def T(self) -> Value:
        return apply(ops.Transpose(None), self)

    def to(self, dtype: Any) -> Value:
        """This Value in another dtype (a copy even for the same dtype). Differentiable
        to a floating dtype; an integer or bool result has no gradient, as in PyTorch."""
        if np.dtype(dtype).kind != "f":
            return _from_op(self.data.astype(dtype), None)
        return apply(ops.Cast(dtype), self)

    def float(self) -> Value: return self.to(np.float32)
    def double(self) -> Value: return self.to(np.float64)

    # ------------------------------------------------------------ printing

    def __repr__(self) -> str:
        extras = []
        default = np.int64 if self.data.dtype.kind in "iu" else np.float32
        if self.data.dtype.kind != "b" and self.data.dtype != default:
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{type(self._op).__name__}Backward0>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        text = "Value(" + format_array(self.data, prefix="Value(")
        # As PyTorch: an extra that would pass the line width goes on a line of its own.
        line_length = len(text) - text.rfind("\n") + 1
        for extra in extras:
            if line_length + len(extra) + 2 > LINE_WIDTH:
                text += ",\n" + " " * len("Value(") + extra
                line_length = len("Value(") + len(extra)
            else:
                text += ", " + extra
                line_length += len(extra) + 2
        return text + ")"


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A new leaf Value, as ``torch.tensor``: Python floats become float32, ints int64."""
    return Value(data, requires_grad=requires_grad, dtype=dtype)
