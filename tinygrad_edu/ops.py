"""Every differentiable operation with its derivative: the table of derivatives, read top to bottom.

Each operation is a small class: ``forward(*arrays)`` computes the output from numpy arrays and
keeps what the derivative needs; ``backward(grad)`` gets ``grad = dL/d(output)`` and returns
``dL/d(input)`` for every input, by the chain rule dL/dx = dL/dout · dout/dx (each docstring
states dout/dx). The classes know nothing about ``Value``: ``value.apply`` records them in the
graph and ``autograd`` calls ``backward``. ``OPS`` at the bottom lists them all, for the tests.

Each derivative is written once and runs two ways: on numpy arrays (a plain ``backward()``) or
on Values (``backward(create_graph=True)``: the gradient then has a graph of its own, to be
differentiated again). That is why the formulas use only operators, the methods arrays and
Values share (``sum``, ``reshape``, ``swapaxes``, ``shape``), the functions of
``arrays_or_values.py`` (``exp``, ``where``, …) and ``index_put`` (below ``unbroadcast``).
"""

from __future__ import annotations

import math

import numpy as np

from .arrays_or_values import ARRAYS, cast, exp, expand, log, new_zeros, permute, sigmoid, where
from .indexing import normalize_axes, select, torch_index
from .recording import Recorded


