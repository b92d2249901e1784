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
from .arguments import check_axes, check_dim, check_flag, check_ints, grad_array, number_dtype
from .autograd import is_grad_enabled
from .grad_mode import _mode as _grad_mode  # read per operation: see apply
from .printing import LINE_WIDTH, format_array, names_dtype

# What ``torch.tensor`` makes of Python data that carries no numpy dtype.
_PYTHON_DTYPES = {"f": np.dtype(np.float32), "i": np.dtype(np.int64), "u": np.dtype(np.int64),
                  "b": np.dtype(np.bool_)}


# PyTorch's dtype categories, by numpy's dtype kind: bool < integer < float.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert the constructor's ``data`` to a numpy array of a number dtype (a copy)."""
    if isinstance(data, Value):
        data = data.data
    dtype = None if dtype is None else number_dtype("Value", dtype)
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
    native = np.dtype(array.dtype.type)  # numpy's own dtype object, in the machine's byte order
    if array.dtype is not native:
        # An unpickled array (sent by multiprocessing, say) carries an equal copy of its dtype,
        # and ufuncs pass it on; ``_forward`` tests dtypes by identity and took its slow path
        # where the copy met numpy's own (an iris step's loss: 3 µs, benchmarks/README.md).
        array = array.view(native) if array.dtype == native else array.astype(native)
    return array


def _new_value(data: np.ndarray, op: ops.Function | None = None) -> Value:
    """A Value around ``data``, made by ``op``; with ``op`` None, a leaf that does not
    require grad (a constant, a comparison, ``detach()``). ``data`` is already numbers,
    so ``Value.__init__``'s conversion and checks are skipped."""
    out = Value.__new__(Value)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out._grad = None
    out._op = op
    out._requires_grad = op is not None
    out._version = 0
    out.name = None
    return out


def _lift(other: Any, like: Value) -> Value:
    """Make an operand a Value. A Python number takes ``like``'s dtype unless it is of
    a wider kind, as in PyTorch: ``x * 2`` keeps a float32 ``x`` float32 and an int32
    ``x`` int32, while ``int32 * 0.5`` and ``bool * 2`` take the default float32 and int64."""
    if isinstance(other, Value):
        return other
    if isinstance(other, (int, float)):  # bool is an int, and numpy's float64 a float
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(other, float)) or isinstance(other, bool):
            return _new_value(np.asarray(other, dtype=like.data.dtype))
    return Value(other)


