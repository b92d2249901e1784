"""Every differentiable operation, with its derivative.

Read this file top to bottom as a table of derivatives. Each operation is a
small class:

* ``forward(*arrays)`` computes the output from numpy arrays and saves what
  the derivative will need (``Function``'s docstring has the full contract);
* ``backward(grad)`` receives ``grad = dL/d(output)`` and returns
  ``dL/d(input)`` for every input, by the chain rule
  ``dL/dx = dL/dout * dout/dx``. The docstring states ``dout/dx``.

The classes know nothing about ``Value``: ``value.py`` calls ``forward`` when
it builds the graph and ``autograd.py`` calls ``backward`` when it walks it
back. ``OPS`` at the bottom lists every operation, so tests can check them all.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .printing import format_array

RULE_ELEMENTS = 12  # a rule prints arrays up to this many elements; bigger ones only as a summary


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` back to ``shape``, undoing numpy broadcasting.

    If x of shape (3, 1) was broadcast to (2, 3, 4), each element of x was used
    2 * 4 times, so its gradient is the sum over the copies: sum over the
    leading axis that broadcasting added, and over the axis where x had size 1.
    """
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if grad.shape[added:] == shape:  # only leading axes were added (a bias, say): no reshape needed
        return grad.sum(axis=tuple(range(added)))
    stretched = tuple(i + added for i, n in enumerate(shape) if n == 1 and grad.shape[i + added] != 1)
    grad = grad.sum(axis=tuple(range(added)) + stretched, keepdims=True)
    return grad.reshape(shape)


