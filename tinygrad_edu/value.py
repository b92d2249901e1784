"""``Value``: a number or an array that remembers how it was computed.

A Value holds ``data`` (a numpy array; 0-d for a scalar) and, when it was made
by an operation, ``_op``: the instance of the operation class from ``ops.py``
that made it, which in turn holds the input Values as ``parents``. Those links
form the computation graph; ``backward()`` walks them in reverse (autograd/reverse_mode.py).

The links point only from outputs to inputs, never back, so the graph has no
reference cycles: when the last Value of an old graph goes, Python's reference
counting frees the whole graph at once, without waiting for the cyclic garbage
collector.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, in_place, ops, views
from .arguments import check_axes, check_dim, check_flag, check_gradient_dtype, check_ints, grad_array, number_dtype
from .dtypes import FLOAT_SCALARS, as_array, check_dtypes, forward_in_torch_dtype
from .grad_mode import _mode as _grad_mode
from .printing import LINE_WIDTH, format_array, names_dtype
from .threads import GRAD_LOCK


def apply(op: ops.Function, *inputs: Value) -> Value:
    """Run ``op`` forward on the inputs' data and, if any input requires grad (and grad mode
    is on), record ``op`` in the graph as the output's creator. Plainly::

        data = _forward(op, inputs)
        needs_input_grad = tuple(value.requires_grad for value in inputs)
        if not any(needs_input_grad) or not is_grad_enabled():
            return _new_value(data)
        op.record(inputs, needs_input_grad)  # recording.py
        return _new_value(data, op)
    """
    # speed: grad mode's flag read and ``op.record`` written out (recording.py), see benchmarks/README.md
    data = _forward(op, inputs)
    needs_input_grad = tuple([value._requires_grad for value in inputs])
    if True not in needs_input_grad or not _grad_mode.enabled:
        return _new_value(data)
    op._first_input, op._second_input = inputs if len(inputs) == 2 else (inputs[0], None)
    op.needs_input_grad = needs_input_grad
    op.versions = inputs[0]._version << 64 | inputs[-1]._version
    return _new_value(data, op)


class Value:
    """A scalar or an array of numbers, with reverse-mode automatic differentiation.

    >>> x = Value([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "_grad", "_op", "_requires_grad", "_version", "name")
    _owner = _base = None  # a Value that shares another's numbers is a View (below, and views.py)
    __array_ufunc__ = None  # ``ndarray * Value`` defers to ``Value.__rmul__`` instead of unwrapping

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        check_flag("Value", "requires_grad", requires_grad)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Value: name must be a str or None, got {name!r:.80}")
        self.data = as_array(data.data if isinstance(data, Value) else data, dtype)
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
        if self._requires_grad and not flag:
            views.unregistered(self)
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag: bool = True) -> Value:
        """Set ``requires_grad`` in place and return self, as PyTorch's method does."""
        self.requires_grad = flag
        return self

    @property
    def grad(self) -> np.ndarray | Value | None:
        """dL/d(this Value) after ``backward()``, or None.

        A numpy array of this Value's shape after a plain ``backward()``. After
        ``backward(create_graph=True)`` a leaf's is a Value, whose graph is the backward
        computation, so that it can be differentiated again (PyTorch's ``.grad`` has a
        ``grad_fn`` then); ``np.asarray(x.grad)`` gives its numbers either way.
        """
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

    def _accumulate_grad(self, grad: np.ndarray | Value) -> None:
        """A leaf's share of backward: add dL/d(this Value) to ``.grad``, in this Value's dtype, so
        that two ``backward()`` calls give twice the gradient, as in PyTorch.

        Under ``create_graph`` ``grad`` is a Value: ``.grad`` becomes a copy of it (``to``, as PyTorch
        clones it, so that no other Value shares its numbers), or the sum, both recorded. A plain
        ``backward()`` after that adds its numbers into that Value in place, as PyTorch does
        (its version moves on, so a graph that read it refuses to go backward).
        """
        with GRAD_LOCK:  # read, add, write: never interleaved with another thread's (threads.py)
            if isinstance(grad, Value):
                self._grad = grad.to(self.dtype) if self._grad is None else self._grad + grad
            elif isinstance(self._grad, Value):
                np.add(self._grad.data, grad, out=self._grad.data, casting="unsafe")
                self._grad._version += 1
            elif self._grad is None:
                # A fresh array: ``grad`` may be shared with another input (add passes the same
                # array to both) or be a read-only broadcast view.
                self._grad = np.array(grad, dtype=self.data.dtype)
            else:
                self._grad = np.asarray(self._grad + grad.astype(self.data.dtype, copy=False))

    def _keep_grad(self, grad: np.ndarray | Value) -> None:
        """A non-leaf's share of backward: dL/d(this Value), in its dtype already, kept as ``.grad`` for
        display (each ``backward()`` computes it anew): its numbers, also when it is a Value."""
        self._grad = np.asarray(grad)  # an array, also where a 0-d operation computed a numpy scalar

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
        """The data as a numpy array, shared, not copied, as in PyTorch.

        As in PyTorch, a Value that requires grad refuses: a change made through that array
        would escape its version count (views.py), and its graph could not tell. Its numbers
        are ``x.detach().numpy()``, shared too, or ``x.data``.
        """
        if self._requires_grad:
            raise RuntimeError("Value.numpy: can't call numpy() on a Value that requires grad; use "
                               "x.detach().numpy() instead, as in PyTorch")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Value:
        """The same numbers as a new leaf outside the graph: shared with this Value, and so is their
        version count (views.py), as in PyTorch."""
        return _shared(_new_value(self.data), self)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ------------------------------------------------------------ autodiff

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Compute dL/d(leaf) into ``.grad`` for every leaf that requires grad, L being this Value.

        ``gradient`` is dL/d(self); it may be left out for a single-element Value (then it is 1).
        The graph is kept, so backward may run again (``retain_graph`` is accepted for PyTorch
        compatibility). With ``create_graph=True`` what the leaves receive is a Value whose graph
        is the backward computation, so that it can be differentiated again; with ``inputs``
        (Values) only those receive their gradient. Both go through ``autograd.accumulate_grads``.
        """
        if retain_graph is not None:
            check_flag("backward", "retain_graph", retain_graph)
        if create_graph is not False or inputs is not None:
            autograd.accumulate_grads(self, gradient, create_graph, inputs)
            return
        grad = initial_grad(self, gradient)
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
    def __pow__(self, other):
        if isinstance(other, bool) and self.data.dtype.kind == "b":  # as PyTorch: x ** True is x, x ** False all True
            return _new_value(self.data | (not other))
        return apply(ops.Pow(), self, _lift(other, self))

    def __rpow__(self, other): return apply(ops.Pow(), _lift(other, self), self)
    def __matmul__(self, other): return apply(ops.MatMul(), self, _lift(other, self))
    def __rmatmul__(self, other): return apply(ops.MatMul(), _lift(other, self), self)
    def __neg__(self): return apply(ops.Neg(), self)

    # ------------------------------------------------------------ in place (in_place.py has the rules)

    def __iadd__(self, other): return self._change(ops.Add, "+=", other)
    def __isub__(self, other): return self._change(ops.Sub, "-=", other)
    def __imul__(self, other): return self._change(ops.Mul, "*=", other)
    def __itruediv__(self, other): return self._change(ops.Div, "/=", other)
    def __ipow__(self, other): return self._change(ops.Pow, "**=", other)

    def _change(self, operation: type[ops.Function], symbol: str, other: Any) -> Value:
        """``self symbol other`` (``+=``, ``-=``, ...): the result written into ``self.data``, as PyTorch's ``add_``."""
        other = _lift(other, self)
        in_place.check_change(self, other, symbol)
        in_place.write(self, apply(operation(), self, other).data, symbol)  # no graph: nothing requires grad
        return self

    def __setitem__(self, index, value) -> None:
        """``x[index] = value``, as in PyTorch: written into x's numbers, recorded where x or value is in a graph."""
        index = _index_data(index)
        value = value if isinstance(value, Value) else Value(in_place.item_array(self, value))
        if in_place.check_assignment(self, index, value):
            _record_assignment(self, index, value)
        else:
            in_place.write_item(self, index, value.data)

    def __getitem__(self, index) -> Value:
        """``x[index]``: a view of x's numbers for integers and slices (views.py), a copy for lists and masks."""
        return _view(ops.Index(_index_data(index)), self)

    def index_put(self, indices, values: Any, accumulate: bool = False) -> Value:
        """A copy of this Value with ``values`` put where ``self[indices]`` reads, as PyTorch's
        ``index_put``; with ``accumulate=True`` added instead, an element named twice receiving both."""
        check_flag("index_put", "accumulate", accumulate)
        values = _lift(values, self)
        if values.dtype != self.dtype:
            raise TypeError(f"index_put: values must have this Value's dtype {self.dtype}, as in PyTorch; got "
                            f"{values.dtype} (convert them with .to())")
        return apply(ops.IndexPut(_index_data(indices), accumulate), self, values)

    # ------------------------------------------------------------ comparisons (no grad)

    def _compare(self, other, compare) -> Value:
        other = other.data if isinstance(other, Value) else np.asarray(other)
        if other.dtype.kind not in "fiub":  # as PyTorch: ``<`` with a str is Python's TypeError, ``==`` is False
            return NotImplemented
        try:
            return _new_value(compare(self.data, other))
        except TypeError:  # numpy's ``&`` of floats
            raise TypeError(f"{compare.__name__}: only bool and integer Values take &, | and ^; got {self.dtype} and "
                            f"{other.dtype}") from None

    def __eq__(self, other): return self._compare(other, np.equal)  # type: ignore[override]
    def __ne__(self, other): return self._compare(other, np.not_equal)  # type: ignore[override]
    def __lt__(self, other): return self._compare(other, np.less)
    def __le__(self, other): return self._compare(other, np.less_equal)
    def __gt__(self, other): return self._compare(other, np.greater)
    def __ge__(self, other): return self._compare(other, np.greater_equal)

    # ``&``, ``|``, ``^`` and ``~`` of bool (or integer) Values, as PyTorch's: masks, with no gradient.
    def __and__(self, other): return self._compare(other, np.bitwise_and)
    def __rand__(self, other): return self._compare(other, np.bitwise_and)
    def __or__(self, other): return self._compare(other, np.bitwise_or)
    def __ror__(self, other): return self._compare(other, np.bitwise_or)
    def __xor__(self, other): return self._compare(other, np.bitwise_xor)
    def __rxor__(self, other): return self._compare(other, np.bitwise_xor)

    def __invert__(self) -> Value:
        if self.dtype.kind not in "biu":
            raise TypeError(f"~: only bool and integer Values can be inverted, this one is {self.dtype}")
        return _new_value(np.invert(self.data))

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
        if self.data.dtype.kind == "b":
            raise TypeError("argmax: PyTorch has no argmax of bools; got bool. Convert first, as in x.to(np.int64)")
        return _new_value(np.argmax(self.data, axis=axis if self.ndim else None, keepdims=keepdims))

    def log_softmax(self, axis: int = -1, *, dim=None) -> Value:
        axis = _axis(None if dim is not None else axis, dim)
        check_dim("log_softmax", "axis", axis, self.ndim)
        return apply(ops.LogSoftmax(axis), self)

    def softmax(self, axis: int = -1, *, dim=None) -> Value:
        axis = _axis(None if dim is not None else axis, dim)
        check_dim("softmax", "axis", axis, self.ndim)
        return apply(ops.Softmax(axis), self)

    def where(self, condition: Any, other: Any) -> Value:
        """This Value where ``condition`` holds, ``other`` elsewhere: PyTorch's ``x.where(condition, y)``,
        ``torch.where(condition, x, y)``. The condition (bool: a comparison, say) has no gradient."""
        condition = condition.data if isinstance(condition, Value) else np.asarray(condition)
        if condition.dtype.kind != "b":
            raise TypeError(f"where: condition must be bool (a comparison such as x > 0), got {condition.dtype}")
        return apply(ops.Where(condition), self, _lift(other, self))

    def expand(self, *sizes) -> Value:
        """This Value broadcast to ``sizes``, as PyTorch's ``expand``: an axis of size 1 is repeated, new axes
        come first, and -1 keeps an axis's size. Here the result is a new array, not a view."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        check_ints("expand", "sizes", sizes)
        added = len(sizes) - self.ndim
        if added < 0 or any(n < 0 for n in sizes[:added]):
            raise ValueError(f"expand: sizes {sizes} must name every axis of a Value of shape {self.shape} "
                             f"(new axes first, with sizes of at least 0)")
        shape = tuple(self.shape[i - added] if i >= added and n == -1 else n for i, n in enumerate(sizes))
        return apply(ops.Expand(shape), self)

    def swapaxes(self, axis0: int, axis1: int) -> Value:
        """The two axes swapped: ``transpose(axis0, axis1)`` (numpy's and PyTorch's name)."""
        return self.transpose(axis0, axis1)

    def new_zeros(self, *size) -> Value:
        """A Value of zeros of ``size``, in this Value's dtype, that requires no grad, as PyTorch's ``new_zeros``."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        check_ints("new_zeros", "size", size)
        return _new_value(np.zeros(size, dtype=self.dtype))

    def reshape(self, *shape) -> Value:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        check_ints("reshape", "shape", shape)
        return _view(ops.Reshape(shape), self)

    def transpose(self, dim0: int | None = None, dim1: int | None = None) -> Value:
        """``transpose(dim0, dim1)`` swaps two axes, as in PyTorch; ``transpose()`` reverses them all."""
        if dim0 is None and dim1 is None:
            return _view(ops.Transpose(None), self)
        check_dim("transpose", "dim0", dim0, self.ndim)
        check_dim("transpose", "dim1", dim1, self.ndim)
        if self.ndim == 0:  # a 0-d Value's one axis, 0 or -1, swapped with itself
            return _view(ops.Transpose(None), self)
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return _view(ops.Transpose(tuple(axes)), self)

    def permute(self, *axes) -> Value:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        check_ints("permute", "dims", axes)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)) or not all(
                -self.ndim <= a < self.ndim for a in axes):
            raise ValueError(f"permute: dims must order the {self.ndim} axes of a Value of shape {self.shape}, "
                             f"each once, got {axes}")
        return _view(ops.Transpose(tuple(axes)), self)

    @property
    def T(self) -> Value:
        return _view(ops.Transpose(None), self)

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