def _torch_dtype(op: ops.Function, arrays: list, data: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives ``op``'s result, by its type promotion.

    The highest category among the inputs (bool < integer < float) wins. Within
    it, the inputs with dimensions decide, and 0-d ones only if no input with
    dimensions is of that category: float32 · float64-0-d is float32, int32 ·
    int64-0-d int32 (numpy makes both the wider type). An operation that gives
    floats from integers (``/``, exp, mean, ...) gives float32, PyTorch's
    default dtype, and a sum of integers or bools is int64.
    """
    top = max(_CATEGORY[array.dtype.kind] for array in arrays)
    tier = ([array.dtype for array in arrays if array.ndim and _CATEGORY[array.dtype.kind] == top]
            or [array.dtype for array in arrays if _CATEGORY[array.dtype.kind] == top])
    dtype = np.result_type(*tier)
    if data.dtype.kind == "f" and dtype.kind != "f":
        return np.dtype(np.float32)
    if type(op) is ops.Sum and dtype.kind != "f":
        return np.dtype(np.int64)
    return dtype


def _forward_in_torch_dtype(op: ops.Function, arrays: list, data: np.ndarray) -> np.ndarray:
    """Redo ``op.forward`` in the dtype PyTorch would compute in, where numpy's differs:
    the inputs converted to it, so that the arithmetic is PyTorch's too."""
    dtype = _torch_dtype(op, arrays, data)
    if data.dtype == dtype:
        return data
    return op.forward(*[array if array.dtype == dtype else array.astype(dtype) for array in arrays])


def apply(op: ops.Function, *inputs: Value) -> Value:
    """Run ``op`` forward on the inputs' data and, if any input requires grad
    (and grad is enabled), record ``op`` as the output's creator."""
    data = _forward(op, inputs)
    needs_input_grad = tuple([value._requires_grad for value in inputs])
    if True not in needs_input_grad or not _grad_mode.enabled:  # is_grad_enabled(), without the call
        return _new_value(data)
    # speed: ``op.record(inputs, needs_input_grad)`` written out (recording.py), see benchmarks/README.md.
    op._first_input, op._second_input = inputs if len(inputs) == 2 else (inputs[0], None)
    op.needs_input_grad = needs_input_grad
    if op.saved:  # only what backward reads is checked (autograd.check_versions)
        op.versions = inputs[0]._version << 64 | inputs[-1]._version  # a pair in one int: recording.py
    return _new_value(data, op)


def _forward(op: ops.Function, inputs: tuple) -> np.ndarray:
    """``op.forward`` on the inputs' data, with the result in the dtype PyTorch gives it.

    This runs once per operation, so it is written for speed. The plain version is::

        arrays = [value.data for value in inputs]
        data = op.forward(*arrays)
        if type(op) is not ops.Cast:
            data = op.forward(*<the arrays converted to PyTorch's dtype>) if it differs

    What the tuned version buys, on a network of scalar Values (benchmarks/scalar.py;
    figures and method in benchmarks/README.md):

    * a 0-d array goes to ``forward`` as its numpy scalar (``array[()]``): numpy's
      scalar arithmetic is about five times faster than its ufuncs on 0-d arrays and
      gives the same number (0.65 s → 0.40 s a step with the garbage collector off);
    * PyTorch's dtype is looked for only when the result's dtype is not its first
      input's (comparing types first: a numpy scalar's type is its dtype), and never
      for one floating input, whose dtype PyTorch keeps (a full reduction gives a numpy
      scalar: looking cost 3 µs of an iris step's loss); list comprehensions stand
      where generators would be slower.

    PyTorch's dtype is ``_torch_dtype``'s: where it differs from numpy's, the inputs
    are converted to it and ``forward`` runs a second time.
    """
    arrays = [value.data if value.data.ndim else value.data[()] for value in inputs]
    try:
        data = op.forward(*arrays)
        first = arrays[0]
        if type(data) is not type(first) or (type(data) is np.ndarray and data.dtype is not first.dtype):
            # Cast's dtype is its argument; one floating input's is PyTorch's for the result.
            if type(op) is not ops.Cast and not (len(arrays) == 1 and first.dtype.kind == "f"
                                                 and getattr(data, "dtype", None) is first.dtype):
                data = _forward_in_torch_dtype(op, arrays, data)
    except ValueError as error:
        shapes = " and ".join(str(value.shape) for value in inputs)
        raise ValueError(f"{op.name}: cannot apply to shapes {shapes}: {error}") from None
    return data


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
        check_flag("Value", "requires_grad", requires_grad)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Value: name must be a str or None, got {name!r:.80}")
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
        check_flag("Value", "requires_grad", flag)
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
        grad = grad_array("Value.grad", grad.data if isinstance(grad, Value) else grad, self.data.dtype)
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
        return _new_value(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ------------------------------------------------------------ autodiff

    def backward(self, grad: Any = None, retain_graph: bool | None = None) -> None:
        """Compute the gradient of this Value with respect to every leaf that requires grad.

        ``grad`` is dL/d(self); it may be left out for a single-element Value
        (then it is 1). The graph is kept, so backward may be called again
        (``retain_graph`` is accepted for PyTorch compatibility).
        """
        if retain_graph is not None:
            check_flag("backward", "retain_graph", retain_graph)
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
            grad = grad_array("backward", grad.data if isinstance(grad, Value) else grad, self.data.dtype)
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

    # ------------------------------------------------------------ in place

    def _in_place(self, operation: type[ops.Function], symbol: str, other: Any) -> Value:
        """``self symbol other`` (``+=``, ``-=``, ``*=``, ``/=``, ``**=``): the result written into
        ``self.data`` (the same array), as PyTorch's ``add_``.

        PyTorch's rules: outside ``no_grad``, a leaf that requires grad refuses
        (its old value is what its gradient is for); inside, the change is
        allowed, and ``self`` stays the same object with its flag and its grad.
        Unlike PyTorch, a non-leaf in a graph also refuses outside ``no_grad``
        (and so does ``x += w`` with a ``w`` that requires grad): the graph's
        nodes are the Values themselves, so ``self`` cannot both stay the input
        its consumers recorded and become a new operation's output; ``h = h + 1``
        makes a new Value and records it. Each change bumps ``_version``, so
        that a recorded operation that read the old data refuses to go
        backward (autograd.check_versions). The result must fit ``self``'s
        shape, and its dtype must not need a wider kind than ``self``'s
        (an int Value cannot take ``+= 0.5``), as in PyTorch.
        """
        other = _lift(other, self)
        if is_grad_enabled():
            if self._requires_grad and self._op is None:
                raise RuntimeError(f"{symbol}: a leaf Variable that requires grad is being used in an in-place "
                                   f"operation. Change it inside tg.no_grad(), or write x = x {symbol[:-1]} y")
            if self._requires_grad or other._requires_grad:
                raise RuntimeError(f"{symbol}: an in-place operation on a Value in a graph is not recorded here; "
                                   f"write h = h {symbol[:-1]} y, which records a new Value")
        result = apply(operation(), self, other).data  # nothing requires grad here, or grad mode is off: no graph
        if result.shape != self.shape:
            raise ValueError(f"{symbol}: the result's shape {result.shape} does not fit this Value's shape "
                             f"{self.shape}; an in-place operation cannot change the shape")
        if _CATEGORY[result.dtype.kind] > _CATEGORY[self.dtype.kind]:
            raise TypeError(f"{symbol}: the result's dtype {result.dtype} cannot be cast to this Value's dtype "
                            f"{self.dtype}; write x = x {symbol[:-1]} y for a new Value")
        np.copyto(self.data, result, casting="unsafe")
        self._version += 1
        return self

    def __iadd__(self, other): return self._in_place(ops.Add, "+=", other)
    def __isub__(self, other): return self._in_place(ops.Sub, "-=", other)
    def __imul__(self, other): return self._in_place(ops.Mul, "*=", other)
    def __itruediv__(self, other): return self._in_place(ops.Div, "/=", other)
    def __ipow__(self, other): return self._in_place(ops.Pow, "**=", other)

    def __getitem__(self, index) -> Value:
        if isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Value) else i for i in index)
        elif isinstance(index, Value):
            index = index.data
        return apply(ops.Index(index), self)

    # ------------------------------------------------------------ comparisons (no grad)

    def _compare(self, other, compare) -> Value:
        other = other.data if isinstance(other, Value) else np.asarray(other)
        if other.dtype.kind not in "fiub":  # as PyTorch: ``<`` with a str is Python's TypeError, ``==`` is False
            return NotImplemented
        return _new_value(compare(self.data, other))

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
        axis = _axis(axis, dim)
        check_axes("sum", axis)
        check_flag("sum", "keepdims", keepdims)
        return apply(ops.Sum(axis, keepdims), self)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None) -> Value:
        axis = _axis(axis, dim)
        check_axes("mean", axis)
        check_flag("mean", "keepdims", keepdims)
        return apply(ops.Mean(axis, keepdims), self)

    def max(self, axis: int | None = None, keepdims: bool = False, *, dim=None) -> Value:
        axis = _axis(axis, dim)
        if axis is not None:
            check_dim("max", "axis", axis, self.ndim)
        check_flag("max", "keepdims", keepdims)
        return apply(ops.Max(axis if self.ndim else None, keepdims), self)  # a 0-d Value's axis is all of it

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim=None) -> Value:
        """Index of the largest element (no gradient: an index is not differentiable)."""
        axis = _axis(axis, dim)
        if axis is not None:
            check_dim("argmax", "axis", axis, self.ndim)
        check_flag("argmax", "keepdims", keepdims)
        if self.data.size == 0:
            raise ValueError(f"argmax: a Value of shape {self.shape} has no elements, so no largest one")
        return _new_value(np.argmax(self.data, axis=axis if self.ndim else None, keepdims=keepdims))

    def log_softmax(self, axis: int = -1, *, dim=None) -> Value:
        axis = _axis(None if dim is not None else axis, dim)
        check_dim("log_softmax", "axis", axis, self.ndim)
        return apply(ops.LogSoftmax(axis), self)

    def softmax(self, axis: int = -1, *, dim=None) -> Value:
        axis = _axis(None if dim is not None else axis, dim)
        check_dim("softmax", "axis", axis, self.ndim)
        return apply(ops.Softmax(axis), self)

    def reshape(self, *shape) -> Value:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        check_ints("reshape", "shape", shape)
        return apply(ops.Reshape(shape), self)

    def transpose(self, dim0: int | None = None, dim1: int | None = None) -> Value:
        """``transpose(dim0, dim1)`` swaps two axes, as in PyTorch; ``transpose()`` reverses them all."""
        if dim0 is None and dim1 is None:
            return apply(ops.Transpose(None), self)
        check_dim("transpose", "dim0", dim0, self.ndim)
        check_dim("transpose", "dim1", dim1, self.ndim)
        if self.ndim == 0:  # a 0-d Value's one axis, 0 or -1, swapped with itself
            return apply(ops.Transpose(None), self)
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return apply(ops.Transpose(tuple(axes)), self)

    def permute(self, *axes) -> Value:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        check_ints("permute", "dims", axes)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)) or not all(
                -self.ndim <= a < self.ndim for a in axes):
            raise ValueError(f"permute: dims must order the {self.ndim} axes of a Value of shape {self.shape}, "
                             f"each once, got {axes}")
        return apply(ops.Transpose(tuple(axes)), self)

    @property
    def T(self) -> Value:
        return apply(ops.Transpose(None), self)

    def to(self, dtype: Any) -> Value:
        """This Value in another dtype (a copy even for the same dtype). Differentiable
        to a floating dtype; an integer or bool result has no gradient, as in PyTorch."""
        dtype = number_dtype("to", dtype)
        if dtype.kind != "f":
            return _new_value(self.data.astype(dtype))
        return apply(ops.Cast(dtype), self)

    def float(self) -> Value: return self.to(np.float32)
    def double(self) -> Value: return self.to(np.float64)

    # ------------------------------------------------------------ printing

    def __repr__(self) -> str:
        extras = [f"dtype={self.data.dtype}"] if names_dtype(self.data.dtype) else []
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