def _normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes.

    None and () both mean every axis, as PyTorch's ``dim=()`` does (numpy's ``axis=()``
    reduces none); a 0-d array accepts axis 0 and -1, and they reduce nothing.
    """
    if axis is None or (isinstance(axis, (tuple, list)) and not axis):  # PyTorch: dim=() means all, too
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0 and all(a in (0, -1) for a in axes):  # a 0-d array has the one axis 0 (or -1), as in PyTorch
        return ()
    for a in axes:
        if not -ndim <= a < ndim:  # a bare ``a % ndim`` would quietly reduce the wrong axis
            raise ValueError(f"axis {a} is out of range for an array with {ndim} dimensions")
    return tuple(sorted(int(a) % ndim for a in axes))


def _expand_reduced(grad: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """Give a reduction's gradient its axes back (size 1), then spread it over the input's shape.

    ``keepdims`` needs no test: a kept axis already has size 1, and reshaping to the
    same shape changes nothing. The result is a new array filled by broadcasting,
    not ``np.broadcast_to``'s view: numpy's expand_dims and broadcast_to are
    Python-level functions that together cost ten times more than this for small
    arrays, and the next operation would make the full-size array anyway.
    """
    kept = tuple(1 if axis in axes else size for axis, size in enumerate(shape))
    spread = np.empty(shape, dtype=grad.dtype)
    spread[...] = grad.reshape(kept)
    return spread


class Function:
    """One operation in the graph: the contract every class below keeps.

    ``forward(*arrays)`` receives the inputs' data as numpy arrays, or as numpy
    scalars (``np.float64(2.0)``) for 0-d data, which ``value.apply`` passes for
    speed; both have ``.shape``, ``.dtype`` and numpy's arithmetic, so the same code
    serves. It returns the output as an array or a numpy scalar.

    ``forward`` may run twice on the same object: when integers meet floats,
    ``apply`` runs it again on inputs converted to PyTorch's result dtype. So it
    sets, rather than adds to, what it saves; and a copy of it may run again on
    broadcast inputs (``viz.trace`` does, for the local derivative).

    What it may keep on ``self`` (in ``__slots__``): its constructor's arguments
    (which ``forward`` may normalise, as Sum does its axes, if a second run
    gives the same), and what ``backward`` needs: the input arrays, the output,
    shapes. It must not change a saved array in place: the arrays are the Values'
    own data. ``apply`` adds ``parents`` (the input Values),
    ``needs_input_grad`` (whether each requires grad) and, if ``saved`` below is
    not empty, ``versions`` (their ``_version``s) when it records the operation
    in the graph, and only then.

    ``backward(grad)`` receives dL/d(output) (an array or numpy scalar of the
    output's shape) and returns a tuple with one entry per input: dL/d(input), in
    that input's shape (summed back over broadcasting), or None, which it may
    return only where ``needs_input_grad`` is False (that gradient would be thrown
    away). It may be called any number of times (``backward()`` twice, the trace's
    unit vectors) and must leave ``self`` as it found it.
    """

    # Two slots instead of a ``parents`` tuple, for the garbage collector (benchmarks/README.md).
    __slots__ = ("_first_input", "_second_input", "needs_input_grad", "versions")

    name = "function"  # the label graphs and traces show

    # What ``backward`` reads of the Values' data (PyTorch's saved tensors): for the
    # gradient of each input, the inputs it reads (by position; -1 is the output).
    # Mul's gradient for a is grad·b, so ``saved = ((1,), (0,))``. When a Value that
    # is read has been changed in place since the operation was recorded, backward
    # would compute with the new numbers; ``autograd.check_versions`` refuses that,
    # comparing with the ``versions`` value.apply records (inputs' ``_version``).
    saved: tuple = ()

    # ``versions`` is the first and the last input's ``_version`` in one int,
    # ``first << 64 | last`` (exact: no Value is changed 2⁶⁴ times). A tuple would be one
    # more object per operation for the garbage collector to track; this is none (0 is
    # Python's shared small int), and benchmarks/scalar.py's step is 3% faster for it.

    @property
    def parents(self) -> tuple:
        """The input Values, in order."""
        second = self._second_input
        return (self._first_input,) if second is None else (self._first_input, second)

    @parents.setter
    def parents(self, inputs: tuple) -> None:
        if not 1 <= len(inputs) <= 2:
            raise ValueError(f"{self.name}: an operation takes one or two input Values, got {len(inputs)}")
        self._first_input = inputs[0]
        self._second_input = inputs[1] if len(inputs) == 2 else None

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple:
        raise NotImplementedError

    def rule(self, argument: int, out: str, inputs: tuple[str, ...]) -> Rule | None:
        """The local derivative d(out)/d(input ``argument``) as a formula in the Values' names
        (``out``, ``inputs``), with its numbers, from what ``forward`` saved; call it after
        ``forward``. None for an operation that does not say (a learner's own): the
        backward page then shows the chain rule's numbers only."""
        return None


class Rule(NamedTuple):
    """One operation's local derivative d(out)/d(input), as a lecture writes it beside the chain rule.

    ``formula`` is written in the Values' names (``ŷ·(1 − ŷ)``), ``numbers`` is
    the same with their numbers put in (empty when the formula is a constant,
    such as ``1``), and ``value`` is what it comes to: one element per output
    element for elementwise operations (per pair of elements for softmax), the
    other operand for matmul. A re-layout (transpose, reshape, index) does no
    arithmetic: its ``value`` is None and its ``formula`` says how dL/d(output)
    is put back into the input's layout.
    """

    formula: str
    numbers: str
    value: np.ndarray | None


def _numbers(array) -> str:
    """An array on one line as the repr prints it, or "" when it is too long to read in a formula."""
    array = np.asarray(array)
    if array.size > RULE_ELEMENTS:
        return ""
    return " ".join(line.strip() for line in format_array(array, precision=4).splitlines())


def _filled(template: str, *arrays) -> str:
    """``template`` with the arrays' numbers in its ``{}``, or "" when one of them is too long to print."""
    texts = [_numbers(array) for array in arrays]
    return template.format(*texts) if all(texts) else ""


def _spread(value, shape: tuple) -> np.ndarray:
    """``value`` broadcast to the output's shape: one local derivative per output element."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), shape)


def _constant(text: str, shape: tuple) -> Rule:
    """A local derivative that is the same number everywhere, such as 1 for add."""
    return Rule(text, "", _spread(float(text.replace("−", "-")), shape))


def _softmax_jacobian(p: np.ndarray, axis: int, log: bool) -> np.ndarray:
    """d(out)/d(x) of softmax (pᵢ(δᵢⱼ − pⱼ)) or log_softmax (δᵢⱼ − pⱼ) from p = softmax(x), shape
    out.shape + x.shape: along ``axis`` a c × c block per position, 0 between different positions."""
    p = np.asarray(p, dtype=np.float64)
    moved = np.moveaxis(p, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])  # one row of c probabilities per position
    eye = np.eye(rows.shape[1])
    blocks = eye - rows[:, np.newaxis, :] if log else rows[:, :, np.newaxis] * (eye - rows[:, np.newaxis, :])
    jacobian = np.zeros((len(rows), rows.shape[1], len(rows), rows.shape[1]))
    positions = np.arange(len(rows))
    jacobian[positions, :, positions, :] = blocks
    jacobian = jacobian.reshape(moved.shape + moved.shape)
    return np.moveaxis(jacobian, (p.ndim - 1, 2 * p.ndim - 1), (axis % p.ndim, p.ndim + axis % p.ndim))


def _shared(formula: str, numbers: str, reduction: str, total) -> tuple[str, str]:
    """A loss's formula with its 'mean' share, ``/ n``, written in (only when n is not 1)."""
    if reduction != "mean" or total == 1:
        return formula, numbers
    return f"({formula}) / {total:g}", f"({numbers}) / {total:g}" if numbers else ""


# ---------------------------------------------------------------- arithmetic

class Add(Function):
    """out = a + b.   dout/da = 1,   dout/db = 1."""

    __slots__ = ("a_shape", "b_shape")
    name = "add"

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)

    def rule(self, argument, out, inputs):
        return _constant("1", np.broadcast_shapes(self.a_shape, self.b_shape))


class Sub(Function):
    """out = a - b.   dout/da = 1,   dout/db = -1."""

    __slots__ = ("a_shape", "b_shape")
    name = "sub"

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)

    def rule(self, argument, out, inputs):
        return _constant(("1", "−1")[argument], np.broadcast_shapes(self.a_shape, self.b_shape))


