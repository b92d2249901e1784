"""Every differentiable operation, with its derivative.

Read this file top to bottom as a table of derivatives. Each operation is a
small class:

* ``forward(*arrays)`` computes the output from numpy arrays and saves what
  the derivative will need;
* ``backward(grad)`` receives ``grad = dL/d(output)`` and returns
  ``dL/d(input)`` for every input, by the chain rule
  ``dL/dx = dL/dout * dout/dx``. The docstring states ``dout/dx``.

The classes know nothing about ``Value``: ``value.py`` calls ``forward`` when
it builds the graph and ``autograd.py`` calls ``backward`` when it walks it
back. ``OPS`` at the bottom lists every operation, so tests can check them all.
"""

from __future__ import annotations

import math

import numpy as np


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
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
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
    """One operation in the graph. ``value.py`` sets ``parents`` (the input Values)
    and ``needs_input_grad`` (whether each input requires grad) when it records the
    operation in the graph."""

    # The one or two inputs live in two slots, not in a tuple: each object a graph
    # keeps alive is work for Python's cyclic garbage collector, whose full passes
    # run while a big graph is being built, and without the tuple an operation keeps
    # two (its Function and its output Value) instead of three. On
    # benchmarks/scalar.py that cut the collector's time by a third.
    __slots__ = ("_first_input", "_second_input", "needs_input_grad")

    name = "function"  # the label graphs and traces show

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


class Sub(Function):
    """out = a - b.   dout/da = 1,   dout/db = -1."""

    __slots__ = ("a_shape", "b_shape")
    name = "sub"

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)


class Mul(Function):
    """out = a * b.   dout/da = b,   dout/db = a."""

    __slots__ = ("a", "b")
    name = "mul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return unbroadcast(grad * self.b, self.a.shape), unbroadcast(grad * self.a, self.b.shape)


class Div(Function):
    """out = a / b.   dout/da = 1/b,   dout/db = -a/b² = -out/b."""

    __slots__ = ("b", "out", "a_shape")
    name = "div"

    def forward(self, a, b):
        self.a_shape, self.b = a.shape, b
        self.out = a / b
        return self.out

    def backward(self, grad):
        grad_a = grad / self.b
        return unbroadcast(grad_a, self.a_shape), unbroadcast(-grad_a * self.out, self.b.shape)


class Neg(Function):
    """out = -a.   dout/da = -1."""

    __slots__ = ()
    name = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


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


class MatMul(Function):
    """out = a @ b.   dL/da = dL/dout @ bᵀ,   dL/db = aᵀ @ dL/dout.

    A 1-D a is treated as a row (1, n) and a 1-D b as a column (n, 1), as
    numpy's matmul does; batch dimensions broadcast and are summed back.
    Each product is computed only for inputs that require grad: for a first
    layer ``x @ W`` the gradient with respect to the data x is never wanted.
    """

    __slots__ = ("a", "b")
    name = "matmul"

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


# ---------------------------------------------------------------- elementwise functions

class Exp(Function):
    """out = eˣ.   dout/dx = eˣ = out."""

    __slots__ = ("out",)
    name = "exp"

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    """out = ln x.   dout/dx = 1/x."""

    __slots__ = ("x",)
    name = "log"

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)


class Relu(Function):
    """out = max(x, 0).   dout/dx = 1 if x > 0 else 0.

    At exactly x = 0 the derivative does not exist; like PyTorch we use 0,
    which the strict ``x > 0`` gives.
    """

    __slots__ = ("x",)
    name = "relu"

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad):
        return (grad * (self.x > 0),)


class Sigmoid(Function):
    """out = σ(x) = 1 / (1 + e⁻ˣ).   dout/dx = σ(x)·(1 − σ(x)) = out·(1 − out).

    e⁻ˣ overflows for x = -1000, so we only ever exponentiate -|x|:
    σ(x) = 1/(1 + e^-|x|) for x ≥ 0 and e^-|x|/(1 + e^-|x|) for x < 0.
    """

    __slots__ = ("out",)
    name = "sigmoid"

    def forward(self, x):
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1, e) / (1 + e)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


class Tanh(Function):
    """out = tanh x.   dout/dx = 1 − tanh²x = 1 − out²."""

    __slots__ = ("out",)
    name = "tanh"

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)


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