class View(Value):
    """A Value whose numbers are another Value's (views.py): ``x[0:2]``, ``x.T``, ``x.reshape(...)``,
    ``x.detach()``. It counts their changes with their owner: its ``_version`` is the owner's."""

    __slots__ = ("_owner", "_base", "_view_ops", "__weakref__")

    @property
    def _version(self) -> int:
        return self._owner._version

    @_version.setter
    def _version(self, version: int) -> None:
        self._owner._version = version


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A new leaf Value, as ``torch.tensor``: Python floats become float32, ints int64."""
    return Value(data, requires_grad=requires_grad, dtype=dtype)


# ---------------------------------------------------------------- making Values

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


def _view(op: ops.Function, base: Value) -> Value:
    """``apply(op, base)`` for reshape, transpose and indexing: where numpy's result is a view of
    base's numbers, so is the Value's, sharing base's version count (views.py)."""
    if type(op) is ops.Transpose and base.data.ndim:  # speed: _transposed, below
        return _transposed(op, base)
    out = apply(op, base)
    if base.data.ndim == 0:  # apply hands forward a 0-d array's number, a copy; the view is of the array
        out.data = op.forward(base.data)
    if out.data.base is None or not views.is_view_of(out.data, base.data):  # a new array has no base
        return out
    return _shared(out, base, view_op=op)