class Mul(Function):
    """out = a * b.   dout/da = b,   dout/db = a."""

    __slots__ = ("a", "b")
    name = "mul"
    saved = ((1,), (0,))

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return unbroadcast(grad * self.b, self.a.shape), unbroadcast(grad * self.a, self.b.shape)

    def rule(self, argument, out, inputs):
        other = (self.b, self.a)[argument]
        shape = np.broadcast_shapes(self.a.shape, self.b.shape)
        return Rule(inputs[1 - argument], _numbers(other), _spread(other, shape))


class Div(Function):
    """out = a / b.   dout/da = 1/b,   dout/db = -a/b² = -out/b."""

    __slots__ = ("b", "out", "a_shape")
    name = "div"
    saved = ((1,), (1, -1))

    def forward(self, a, b):
        self.a_shape, self.b = a.shape, b
        self.out = a / b
        return self.out

    def backward(self, grad):
        grad_a = grad / self.b
        return unbroadcast(grad_a, self.a_shape), unbroadcast(-grad_a * self.out, self.b.shape)

    def rule(self, argument, out, inputs):
        shape = self.out.shape
        if argument == 0:
            return Rule(f"1/{inputs[1]}", _filled("1/{}", self.b), _spread(1 / self.b, shape))
        return Rule(f"−{out}/{inputs[1]}", _filled("−{}/{}", self.out, self.b), _spread(-self.out / self.b, shape))


class Neg(Function):
    """out = -a.   dout/da = -1."""

    __slots__ = ()
    name = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)

    def rule(self, argument, out, inputs):
        return _constant("−1", ())  # nothing saved, nothing needed: the same −1 for every element


class Pow(Function):
    """out = a ** b.   dout/da = b·a^(b-1),   dout/db = a^b·ln(a) = out·ln(a).

    Each derivative is computed only when its input requires grad: the
    exponent's needs ln(a), defined only for a > 0 (``x ** 2`` never asks for
    it), and for a constant base such as ``2 ** x`` the base's would be wasted.
    Two limits are taken as PyTorch takes them, where the formulas give 0·∞:
    a^0 = 1 for every a, so dout/da = 0 where b = 0 (also at a = 0); and
    0^b = 0 for every b > 0, so dout/db = 0 where a = 0 and b ≥ 0.
    """

    __slots__ = ("a", "b", "out")
    name = "pow"
    saved = ((0, 1), (0, 1, -1))

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = grad_b = None
        # The limits are chosen by np.where after the formula has been
        # evaluated everywhere, so the 0·∞ it throws away must not warn.
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                grad_a = unbroadcast(np.where(b == 0, 0, grad * b * a ** (b - 1)), a.shape)
            if self.needs_input_grad[1]:
                edge = (a == 0) & (b >= 0)
                grad_b = unbroadcast(np.where(edge, 0, grad * self.out * np.log(a)), b.shape)
        return grad_a, grad_b

    def rule(self, argument, out, inputs):
        a, b, shape = self.a, self.b, np.shape(self.out)
        with np.errstate(divide="ignore", invalid="ignore"):  # the limits of backward, chosen by np.where
            if argument == 0:
                return Rule(f"{inputs[1]}·{inputs[0]}^({inputs[1]} − 1)", _filled("{0}·{1}^({0} − 1)", b, a),
                            _spread(np.where(b == 0, 0, b * a ** (b - 1)), shape))
            edge = (a == 0) & (b >= 0)
            return Rule(f"{out}·ln {inputs[0]}", _filled("{}·ln {}", self.out, a),
                        _spread(np.where(edge, 0, self.out * np.log(a)), shape))


class MatMul(Function):
    """out = a @ b.   dL/da = dL/dout @ bᵀ,   dL/db = aᵀ @ dL/dout.

    A 1-D a is treated as a row (1, n) and a 1-D b as a column (n, 1), as
    numpy's matmul does; batch dimensions broadcast and are summed back.
    Each product is computed only for inputs that require grad: for a first
    layer ``x @ W`` the gradient with respect to the data x is never wanted.
    """

    __slots__ = ("a", "b")
    name = "matmul"
    saved = ((1,), (0,))

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        a2 = a[np.newaxis, :] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        # b's axis first: for vector @ vector the output grad is 0-d, and only after
        # gaining b's column axis does it have an axis -2 for a's row.
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            if grad.ndim == a2.ndim == b2.ndim == 2 and not b2.flags.c_contiguous and b2.flags.f_contiguous:
                # b is a transposed view, as W.T in Linear's x @ W.T: (gradᵀ @ a)ᵀ is the same
                # product, but laid out as b is, so that W's gradient comes back row-major like W
                # and the optimizer's update streams through memory instead of striding across it.
                grad_b = (grad.swapaxes(-1, -2) @ a2).swapaxes(-1, -2)
            else:
                grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    def rule(self, argument, out, inputs):
        # Each element of dL/da sums dL/dout times b over the shared axis: the local factor is b itself.
        other = (self.b, self.a)[argument]
        return Rule(inputs[1 - argument], _numbers(other), np.asarray(other))