class Function(Recorded):
    """One operation: ``forward``, ``backward``, and what ``backward`` reads (``saved``, ``keeps``).

    ``forward(*arrays)`` gets the inputs' data (numpy arrays; numpy scalars for 0-d data) and
    keeps on ``self`` (in ``__slots__``) what ``backward`` needs. It may run again (``value.apply``
    redoes it in PyTorch's dtype; ``viz.trace`` runs a copy on broadcast inputs), so it sets what
    it keeps, and never changes a kept array in place: that is a Value's own data.

    ``backward(grad)`` gets dL/d(output) and returns a tuple with dL/d(input) for each input, in
    that input's shape (None where ``needs_input_grad`` is False). It may be called many times.

    ``saved``: for each input's gradient, the inputs it reads (by position; -1 the output), as
    PyTorch saves them, so that a Value changed in place since is refused alike
    (``autograd.check_versions``); Mul's is ``((1,), (0,))``, as a's gradient is grad·b. (``max()``
    and ``nll_loss`` read no input: they go backward where PyTorch refuses, rightly.)
    ``keeps``: each attribute ``backward`` reads that holds an input's data (by position) or the
    output (-1), Mul's ``{"a": 0, "b": 1}``. Declared by the class that writes ``backward``, it
    says that ``backward`` also computes on Values; without it (None), no second derivative.
    """

    __slots__ = ()
    name = "function"  # the label graphs and traces show
    saved: tuple = ()
    keeps: dict | None = None

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple:
        raise NotImplementedError


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` back to ``shape``, undoing numpy broadcasting.

    If x of shape (3, 1) was broadcast to (2, 3, 4), each element of x was used 2 * 4 times, so
    its gradient is the sum over the copies: over the leading axis that broadcasting added, and
    over the axis where x had size 1.
    """
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if grad.shape[added:] == shape:  # only leading axes were added (a bias, say): no reshape needed
        return grad.sum(axis=tuple(range(added)))
    stretched = tuple(i + added for i, n in enumerate(shape) if n == 1 and grad.shape[i + added] != 1)
    grad = grad.sum(axis=tuple(range(added)) + stretched, keepdims=True)
    return grad.reshape(shape)


def index_put(base, index, values, accumulate: bool):
    """A copy of ``base`` with ``values`` put at ``index`` (added up with ``accumulate``): ``IndexPut``."""
    if isinstance(base, ARRAYS):
        return IndexPut(index, accumulate).forward(base, values)
    return base.index_put(index, values, accumulate)


# ---------------------------------------------------------------- arithmetic

class Add(Function):
    """out = a + b.   dout/da = 1,   dout/db = 1."""

    __slots__ = ("a_shape", "b_shape")
    name = "add"
    keeps = {}

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)


class Sub(Function):
    """out = a - b.   dout/da = 1,   dout/db = -1."""

    __slots__ = ("a_shape", "b_shape")
    name = "sub"
    keeps = {}

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)


class Mul(Function):
    """out = a * b.   dout/da = b,   dout/db = a."""

    __slots__ = ("a", "b")
    name = "mul"
    saved = ((1,), (0,))
    keeps = {"a": 0, "b": 1}

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return unbroadcast(grad * self.b, self.a.shape), unbroadcast(grad * self.a, self.b.shape)


class Div(Function):
    """out = a / b.   dout/da = 1/b,   dout/db = -a/b² (from a and b, as PyTorch: not from out)."""

    __slots__ = ("a", "b", "out", "a_shape")  # out and a_shape: for the formula page and the course's Div
    name = "div"
    saved = ((1,), (0, 1))
    keeps = {"a": 0, "b": 1}

    def forward(self, a, b):
        self.a, self.b, self.a_shape = a, b, a.shape
        self.out = a / b
        return self.out

    def backward(self, grad):
        grad_a = grad / self.b
        grad_b = unbroadcast(-grad_a * (self.a / self.b), self.b.shape) if self.needs_input_grad[1] else None
        return unbroadcast(grad_a, self.a_shape), grad_b


class Neg(Function):
    """out = -a.   dout/da = -1."""

    __slots__ = ()
    name = "neg"
    keeps = {}

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """out = a ** b.   dout/da = b·a^(b-1),   dout/db = a^b·ln(a) = out·ln(a).

    Each derivative is computed only when its input requires grad: the exponent's needs ln(a),
    defined only for a > 0 (``x ** 2`` never asks for it), and for a constant base such as
    ``2 ** x`` the base's would be wasted. Two limits are taken as PyTorch takes them, where the
    formulas give 0·∞: a^0 = 1 for every a, so dout/da = 0 where b = 0 (also at a = 0); and
    0^b = 0 for every b > 0, so dout/db = 0 where a = 0 and b ≥ 0. The first limit replaces dL/da
    there (0 even under a NaN upstream); the second replaces dout/db, which then meets the
    upstream gradient (g·0: NaN under a NaN or infinite g), as in PyTorch.
    """

    __slots__ = ("a", "b", "out")
    name = "pow"
    saved = ((0, 1), (0, 1, -1))
    keeps = {"a": 0, "b": 1, "out": -1}

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = grad_b = None
        # The limits are chosen by where after the formula has been
        # evaluated everywhere, so the 0·∞ it throws away must not warn.
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                grad_a = unbroadcast(where(b != 0, grad * b * a ** (b - 1), 0), a.shape)
            if self.needs_input_grad[1]:
                edge = (a == 0) & (b >= 0)
                grad_b = unbroadcast(grad * where(edge, 0, self.out * log(a)), b.shape)
        return grad_a, grad_b


class MatMul(Function):
    """out = a @ b.   dL/da = dL/dout @ bᵀ,   dL/db = aᵀ @ dL/dout.

    A 1-D a is treated as a row (1, n) and a 1-D b as a column (n, 1), as numpy's matmul does;
    batch dimensions broadcast and are summed back. Each product is computed only for inputs that
    require grad: for a first layer ``x @ W`` the gradient for the data x is never wanted.
    """

    __slots__ = ("a", "b")
    name = "matmul"
    saved = ((1,), (0,))
    keeps = {"a": 0, "b": 1}

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
            grad = grad[..., np.newaxis]
        if a.ndim == 1:
            grad = grad[..., np.newaxis, :]
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            if (isinstance(b2, np.ndarray) and grad.ndim == a2.ndim == b2.ndim == 2 and not b2.flags.c_contiguous
                    and b2.flags.f_contiguous):
                # speed: b is a transposed view, as W.T in Linear's x @ W.T: (gradᵀ @ a)ᵀ is the same
                # product, laid out as b is, so that W's gradient comes back row-major like W and the
                # optimizer's update streams through memory instead of striding; see benchmarks/README.md.
                grad_b = (grad.swapaxes(-1, -2) @ a2).swapaxes(-1, -2)
            else:
                grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


# ---------------------------------------------------------------- elementwise functions

class Exp(Function):
    """out = eˣ.   dout/dx = eˣ = out."""

    __slots__ = ("out",)
    name = "exp"
    saved = ((-1,),)
    keeps = {"out": -1}

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    """out = ln x.   dout/dx = 1/x."""

    __slots__ = ("x",)
    name = "log"
    saved = ((0,),)
    keeps = {"x": 0}

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)


class Relu(Function):
    """out = max(x, 0).   dout/dx = 0 where out ≤ 0, else 1.

    At exactly x = 0 the derivative does not exist; like PyTorch we use 0. Where x is NaN, out is
    NaN and the upstream gradient passes (NaN ≤ 0 is false). x ≤ 0 exactly where out ≤ 0, so
    backward reads the output, as PyTorch's does.
    """

    __slots__ = ("out",)
    name = "relu"
    saved = ((-1,),)
    keeps = {"out": -1}

    def forward(self, x):
        # PyTorch's relu(−0.0) is −0.0 (x itself unless x < 0). numpy's maximum returns one of
        # the two on a tie: the second for float32 and float64, the first for float16.
        self.out = np.maximum(x, 0) if x.dtype.char == "e" else np.maximum(0, x)  # "e": float16
        return self.out

    def backward(self, grad):
        # Chosen, not multiplied by the mask: where relu is flat, an infinite upstream
        # gradient (from √out at out = 0, say) must give 0, not ∞·0 = nan.
        out = self.out
        # speed: a 0-d Value's numpy scalar (value._forward) takes a branch; with a finite upstream
        # the product by the mask equals where's choice at a fraction of its cost. See
        # benchmarks/README.md.
        if isinstance(out, np.generic):
            return (type(out)(0) if out <= 0 else grad,)  # out's type is grad's dtype (backward casts grad)
        if type(out) is np.ndarray and np.isfinite(grad).all():
            # + 0.0: where relu is flat a negative gradient times 0 is −0.0, and PyTorch's is +0.0
            # (only an upstream of exactly −0.0 where relu passes it comes back +0.0).
            return (grad * ~(out <= 0) + 0.0,)
        # Where relu is flat: 0, written 0·out + 0.0 (+0.0 also at out = −0.0; the 0·∞ it throws away
        # where out = ∞ must not warn) so that, as with PyTorch's threshold_backward, the gradient is
        # a function of out (with derivative 0), and differentiating it again gives 0.
        with np.errstate(invalid="ignore"):
            return (where(out <= 0, 0 * out + 0.0, grad),)


class Sigmoid(Function):
    """out = σ(x) = 1 / (1 + e⁻ˣ).   dout/dx = σ(x)·(1 − σ(x)) = out·(1 − out).

    e⁻ˣ overflows for x = -1000, so we only ever exponentiate -|x|:
    σ(x) = 1/(1 + e^-|x|) for x ≥ 0 and e^-|x|/(1 + e^-|x|) for x < 0.
    """

    __slots__ = ("out",)
    name = "sigmoid"
    saved = ((-1,),)
    keeps = {"out": -1}

    def forward(self, x):
        # −1.0·|x|, not −|x|: numpy cannot negate a bool, nor multiply a uint8 by the int −1, and PyTorch
        # takes σ of both (value._forward then computes again in float32, as PyTorch does).
        e = np.exp(-1.0 * np.abs(x))
        self.out = np.where(x >= 0, 1, e) / (1 + e)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


class Tanh(Function):
    """out = tanh x.   dout/dx = 1 − tanh²x = 1 − out²."""

    __slots__ = ("out",)
    name = "tanh"
    saved = ((-1,),)
    keeps = {"out": -1}

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)


class Cast(Function):
    """out = x converted to another dtype.   dout/dx = 1 (the gradient is cast back)."""

    __slots__ = ("dtype", "x_dtype")
    name = "cast"
    keeps = {}

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        return (cast(grad, self.x_dtype),)


class Where(Function):
    """out = x where the condition holds, else y.   dout/dx = 1 where it holds, else 0;   dout/dy = the opposite.

    The condition is data (a mask, such as the comparison out > 0), not an input: it has no
    derivative. relu's, max's and pow's derivatives choose with it (the function ``where``
    above), so their gradients are differentiable in the upstream gradient, as in PyTorch.
    """

    __slots__ = ("condition", "x_shape", "y_shape")
    name = "where"
    keeps = {}

    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        self.x_shape, self.y_shape = np.shape(x), np.shape(y)
        return np.where(self.condition, x, y)

    def backward(self, grad):
        return (unbroadcast(where(self.condition, grad, 0), self.x_shape),
                unbroadcast(where(~self.condition, grad, 0), self.y_shape))


# ---------------------------------------------------------------- reductions

def _expand_reduced(grad, axes: tuple, keepdims: bool, shape: tuple):
    """Give a reduction's gradient its axes back (size 1), then spread it over the input's shape.

    ``keepdims`` needs no test: a kept axis already has size 1, and reshaping to the
    same shape changes nothing.
    """
    kept = tuple(1 if axis in axes else size for axis, size in enumerate(shape))
    return expand(grad.reshape(kept), shape)


class Sum(Function):
    """out = Σᵢ xᵢ over ``axis``.   dout/dxᵢ = 1: every summed element gets the gradient."""

    __slots__ = ("axis", "keepdims", "x_shape")
    name = "sum"
    keeps = {}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axis = normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        return (_expand_reduced(grad, self.axis, self.keepdims, self.x_shape),)


class Mean(Function):
    """out = (1/n) Σᵢ xᵢ over ``axis``, n elements.   dout/dxᵢ = 1/n."""

    __slots__ = ("axis", "keepdims", "x_shape", "count")
    name = "mean"
    keeps = {}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axis = normalize_axes(self.axis, x.ndim)
        self.count = math.prod(x.shape[a] for a in self.axis)
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            # speed: np.mean's own arithmetic for float32 and float64 (a sum, then one division),
            # without its Python-level wrapper; see benchmarks/README.md.
            return x.sum(axis=self.axis, keepdims=self.keepdims) / self.count
        return x.mean(axis=self.axis, keepdims=self.keepdims)  # integers and float16 are summed in a wider type

    def backward(self, grad):
        return (_expand_reduced(grad / self.count, self.axis, self.keepdims, self.x_shape),)


class Max(Function):
    """out = maxᵢ xᵢ over ``axis`` (one axis, or all).   dout/dxᵢ = 1/k for each of the k elements
    equal to the maximum, else 0.

    That is what PyTorch does for the maximum of all elements (``x.max()``, and ``amax``): ties
    share the gradient. Along an axis, ``x.max(dim)`` gives PyTorch's values *and* indices, and
    its gradient goes to the index alone: the first of the tied elements, numpy's ``argmax`` too.
    When the maximum is NaN, the NaN elements share the gradient, as in PyTorch.
    """

    __slots__ = ("axis", "keepdims", "kept_shape", "chosen", "ties")
    name = "max"
    keeps = {}

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        if self.axis is None:
            out = x.max()
            self.chosen = np.isnan(x) if np.isnan(out) else x == out  # the tied elements
            self.ties, self.kept_shape = np.count_nonzero(self.chosen), (1,) * np.ndim(x)
            return np.reshape(out, self.kept_shape) if self.keepdims else np.asarray(out)
        index = np.argmax(x, axis=self.axis, keepdims=True)
        self.chosen = np.zeros(x.shape, dtype=bool)  # the first maximum along the axis, alone
        np.put_along_axis(self.chosen, index, True, axis=self.axis)
        self.ties, self.kept_shape = 1, index.shape
        out = np.take_along_axis(x, index, axis=self.axis)
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        # where, not mask·grad: an infinite grad must not make ∞·0 = nan where the mask is 0.
        share = grad.reshape(self.kept_shape) / self.ties
        return (where(self.chosen, share, 0),)


# ---------------------------------------------------------------- shape

class Reshape(Function):
    """out = x with a new shape.   The gradient is reshaped back."""

    __slots__ = ("shape", "x_shape")
    name = "reshape"
    keeps = {}

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad):
        return (grad.reshape(self.x_shape),)


class Transpose(Function):
    """out = x with its axes permuted.   The gradient is permuted back by the inverse permutation."""

    __slots__ = ("axes",)
    name = "transpose"
    keeps = {}

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
        # The inverse permutation is the argsort of the axes. speed: in plain Python, not numpy's
        # argsort of a short tuple; see benchmarks/README.md.
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return (permute(grad, inverse),)


class Expand(Function):
    """out = x broadcast to ``shape``: each element copied along the axes where x has size 1, and along
    new leading axes.   dL/dx = the copies' gradients summed back (unbroadcast)."""

    __slots__ = ("shape", "x_shape")
    name = "expand"
    keeps = {}

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = np.shape(x)
        if np.broadcast_shapes(self.x_shape, self.shape) != self.shape:  # (a ValueError too if they do not broadcast)
            raise ValueError(f"shape {self.x_shape} does not expand to {self.shape}")
        return expand(x, self.shape)

    def backward(self, grad):
        return (unbroadcast(grad, self.x_shape),)


class Index(Function):
    """out = x[index].   Each selected element's gradient goes back to where it came from;
    an element selected twice (integer-array indexing) receives the sum of both.

    The index is read as PyTorch reads it (``indexing.torch_index``): ``x[0, :, [1, 2]]`` is
    ``x[0][:, [1, 2]]``; integers and slices alone give a view of x's numbers (views.py).
    """

    __slots__ = ("index", "x_shape", "split")
    name = "index"
    keeps = {}

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = np.shape(x)
        self.index, self.split = torch_index(self.index, len(self.x_shape))
        return np.asarray(select(x, self.index, self.split))

    def backward(self, grad):
        # Into zeros of x's shape, added up: an element selected twice receives both gradients.
        return (index_put(new_zeros(grad, self.x_shape), self.index, grad, accumulate=True),)


class IndexPut(Function):
    """out = base with out[index] = values, or with ``accumulate`` out[index] += values (an element
    named twice then receives both).   dL/dvalues = dL/dout[index];   dL/dbase = dL/dout, with 0 where
    values replaced base (not with ``accumulate``).

    Index's reverse: Index's gradient is put into zeros this way, and the gradient of this
    operation is picked out again by the index. The index is read as Index reads it.
    ``x[index] = v`` records it with ``in_place`` True: its output takes x's place (recording.py).
    """

    __slots__ = ("index", "accumulate", "split", "values_shape", "in_place")
    name = "index_put"
    keeps = {}

    def __init__(self, index, accumulate=False, in_place=False):
        self.index, self.accumulate, self.in_place = index, accumulate, in_place

    def forward(self, base, values):
        self.values_shape = np.shape(values)
        self.index, self.split = torch_index(self.index, np.ndim(base))
        out = np.array(base)  # a copy: base is a Value's own data
        target, index = (out, self.index) if self.split is None else (out[self.split[0]], self.split[1])
        if self.accumulate:
            np.add.at(target, index, values)  # unlike target[index] += values, add.at sums repeated indices
        else:
            target[index] = values  # out[integers] is a view: this writes into out
        return out

    def backward(self, grad):
        picked = select(grad, self.index, self.split)
        grad_base = grad if self.accumulate else index_put(grad, self.index, 0, False)
        extra = (1,) * (len(self.values_shape) - picked.ndim)  # values' leading 1s, dropped by numpy's write
        picked = picked.reshape(extra + tuple(picked.shape)) if extra else picked
        return grad_base, unbroadcast(picked, self.values_shape)


# ---------------------------------------------------------------- softmax family

class LogSoftmax(Function):
    """out = x − log Σⱼ e^xⱼ along ``axis``.   dL/dx = g − softmax(x) · Σⱼ gⱼ.

    Subtracting max(x) first changes nothing mathematically and keeps eˣ from
    overflowing for logits like 1000.
    """

    __slots__ = ("axis", "out")
    name = "log_softmax"
    saved = ((-1,),)
    keeps = {"out": -1}

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True, initial=-np.inf)  # initial: an axis may be empty
        # An empty input is its own result: skipped, since an empty axis would give ln 0 (a warning).
        # speed: the test, not np.errstate; see benchmarks/README.md.
        if not shifted.size:
            self.out = shifted
        else:
            self.out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return (grad - exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


class Softmax(Function):
    """out = e^xᵢ / Σⱼ e^xⱼ along ``axis``.   dL/dxᵢ = outᵢ · (gᵢ − Σⱼ gⱼ·outⱼ)."""

    __slots__ = ("axis", "out")
    name = "softmax"
    saved = ((-1,),)
    keeps = {"out": -1}

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True, initial=-np.inf))  # initial: an axis may be empty
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


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

    The clamp at −100 is PyTorch's: a prediction of exactly 0 or 1 would make ln 0 = −∞ and the
    loss infinite. dloss/dx is the derivative away from the clamp, (−y/x + (1 − y)/(1 − x)) =
    (x − y)/(x(1 − x)); PyTorch keeps the denominator at least 1e-12, so at x = 0 or 1 the
    gradient is large but finite, and exactly 0 when x = y there.
    """

    __slots__ = ("x", "y", "reduction", "losses_shape")
    name = "binary_cross_entropy"
    saved = ((0, 1), (0, 1))  # PyTorch's; ours reads ln x and ln(1 − x) for y's gradient, kept by forward
    keeps = {"x": 0, "y": 1}

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore"):  # ln 0 = −∞ is expected here: the clamp handles it
            log_x, log_1mx = np.log(x), np.log1p(-x)
        losses = -(y * np.maximum(log_x, -100) + (1 - y) * np.maximum(log_1mx, -100))
        self.losses_shape = np.shape(losses)  # x and y broadcast together
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        x, y = self.x, self.y
        # Each loss element's gradient, in the broadcast shape, so each input can sum its own back.
        grad = expand(_share(grad, self.reduction, math.prod(self.losses_shape)), self.losses_shape)
        # PyTorch's floor is the float32 number 1e-12 (9.99999996e-13) even in float64; we match it.
        floor, spread = np.float32(1e-12), x * (1 - x)
        grad_x = unbroadcast(grad * (x - y) / where(spread > floor, spread, floor), np.shape(x))
        grad_y = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):  # ln 0 = −∞ at x = 0 or 1: an infinite gradient, as in PyTorch
                grad_y = unbroadcast(grad * (log(1 - x) - log(x)), np.shape(y))
        return grad_x, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """out = reduce((1 − y)·x + ln(1 + e⁻ˣ)), the BCE of σ(x) against y from the logit x.

    −(y ln σ(x) + (1 − y) ln(1 − σ(x))) = (1 − y)·x + ln(1 + e⁻ˣ), since ln(1 − σ(x)) = ln σ(x) − x.
    dlossᵢ/dxᵢ = σ(xᵢ) − yᵢ,   dlossᵢ/dyᵢ = −xᵢ.

    ln(1 + e⁻ˣ) is numpy's ``logaddexp(0, −x)``, which never overflows, so logits of ±1000 give
    the exact loss (1000 or 0). The derivative in closed form stays finite at x = ±∞ (1 − y, or
    −y) where a composition of operations would meet ∞·0; the loss there is PyTorch's (∞, or nan
    where its formula has ∞·0 or ∞ − ∞).
    """

    __slots__ = ("x", "y", "reduction", "losses_shape")
    name = "binary_cross_entropy_with_logits"
    saved = ((0, 1), (0, 1))  # PyTorch's; ours needs only x for y's gradient
    keeps = {"x": 0, "y": 1}

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
        grad = expand(_share(grad, self.reduction, math.prod(self.losses_shape)), self.losses_shape)
        grad_x = unbroadcast(grad * (sigmoid(x) - y), np.shape(x))
        grad_y = unbroadcast(grad * -x, np.shape(y)) if self.needs_input_grad[1] else None
        return grad_x, grad_y


class NllLoss(Function):
    """out = reduce(−wᵢ · x[i, cᵢ]): the negative log-likelihood of each target class cᵢ.

    x holds log-probabilities with the classes on axis 1, as in PyTorch: (N, C) or (N, C, d₁, …),
    or just (C,) for one sample; the target, a class index per sample (and position d₁, …). wᵢ is
    the weight of class cᵢ (1 without weights); 'mean' divides by Σᵢ wᵢ over the samples kept.
    A sample whose target is ``ignore_index`` is left out, as in PyTorch: its loss is +0.0
    whatever its x holds (−∞ or NaN: left out, not multiplied by 0), and it adds nothing to Σᵢ wᵢ.

    dlossᵢ/dx[i, cᵢ] = −wᵢ, and 0 for every other class and every ignored sample (+0.0, also
    under an infinite or NaN upstream gradient). Cross-entropy is this op after log_softmax.

    Class weights may sum to 0 (negative weights are allowed): 'mean' then divides by 0 and gives
    ∓∞ (or NaN where 0/0), as PyTorch does; so does a 'mean' over no kept sample (0/0 = NaN).
    """

    __slots__ = ("target", "class_weight", "ignore_index", "reduction", "x_shape", "index", "weights",
                 "total", "kept")
    name = "nll_loss"
    keeps = {}

    def __init__(self, target, weight=None, ignore_index=-100, reduction="mean"):
        self.target, self.class_weight = np.asarray(target), weight
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, x):
        self.x_shape = x.shape
        kept = self.target != self.ignore_index
        every_kept = np.count_nonzero(kept) == kept.size  # the common case, which skips the masking below
        self.kept = None if every_kept else kept
        target = self.target if every_kept else self.target * kept  # an ignored element picks class 0, weighs 0
        class_axis = min(1, x.ndim - 1)
        positions = np.indices(target.shape, sparse=True)  # every sample, and every position d₁, …
        self.index = positions[:class_axis] + (target,) + positions[class_axis:]
        if every_kept and self.class_weight is None and kept.size:  # every wᵢ is 1, Σᵢ wᵢ the count: no arrays
            self.weights, self.total = x.dtype.type(1), x.dtype.type(kept.size)
            return self._loss(x[self.index], x.ndim)
        weights = kept if self.class_weight is None else kept * self.class_weight[target]
        self.weights = weights.astype(x.dtype)
        self.total = self.weights.sum()
        with np.errstate(divide="ignore", invalid="ignore"):  # x = ±∞ at an ignored sample; Σ wᵢ = 0
            return self._loss(x[self.index] * self.weights, x.ndim)

    def _loss(self, products: np.ndarray, ndim: int) -> np.ndarray:
        """The loss from each sample's wᵢ·x[i, cᵢ], PyTorch's way: −wᵢ·x[i, cᵢ] each ('none'), or
        0 − Σᵢ wᵢ·x[i, cᵢ], divided by Σᵢ wᵢ for 'mean'. PyTorch sums from 0 also for one sample
        (x of shape (C,)), so that a loss of 0 is +0.0, where −wᵢ·x[i, cᵢ] may be −0.0."""
        if self.reduction == "none" and ndim > 1:
            return self._masked(-products)
        loss = 0 - self._masked(products).sum()
        return loss / self.total if self.reduction == "mean" else loss

    def backward(self, grad):
        # Each sample's target class receives −wᵢ·g (÷ Σ wᵢ for 'mean'), put into zeros: no position twice.
        if self.kept is None and self.class_weight is None and self.total:  # every wᵢ is 1: nothing to mask
            shares = -self.weights * _share(grad, self.reduction, self.total)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):  # a weight 0 under an infinite gradient; Σ wᵢ = 0
                shares = self._masked(-self.weights * _share(grad, self.reduction, self.total))
        zeros = new_zeros(grad, self.x_shape)
        if not isinstance(zeros, np.ndarray):
            return (index_put(zeros, self.index, shares, False),)
        # speed: numpy writes the index in place, as it is numpy's own (IndexPut would copy the zeros and
        # read the index as PyTorch does first); see benchmarks/README.md.
        zeros[self.index] = shares
        return (zeros,)

    def _masked(self, picked: np.ndarray) -> np.ndarray:
        """``picked`` (one number per sample), +0.0 at every ignored sample."""
        return picked if self.kept is None else where(self.kept, picked, 0)


# Every differentiable operation: tests/test_ops_gradcheck.py draws inputs for each (one added here
# without a strategy there fails that test) and compares its backward with finite differences.
OPS = (
    Add, Sub, Mul, Div, Neg, Pow, MatMul,
    Exp, Log, Relu, Sigmoid, Tanh, Cast, Where,
    Sum, Mean, Max,
    Reshape, Transpose, Expand, Index, IndexPut,
    LogSoftmax, Softmax,
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, NllLoss,
)