# speed: a transpose (every Linear's W.T) made a View at once, as _view makes it (tests/test_views.py); see
# benchmarks/README.md

def _transposed(op: ops.Transpose, base: Value) -> View:
    out = View.__new__(View)
    out.data, out._grad, out.name = op.forward(base.data), None, None  # numpy's transpose: always a view
    if base._requires_grad and _grad_mode.enabled:
        op._first_input, op._second_input, op.needs_input_grad = base, None, (True,)
        op.versions = base._version << 64 | base._version
        out._op, out._requires_grad = op, True
    else:
        out._op, out._requires_grad = None, False
    leaf_requiring_grad = base._op is None and base._requires_grad and base._base is None
    _share(out, base, op, register=not leaf_requiring_grad)  # views.unregistered says why
    return out


def _shared(value: Value, base: Value, view_op: ops.Function | None = None) -> View:
    """``value`` as a View of ``base``'s numbers (views.py): a view taken by ``view_op``, or with
    ``view_op`` None a detached Value."""
    out = View.__new__(View)
    out.data, out._grad, out._op, out._requires_grad, out.name = (value.data, value._grad, value._op,
                                                                   value._requires_grad, value.name)
    _share(out, base, view_op)
    return out


def _share(out: View, base: Value, view_op: ops.Function | None, register: bool = True) -> None:
    """``out`` shares ``base``'s numbers and version count: as a view taken by ``view_op``, or detached.
    (``register`` False: see ``views.unregistered``.)"""
    owner = base if base._owner is None else base._owner
    out._owner, out._base, out._view_ops = owner, None, None
    if view_op is not None:
        out._base = base if base._base is None else base._base
        taken = () if base._base is None else base._view_ops  # None: base was taken inside no_grad
        if taken is not None and _grad_mode.enabled:
            out._view_ops = taken + (view_op,)
        if register:
            views.register(out, owner)