# ---------------------------------------------------------------- elementwise functions

class Exp(Function):
    """out = eˣ.   dout/dx = eˣ = out."""

    __slots__ = ("out",)
    name = "exp"
    saved = ((-1,),)

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)

    def rule(self, argument, out, inputs):
        return Rule(f"e^{inputs[0]} = {out}", "", np.asarray(self.out))


class Log(Function):
    """out = ln x.   dout/dx = 1/x."""

    __slots__ = ("x",)
    name = "log"
    saved = ((0,),)

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)

    def rule(self, argument, out, inputs):
        return Rule(f"1/{inputs[0]}", _filled("1/{}", self.x), np.asarray(1 / self.x))


class Relu(Function):
    """out = max(x, 0).   dout/dx = 1 if x > 0 else 0.

    At exactly x = 0 the derivative does not exist; like PyTorch we use 0,
    which the strict ``x > 0`` gives. x > 0 exactly where out > 0, so backward
    reads the output, as PyTorch's does.
    """

    __slots__ = ("out",)
    name = "relu"
    saved = ((-1,),)

    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, grad):
        # Chosen, not multiplied by the mask: where relu is flat, an infinite upstream
        # gradient (from √out at out = 0, say) must give 0, not ∞·0 = nan.
        out = self.out
        if type(out) is not np.ndarray:  # a 0-d Value's numpy scalar (see value.apply): a branch is cheapest
            return (grad if out > 0 else type(out)(0),)  # out's type is grad's dtype (backward casts grad)
        # With a finite upstream the product by the mask is the same, at an eighth of np.where's cost
        # (20 µs against 140 on benchmarks/mnist_scale.py's 256×256; the test costs 6).
        if np.isfinite(grad).all():
            return (grad * (out > 0),)
        return (np.where(out > 0, grad, 0),)

    def rule(self, argument, out, inputs):
        return Rule(f"1 where {inputs[0]} > 0, else 0", "", np.asarray(self.out > 0, dtype=np.float64))


class Sigmoid(Function):
    """out = σ(x) = 1 / (1 + e⁻ˣ).   dout/dx = σ(x)·(1 − σ(x)) = out·(1 − out).

    e⁻ˣ overflows for x = -1000, so we only ever exponentiate -|x|:
    σ(x) = 1/(1 + e^-|x|) for x ≥ 0 and e^-|x|/(1 + e^-|x|) for x < 0.
    """

    __slots__ = ("out",)
    name = "sigmoid"
    saved = ((-1,),)

    def forward(self, x):
        e = np.exp(-1 * np.abs(x))  # not −|x|: numpy cannot negate a bool, and PyTorch takes σ of bools
        self.out = np.where(x >= 0, 1, e) / (1 + e)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)

    def rule(self, argument, out, inputs):
        return Rule(f"{out}·(1 − {out})", _filled("{0} · (1 − {0})", self.out),
                    np.asarray(self.out * (1 - self.out)))


class Tanh(Function):
    """out = tanh x.   dout/dx = 1 − tanh²x = 1 − out²."""

    __slots__ = ("out",)
    name = "tanh"
    saved = ((-1,),)

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)

    def rule(self, argument, out, inputs):
        return Rule(f"1 − {out}²", _filled("1 − {}²", self.out),
                    np.asarray(1 - self.out * self.out))


class Cast(Function):
    """out = x converted to another dtype.   dout/dx = 1 (the gradient is cast back)."""

    __slots__ = ("dtype", "x_dtype")
    name = "cast"

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        return (grad.astype(self.x_dtype),)

    def rule(self, argument, out, inputs):
        return _constant("1", ())  # the gradient is only cast back to the input's dtype


# ---------------------------------------------------------------- reductions

class Sum(Function):
    """out = Σᵢ xᵢ over ``axis``.   dout/dxᵢ = 1: every summed element gets the gradient."""

    __slots__ = ("axis", "keepdims", "x_shape")
    name = "sum"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axis = _normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        return (_expand_reduced(grad, self.axis, self.keepdims, self.x_shape),)

    def rule(self, argument, out, inputs):
        return _constant("1", self.x_shape)