class Max(Function):
    """out = maxᵢ xᵢ over ``axis`` (one axis, or all).   dout/dxᵢ = 1 for the arg-max element, else 0.

    When several elements tie, the first (numpy's ``argmax``) takes the whole gradient.
    """

    __slots__ = ("axis", "keepdims", "x_shape", "index")
    name = "max"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        if self.axis is None:
            self.index = np.argmax(x)
            out = x.reshape(-1)[self.index]
            return np.reshape(out, (1,) * x.ndim) if self.keepdims else np.asarray(out)
        self.index = np.argmax(x, axis=self.axis, keepdims=True)
        out = np.take_along_axis(x, self.index, axis=self.axis)
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        if self.axis is None:
            dx.reshape(-1)[self.index] = np.reshape(grad, ())
        else:
            if not self.keepdims:
                grad = np.expand_dims(grad, self.axis)
            np.put_along_axis(dx, self.index, grad, axis=self.axis)
        return (dx,)


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


class Index(Function):
    """out = x[index].   Each selected element's gradient goes back to where it came from;
    an element selected twice (integer-array indexing) receives the sum of both."""

    __slots__ = ("index", "x_shape")
    name = "index"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = x.shape
        return np.asarray(x[self.index])

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        np.add.at(dx, self.index, grad)  # unlike dx[index] += grad, add.at sums repeated indices
        return (dx,)


# ---------------------------------------------------------------- softmax family

class LogSoftmax(Function):
    """out = x − log Σⱼ e^xⱼ along ``axis``.   dL/dx = g − softmax(x) · Σⱼ gⱼ.

    Subtracting max(x) first changes nothing mathematically and keeps eˣ from
    overflowing for logits like 1000.
    """

    __slots__ = ("axis", "out")
    name = "log_softmax"

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


class Softmax(Function):
    """out = e^xᵢ / Σⱼ e^xⱼ along ``axis``.   dL/dxᵢ = outᵢ · (gᵢ − Σⱼ gⱼ·outⱼ)."""

    __slots__ = ("axis", "out")
    name = "softmax"

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
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

    The clamp at −100 is PyTorch's: a prediction of exactly 0 or 1 would make
    ln 0 = −∞ and the loss infinite. dloss/dx is the derivative away from the
    clamp, where x(1 − x) cancels: (−y/x + (1 − y)/(1 − x)) = (x − y)/(x(1 − x));
    PyTorch keeps the denominator at least 1e-12, so at x = 0 or 1 the gradient
    is large but finite, and it is exactly 0 when x = y there.
    """

    __slots__ = ("x", "y", "log_x", "log_1mx", "reduction", "losses_shape")
    name = "binary_cross_entropy"

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


class NllLoss(Function):
    """out = reduce(−wᵢ · x[i, cᵢ]): the negative log-likelihood of each target class cᵢ.

    x holds log-probabilities with the classes on axis 1, as in PyTorch: (N, C)
    or (N, C, d₁, …), or just (C,) for one sample. The target holds a class
    index per sample (and per position d₁, …). wᵢ is the weight of class cᵢ
    (1 without weights, 0 where cᵢ = ignore_index); 'mean' divides by Σᵢ wᵢ.

    dlossᵢ/dx[i, cᵢ] = −wᵢ, and 0 for every other class.
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
        target = self.target * kept  # an ignored element picks class 0, then weighs 0
        class_axis = min(1, x.ndim - 1)
        positions = np.indices(target.shape, sparse=True)  # every sample, and every position d₁, …
        self.index = positions[:class_axis] + (target,) + positions[class_axis:]
        weights = kept if self.class_weight is None else kept * self.class_weight[target]
        self.weights = weights.astype(x.dtype)
        self.total = self.weights.sum()
        if not self.total and self.reduction == "mean":  # every target ignored: 0/0, NaN as in PyTorch
            return np.array(np.nan, dtype=x.dtype)
        return _reduce(-x[self.index] * self.weights, self.reduction, self.total)

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=self.weights.dtype)
        if self.total:
            dx[self.index] = -self.weights * _share(grad, self.reduction, self.total)
        elif self.reduction == "mean":
            # Σᵢ wᵢ = 0: each kept target's share −wᵢ·g/0 is 0/0 = NaN, as in PyTorch (its class
            # weighs 0); an ignored target, and every other class, gets no gradient.
            dx[self.index] = np.where(self.target != self.ignore_index, np.nan, 0)
        return (dx,)


# Every differentiable operation. tests/test_ops_gradcheck.py draws inputs for each
# one and compares its backward with finite differences; an operation added here
# without a strategy there makes that test fail.
OPS = (
    Add, Sub, Mul, Div, Neg, Pow, MatMul,
    Exp, Log, Relu, Sigmoid, Tanh, Cast,
    Sum, Mean, Max,
    Reshape, Transpose, Index,
    LogSoftmax, Softmax,
    BinaryCrossEntropy, NllLoss,
)