def _record_assignment(x: Value, index, v: Value) -> None:
    """``x[index] = v`` in a graph (in_place.py): new history for the Value whose numbers x's are
    (x, or the base that x is a view of) and for every view of it alive (views.py), as in PyTorch.
    Each gets a Value that takes over its history from before (recording.py); the base's
    operation becomes IndexPut(that Value, v), and each view's: the base's numbers at its places."""
    base = x if x._base is None else x._base
    op = ops.IndexPut(index if x is base else views.positions(x, index), in_place=True)
    try:
        written = op.forward(base.data, v.data)  # a copy with v written in: numpy checks the index and the shapes
    except (IndexError, ValueError) as error:
        raise type(error)(f"x[index] = v: {error}") from None
    alive = views.live_views(base)
    if any(view._view_ops is None for view in alive):
        raise RuntimeError("x[index] = v: a view of x (or of the Value x is a view of) was taken inside no_grad; "
                           "PyTorch forbids changing it in place with grad mode enabled (ambiguous and "
                           "error-prone). Take the view and write both inside tg.no_grad(), or both outside")
    was = {id(value): _as_it_was(value) for value in (base, *alive)}
    np.copyto(base.data, written)
    base._version += 1  # and so every view's, and those of the Values as they were (views.py)
    _take_place(base, op, was[id(base)], was.get(id(v), v))  # v is x, or a view of base: as it was
    for view in alive:
        picked = apply(ops.Index(views.positions(view)), base)  # base's new numbers at the view's places
        written_over = ops.IndexPut(..., in_place=True)
        written_over.forward(view.data, picked.data)  # what backward needs of the shapes
        _take_place(view, written_over, was[id(view)], picked)