class Mean(Function):
    """out = (1/n) Σᵢ xᵢ over ``axis``, n elements.   dout/dxᵢ = 1/n."""

    __slots__ = ("axis", "keepdims", "x_shape", "count")
    name = "mean"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axis = _normalize_axes(self.axis, x.ndim)
        self.count = math.prod(x.shape[a] for a in self.axis)
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            # For float32 and float64 this is np.mean's own arithmetic (a sum, then one
            # division), without its Python-level wrapper, which costs more than the sum.
            return x.sum(axis=self.axis, keepdims=self.keepdims) / self.count
        return x.mean(axis=self.axis, keepdims=self.keepdims)  # integers and float16 are summed in a wider type

    def backward(self, grad):
        return (_expand_reduced(grad / self.count, self.axis, self.keepdims, self.x_shape),)

    def rule(self, argument, out, inputs):
        return Rule(f"1/n = 1/{self.count}", "", _spread(1 / self.count, self.x_shape))


class Max(Function):
    """out = maxᵢ xᵢ over ``axis`` (one axis, or all).   dout/dxᵢ = 1/k for each of the k elements
    equal to the maximum, else 0.

    That is PyTorch's rule for the maximum of all elements (``x.max()``, and
    ``amax``): ties share the gradient. Along an axis, ``x.max(dim)`` gives
    PyTorch's values *and* indices, and its gradient goes to the index alone:
    the first of the tied elements, which is numpy's ``argmax`` here too.
    When the maximum is NaN, the NaN elements share the gradient, as in PyTorch.
    """

    __slots__ = ("axis", "keepdims", "x_shape", "index")
    name = "max"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = np.shape(x)
        if self.axis is None:
            out = x.max()
            self.index = np.isnan(x) if np.isnan(out) else x == out  # the tied elements
            return np.reshape(out, (1,) * x.ndim) if self.keepdims else np.asarray(out)
        self.index = np.argmax(x, axis=self.axis, keepdims=True)
        out = np.take_along_axis(x, self.index, axis=self.axis)
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        if self.axis is None:  # np.where, not mask·grad: an infinite grad must not make ∞·0 = nan
            share = np.reshape(grad, ()) / np.count_nonzero(self.index)
            return (np.where(self.index, share, 0).astype(grad.dtype, copy=False),)
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        if not self.keepdims:
            grad = np.expand_dims(grad, self.axis)
        np.put_along_axis(dx, self.index, grad, axis=self.axis)
        return (dx,)

    def rule(self, argument, out, inputs):
        shape = np.shape(self.index) if self.axis is None or self.keepdims else np.squeeze(self.index, self.axis).shape
        return Rule(f"1 where {inputs[0]} is the maximum (shared among ties), else 0", "",
                    self.backward(np.ones(() if self.axis is None else shape))[0])


# ---------------------------------------------------------------- shape

class Reshape(Function):
    """out = x with a new shape.   The gradient is reshaped back."""

    __slots__ = ("shape", "x_shape")
    name = "reshape"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad):
        return (grad.reshape(self.x_shape),)

    def rule(self, argument, out, inputs):
        return Rule(f"dL/d{out} reshaped back to {self.x_shape}", "", None)


class Transpose(Function):
    """out = x with its axes permuted.   The gradient is permuted back by the inverse permutation."""

    __slots__ = ("axes",)
    name = "transpose"

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:  # reverse every axis (``.T``): already non-negative
            self.axes = tuple(range(x.ndim - 1, -1, -1))
            return x.transpose()
        out = x.transpose(self.axes)  # checks the axes
        # Non-negative axes, so that argsort in backward gives the inverse permutation.
        self.axes = tuple(int(a) % x.ndim for a in self.axes)
        return out

    def backward(self, grad):
        # The inverse permutation is the argsort of the axes, written in plain Python:
        # numpy's argsort of a short tuple costs more than the transpose itself.
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return (grad.transpose(inverse),)

    def rule(self, argument, out, inputs):
        if self.axes == tuple(range(len(self.axes) - 1, -1, -1)):
            return Rule(f"(dL/d{out})ᵀ", "", None)
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return Rule(f"dL/d{out} with its axes permuted by {inverse}", "", None)


def _is_integer(index) -> bool:
    """An int, a numpy integer or a 0-d integer array (not a bool: True indexes as a mask)."""
    if isinstance(index, np.ndarray):
        return index.ndim == 0 and index.dtype.kind in "iu"
    return isinstance(index, (int, np.integer)) and not isinstance(index, bool)


def _split_integers(index) -> tuple | None:
    """PyTorch's reading of an index that mixes integers with index arrays, as two numpy indices.

    numpy counts an integer as one more index array, and when index arrays are
    separated by a slice, their axes go first: ``x[0, :, [1, 2]]`` of a (2, 3, 4)
    x has shape (2, 3). PyTorch takes the integers first, as plain selections
    (shape (3, 4) here), and only then the index arrays (shape (3, 2)). So: first
    the integers, with every other position kept whole; then the rest. None if
    the index has no integer or no index array, where the two rules agree.
    """
    if not isinstance(index, tuple) or not any(map(_is_integer, index)):
        return None
    if not any(isinstance(i, (list, np.ndarray)) and np.ndim(i) > 0 for i in index):
        return None
    integers, rest = [], []
    for i in index:
        if _is_integer(i):
            integers.append(int(i))
        elif i is None:  # a new axis: made by the first index, kept whole by the second
            integers.append(None)
            rest.append(slice(None))
        elif i is Ellipsis or isinstance(i, slice):
            integers.append(i if i is Ellipsis else slice(None))
            rest.append(i)
        else:  # an index array; a boolean one spans as many axes as it has dimensions
            spans = np.ndim(i) if np.asarray(i).dtype == bool else 1
            integers.extend([slice(None)] * spans)
            rest.append(i)
    return tuple(integers), tuple(rest)


def _without_ellipsis(index, ndim: int):
    """``index`` with its ``...`` written out as the slices it stands for (none, if it covers no axis).

    PyTorch places index arrays as numpy does, except that an ``...`` covering no
    axis does not keep them apart: ``x[:0, [0], ..., [0]]`` of a (1, 1, 1) x has
    shape (0, 1) in PyTorch and (1, 0) in numpy, which reads the ``...`` as a slice.
    With the slices written out, numpy's rule gives PyTorch's answer.
    """
    if index is Ellipsis:
        index = (Ellipsis,)
    if not isinstance(index, tuple) or not any(i is Ellipsis for i in index):
        return index
    used = sum(np.ndim(i) if isinstance(i, np.ndarray | list) and np.asarray(i).dtype == bool else 1
               for i in index if i is not None and i is not Ellipsis)
    at = next(position for position, i in enumerate(index) if i is Ellipsis)
    return index[:at] + (slice(None),) * max(ndim - used, 0) + index[at + 1:]


class Index(Function):
    """out = x[index].   Each selected element's gradient goes back to where it came from;
    an element selected twice (integer-array indexing) receives the sum of both.

    Integers mixed with index arrays are read as PyTorch reads them (``_split_integers``):
    ``x[0, :, [1, 2]]`` is ``x[0][:, [1, 2]]``.
    """

    __slots__ = ("index", "x_shape", "split")
    name = "index"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = np.shape(x)
        self.index = _without_ellipsis(self.index, len(self.x_shape))
        self.split = _split_integers(self.index)
        if self.split is not None:
            integers, rest = self.split
            return np.asarray(x[integers][rest])
        return np.asarray(x[self.index])

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        if self.split is not None:
            integers, rest = self.split
            np.add.at(dx[integers], rest, grad)  # dx[integers] is a view: add.at writes into dx
        else:
            np.add.at(dx, self.index, grad)  # unlike dx[index] += grad, add.at sums repeated indices
        return (dx,)

    def rule(self, argument, out, inputs):
        return Rule(f"dL/d{out} put back where {inputs[0]}[…] took it from, 0 elsewhere", "", None)


# ---------------------------------------------------------------- softmax family

class LogSoftmax(Function):
    """out = x − log Σⱼ e^xⱼ along ``axis``.   dL/dx = g − softmax(x) · Σⱼ gⱼ.

    Subtracting max(x) first changes nothing mathematically and keeps eˣ from
    overflowing for logits like 1000.
    """

    __slots__ = ("axis", "out")
    name = "log_softmax"
    saved = ((-1,),)

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True, initial=-np.inf)  # initial: an axis may be empty
        # An empty input is its own result: skipped, since an empty axis would give ln 0 (a warning).
        # (The test, not np.errstate, which costs more than this whole method on iris-sized data.)
        if not shifted.size:
            self.out = shifted
        else:
            self.out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)

    def rule(self, argument, out, inputs):
        return Rule(f"δᵢⱼ − softmax({inputs[0]})ⱼ", "", _softmax_jacobian(np.exp(self.out), self.axis, log=True))


class Softmax(Function):
    """out = e^xᵢ / Σⱼ e^xⱼ along ``axis``.   dL/dxᵢ = outᵢ · (gᵢ − Σⱼ gⱼ·outⱼ)."""

    __slots__ = ("axis", "out")
    name = "softmax"
    saved = ((-1,),)

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True, initial=-np.inf))  # initial: an axis may be empty
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)

    def rule(self, argument, out, inputs):
        return Rule(f"{out}ᵢ·(δᵢⱼ − {out}ⱼ)", "", _softmax_jacobian(self.out, self.axis, log=False))