def _as_it_was(value: Value) -> View:
    """A Value that takes over ``value``'s history, sharing its numbers and their version count."""
    old = _shared(_new_value(value.data, value._op), value)
    old._requires_grad, old.name = value._requires_grad, value.name
    return old


def _take_place(value: Value, op: ops.IndexPut, old: Value, v: Value) -> None:
    """``value``'s new history: ``op`` of ``old`` (value as it was) and ``v``."""
    op.record((old, v), (old._requires_grad, v._requires_grad))
    value._op, value._requires_grad, value._grad = op, True, None


def _lift(other: Any, like: Value) -> Value:
    """Make an operand a Value. A Python number takes ``like``'s dtype unless it is of
    a wider kind, as in PyTorch: ``x * 2`` keeps a float32 ``x`` float32 and an int32
    ``x`` int32, while ``int32 * 0.5`` and ``bool * 2`` take the default float32 and int64."""
    if isinstance(other, Value):
        return other
    if isinstance(other, (int, float)):  # numpy's float64 is a float, and a bool an int
        if type(other) is bool:  # the narrowest kind: x + True keeps x's dtype, and x - True is refused
            return _new_value(np.asarray(other))
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(other, float)):
            try:
                return _new_value(np.asarray(other, dtype=like.data.dtype))
            except OverflowError:  # uint8 - -1: an int64 then, whose result PyTorch's dtype rule makes uint8
                pass
    return Value(other)