# ---------------------------------------------------------------- losses
#
# A loss op ends in its reduction, as PyTorch's do, so a loss prints as
# ``grad_fn=<NllLossBackward0>`` like the slides' and its graph is one node.
# For reduction='mean' over n elements the output is (1/n)·Σᵢ lossᵢ, so each
# element's share of the incoming gradient g is g/n; for 'sum' it is g; for
# 'none' the gradient is already one number per element.

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str, total=None) -> np.ndarray:
    """Σᵢ lossᵢ / total ('mean'; total defaults to the number of elements), Σᵢ lossᵢ ('sum'), or the losses."""
    if reduction == "none":
        return losses
    summed = losses.sum()
    return summed / (losses.size if total is None else total) if reduction == "mean" else summed


def _share(grad: np.ndarray, reduction: str, total) -> np.ndarray:
    """Each element's share of the reduced loss's gradient: g/total for 'mean', else g."""
    return grad / total if reduction == "mean" else grad


class BinaryCrossEntropy(Function):
    """out = reduce(−(y·max(ln x, −100) + (1 − y)·max(ln(1 − x), −100))), for x, y in [0, 1].

    dlossᵢ/dxᵢ = (xᵢ − yᵢ) / max(xᵢ(1 − xᵢ), 1e-12),   dlossᵢ/dyᵢ = ln(1 − xᵢ) − ln xᵢ.

    The clamp at −100 is PyTorch's: a prediction of exactly 0 or 1 would make
    ln 0 = −∞ and the loss infinite. dloss/dx is the derivative away from the
    clamp, where x(1 − x) cancels: (−y/x + (1 − y)/(1 − x)) = (x − y)/(x(1 − x));
    PyTorch keeps the denominator at least 1e-12, so at x = 0 or 1 the gradient
    is large but finite, and it is exactly 0 when x = y there.
    """

    __slots__ = ("x", "y", "log_x", "log_1mx", "reduction", "losses_shape")
    name = "binary_cross_entropy"
    saved = ((0, 1), ())

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore"):  # ln 0 = −∞ is expected here: the clamp handles it
            self.log_x, self.log_1mx = np.log(x), np.log1p(-x)
        losses = -(y * np.maximum(self.log_x, -100) + (1 - y) * np.maximum(self.log_1mx, -100))
        self.losses_shape = np.shape(losses)  # x and y broadcast together
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        x, y = self.x, self.y
        # Each loss element's gradient, in the broadcast shape, so each input can sum its own back.
        grad = np.broadcast_to(_share(grad, self.reduction, math.prod(self.losses_shape)), self.losses_shape)
        # PyTorch's floor is the float32 number 1e-12 (9.99999996e-13) even in float64; we match it.
        grad_x = unbroadcast(grad * (x - y) / np.maximum(x * (1 - x), np.float32(1e-12)), np.shape(x))
        grad_y = None
        if self.needs_input_grad[1]:
            grad_y = unbroadcast(grad * (self.log_1mx - self.log_x), np.shape(y))
        return grad_x, grad_y

    def rule(self, argument, out, inputs):
        x, y, total = self.x, self.y, math.prod(self.losses_shape)
        share = 1 / total if self.reduction == "mean" else 1
        if argument == 0:
            formula = f"({inputs[0]} − {inputs[1]}) / ({inputs[0]}·(1 − {inputs[0]}))"
            numbers = _filled("({0} − {1}) / ({0} · (1 − {0}))", x, y)
            value = share * (x - y) / np.maximum(x * (1 - x), np.float32(1e-12))
        else:
            formula, numbers = f"ln(1 − {inputs[0]}) − ln {inputs[0]}", ""
            value = share * (self.log_1mx - self.log_x)
        return Rule(*_shared(formula, numbers, self.reduction, total), _spread(value, self.losses_shape))


class BinaryCrossEntropyWithLogits(Function):
    """out = reduce((1 − y)·x + ln(1 + e⁻ˣ)), the BCE of σ(x) against y from the logit x.

    −(y ln σ(x) + (1 − y) ln(1 − σ(x))) = (1 − y)·x + ln(1 + e⁻ˣ), since ln(1 − σ(x)) = ln σ(x) − x.
    dlossᵢ/dxᵢ = σ(xᵢ) − yᵢ,   dlossᵢ/dyᵢ = −xᵢ.

    ln(1 + e⁻ˣ) is numpy's ``logaddexp(0, −x)``, which never overflows, so
    logits of ±1000 give the exact loss (1000 or 0). The derivative in closed
    form stays finite at x = ±∞ (1 − y, or −y) where a composition of
    operations would meet ∞·0; the loss there is what PyTorch's is (∞, or nan
    where its formula has ∞·0 or ∞ − ∞).
    """

    __slots__ = ("x", "y", "reduction", "losses_shape")
    name = "binary_cross_entropy_with_logits"
    saved = ((0, 1), (0,))

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(invalid="ignore"):  # 0·∞ at an infinite logit: nan, as in PyTorch
            losses = (1 - y) * x + np.logaddexp(0, -x)
        self.losses_shape = np.shape(losses)
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        x, y = self.x, self.y
        grad = np.broadcast_to(_share(grad, self.reduction, math.prod(self.losses_shape)), self.losses_shape)
        sigmoid = np.exp(-np.logaddexp(0, -x))  # σ(x) = 1/(1 + e⁻ˣ), without overflow
        grad_x = unbroadcast(grad * (sigmoid - y), np.shape(x))
        grad_y = unbroadcast(grad * -x, np.shape(y)) if self.needs_input_grad[1] else None
        return grad_x, grad_y

    def rule(self, argument, out, inputs):
        x, y, total = self.x, self.y, math.prod(self.losses_shape)
        share = 1 / total if self.reduction == "mean" else 1
        if argument == 0:
            formula, value = f"σ({inputs[0]}) − {inputs[1]}", np.exp(-np.logaddexp(0, -x)) - y
        else:
            formula, value = f"−{inputs[0]}", -x
        return Rule(*_shared(formula, "", self.reduction, total), _spread(share * value, self.losses_shape))