def initial_grad(root: Value, gradient: Any, create_graph: bool = False, function: str = "backward",
                 name: str = "this Value", argument: str = "gradient") -> np.ndarray | Value:
    """dL/d(root) to start backward from, checked: ``gradient`` in root's shape and dtype (1 if left
    out), as an array; with ``create_graph`` as a Value (a given Value keeps its graph, so that what
    is computed from it can be differentiated with respect to it too). ``function``, ``name`` and
    ``argument`` say in an error what was called with what."""
    if not root._requires_grad:
        raise RuntimeError(f"{function}: {name} does not require grad and has no operation "
                           "that does; set requires_grad=True on an input (and compute outside no_grad)")
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"{function}: a gradient can be created implicitly only for a single-element "
                               f"Value; {name} has shape {root.shape}, so pass {argument}=")
        # dL/dL = 1 in the root's shape and dtype. speed: not np.ones, which is Python-level.
        seed = np.array(1, dtype=root.data.dtype).reshape(root.shape)
        return Value(seed) if create_graph else seed
    if create_graph and isinstance(gradient, Value):
        check_gradient_dtype(function, argument, gradient.dtype, gradient)
        if gradient.shape != root.shape:
            raise ValueError(f"{function}: {argument} of shape {gradient.shape} does not match the shape "
                             f"{root.shape} of {name}")
        return gradient if gradient.dtype == root.dtype else gradient.to(root.dtype)
    seed = grad_array(function, gradient.data if isinstance(gradient, Value) else gradient, root.data.dtype,
                      argument)
    if seed.shape != root.shape:
        raise ValueError(f"{function}: {argument} of shape {seed.shape} does not match the shape {root.shape} "
                         f"of {name}")
    return Value(seed) if create_graph else seed


def _index_data(index):
    """An index as numpy reads it: Values in it replaced by their data."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Value) else i for i in index)
    return index.data if isinstance(index, Value) else index


def _axis(axis, dim):
    """Reductions take numpy's ``axis`` or PyTorch's ``dim``."""
    return dim if axis is None else axis


def _forward(op: ops.Function, inputs: tuple) -> np.ndarray:
    """``op.forward`` on the inputs' data, with the result in the dtype PyTorch gives it, or
    PyTorch's refusal of the inputs' dtypes. Plainly::

        arrays = [value.data for value in inputs]
        check_dtypes(op, arrays)  # a TypeError where PyTorch refuses them (bool − x, the mean of integers)
        data = op.forward(*arrays)  # a ValueError names the operation and the inputs' shapes
        if type(op) is not ops.Cast:  # Cast's dtype is its argument
            data = forward_in_torch_dtype(op, arrays, data)

    speed: a 0-d array goes to ``forward`` as its numpy scalar (the same number, computed faster),
    and the dtypes are checked, and PyTorch's looked up, only where the inputs and the result are
    not all floats of one dtype (else PyTorch's is numpy's), which a numpy scalar's type tells
    faster than its ``.dtype``; see benchmarks/README.md.
    """
    arrays = [value.data if value.data.ndim else value.data[()] for value in inputs]
    try:
        data = op.forward(*arrays)
    except ValueError as error:
        shapes = " and ".join(str(value.shape) for value in inputs)
        raise ValueError(f"{op.name}: cannot apply to shapes {shapes}: {error}") from None
    except (TypeError, OverflowError):  # numpy refuses some of what PyTorch refuses (−bool): say it PyTorch's way
        check_dtypes(op, arrays)
        raise
    first, last = arrays[0], arrays[-1]
    if type(first) is np.ndarray:
        dtype = first.dtype
        same = dtype.kind == "f" and data.dtype is dtype and (last is first or last.dtype is dtype)
    else:
        kind = type(first)
        same = kind in FLOAT_SCALARS and type(last) is kind and (type(data) is kind or data.dtype is first.dtype)
    if not same:
        check_dtypes(op, arrays)
        if type(op) is not ops.Cast:
            data = forward_in_torch_dtype(op, arrays, data)
    return data