class NllLoss(Function):
    """out = reduce(−wᵢ · x[i, cᵢ]): the negative log-likelihood of each target class cᵢ.

    x holds log-probabilities with the classes on axis 1, as in PyTorch: (N, C)
    or (N, C, d₁, …), or just (C,) for one sample. The target holds a class
    index per sample (and per position d₁, …). wᵢ is the weight of class cᵢ
    (1 without weights); 'mean' divides by Σᵢ wᵢ over the samples kept.

    A sample whose target is ``ignore_index`` is left out, as in PyTorch: its
    loss is 0 whatever its x holds (−∞ or NaN included: left out, not
    multiplied by 0, which would give NaN), and it adds nothing to Σᵢ wᵢ.

    dlossᵢ/dx[i, cᵢ] = −wᵢ, and 0 for every other class and every ignored sample.
    Cross-entropy is this op applied to log_softmax(logits).
    """

    __slots__ = ("target", "class_weight", "ignore_index", "reduction", "x_shape", "index", "weights",
                 "total")
    name = "nll_loss"

    def __init__(self, target, weight=None, ignore_index=-100, reduction="mean"):
        self.target, self.class_weight = np.asarray(target), weight
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, x):
        self.x_shape = x.shape
        kept = self.target != self.ignore_index
        every_kept = np.count_nonzero(kept) == kept.size  # the common case, which skips the masking below
        target = self.target if every_kept else self.target * kept  # an ignored element picks class 0, weighs 0
        class_axis = min(1, x.ndim - 1)
        positions = np.indices(target.shape, sparse=True)  # every sample, and every position d₁, …
        self.index = positions[:class_axis] + (target,) + positions[class_axis:]
        if every_kept and self.class_weight is None:  # every wᵢ is 1, and Σᵢ wᵢ the count (no arrays)
            self.weights, self.total = x.dtype.type(1), x.dtype.type(kept.size)
        else:
            weights = kept if self.class_weight is None else kept * self.class_weight[target]
            self.weights = weights.astype(x.dtype)
            self.total = self.weights.sum()
        if not self.total and self.reduction == "mean":  # every target ignored: 0/0, NaN as in PyTorch
            return np.array(np.nan, dtype=x.dtype)
        picked = x[self.index]
        if not every_kept:  # an ignored sample's x never enters the loss (0 · NaN would be NaN)
            picked = np.where(kept, picked, 0)
        return _reduce(-picked * self.weights, self.reduction, self.total)

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=self.weights.dtype)
        if self.total:
            dx[self.index] = -self.weights * _share(grad, self.reduction, self.total)
        elif self.reduction == "mean":
            # Σᵢ wᵢ = 0: each kept target's share −wᵢ·g/0 is 0/0 = NaN, as in PyTorch (its class
            # weighs 0); an ignored target, and every other class, gets no gradient.
            dx[self.index] = np.where(self.target != self.ignore_index, np.nan, 0)
        return (dx,)

    def rule(self, argument, out, inputs):
        formula = f"−w at each sample's target class of {inputs[0]}, 0 elsewhere"
        grad = np.ones(self.target.shape if self.reduction == "none" else ())
        return Rule(*_shared(formula, "", self.reduction, self.total), self.backward(grad)[0])


# Every differentiable operation. tests/test_ops_gradcheck.py draws inputs for each
# one and compares its backward with finite differences; an operation added here
# without a strategy there makes that test fail.
OPS = (
    Add, Sub, Mul, Div, Neg, Pow, MatMul,
    Exp, Log, Relu, Sigmoid, Tanh, Cast,
    Sum, Mean, Max,
    Reshape, Transpose, Index,
    LogSoftmax, Softmax,
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, NllLoss,
)
