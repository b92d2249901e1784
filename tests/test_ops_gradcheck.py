"""Every operation in ``ops.OPS`` passes gradcheck on random float64 inputs.

``STRATEGIES`` maps each operation class to a hypothesis strategy that draws an
``OpCase``: a function of Values that applies the operation, and its inputs.
Shapes are random and broadcast-compatible, and inputs keep to the operation's
domain: log of positives, relu and max away from their kinks and ties, a
positive base when the exponent is differentiated.

Adding an operation to ``OPS``? Add its strategy here, or
``test_every_registered_op_has_a_strategy`` fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.value import Value, apply


@dataclass
class OpCase:
    """``fn(*inputs)`` applies one operation; arrays among ``inputs`` are checked,
    Values are held constant unless they require grad."""

    description: str
    fn: Callable[..., Value]
    inputs: tuple


def floats_in(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float, high: float) -> st.SearchStrategy:
    """Floats with low ≤ |x| ≤ high, either sign (off relu's kink, off a division's pole)."""
    return st.one_of(floats_in(low, high), floats_in(-high, -low))


def arrays(shape: tuple, elements: st.SearchStrategy, unique: bool = False) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=3)


def broadcast_pair(min_dims: int = 0) -> st.SearchStrategy:
    """Two shapes that numpy broadcasts together, such as (3, 1) and (2, 1, 4)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims, max_dims=3, max_side=3).map(
        lambda shapes: shapes.input_shapes)


def applying(make_op: Callable[[], ops.Function]) -> Callable[..., Value]:
    """A function of Values that applies a fresh operation (operations save state in forward)."""
    return lambda *values: apply(make_op(), *values)


@st.composite
def axis_for(draw, ndim: int, allow_tuple: bool = True):
    """None, one axis (negative allowed) or, for sum and mean, a tuple of distinct axes."""
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    if allow_tuple:
        choices.append(st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).map(
            lambda axes: tuple(a - ndim if a % 2 else a for a in axes)))  # mix negative and non-negative
    return draw(st.one_of(choices))


# ---------------------------------------------------------------- arithmetic

def binary(op_class, b_elements=None):
    @st.composite
    def strategy(draw):
        a_shape, b_shape = draw(broadcast_pair())
        a = draw(arrays(a_shape, floats_in(-3, 3)))
        b = draw(arrays(b_shape, floats_in(-3, 3) if b_elements is None else b_elements))
        return OpCase(f"{op_class.__name__} {a_shape} {b_shape}", applying(op_class), (a, b))
    return strategy()


@st.composite
def neg_case(draw):
    x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
    return OpCase("Neg", applying(ops.Neg), (x,))


@st.composite
def pow_case(draw):
    a_shape, b_shape = draw(broadcast_pair())
    if draw(st.booleans()):
        # The exponent is a Value that requires grad: its derivative needs ln(a), so a > 0.
        a = draw(arrays(a_shape, floats_in(0.2, 3)))
        b = draw(arrays(b_shape, floats_in(-2, 2)))
        return OpCase(f"Pow, Value exponent {a_shape} {b_shape}", applying(ops.Pow), (a, b))
    # A constant integer exponent, as in x ** 2: any sign of base.
    a = draw(arrays(a_shape, floats_in(-3, 3)))
    exponent = draw(st.integers(1, 4))
    return OpCase(f"Pow, x ** {exponent} {a_shape}", applying(ops.Pow), (a, Value(float(exponent), dtype=np.float64)))


@st.composite
def matmul_case(draw):
    """1-D and 2-D operands and batched ones whose batch dimensions broadcast."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    a_batch, b_batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)).input_shapes
    a_shape = (n,) if draw(st.booleans()) else a_batch + (k, n)
    b_shape = (n,) if draw(st.booleans()) else b_batch + (n, m)
    a = draw(arrays(a_shape, floats_in(-3, 3)))
    b = draw(arrays(b_shape, floats_in(-3, 3)))
    return OpCase(f"MatMul {a_shape} @ {b_shape}", applying(ops.MatMul), (a, b))


# ---------------------------------------------------------------- elementwise functions

def unary(op_class, elements):
    @st.composite
    def strategy(draw):
        x = draw(arrays(draw(shapes()), elements))
        return OpCase(f"{op_class.__name__} {x.shape}", applying(op_class), (x,))
    return strategy()


@st.composite
def cast_case(draw):
    # Float32 would make the finite differences noisy, so cast to a dtype at least as precise.
    dtype = draw(st.sampled_from([np.float64, np.longdouble]))
    x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
    return OpCase(f"Cast to {np.dtype(dtype)}", applying(lambda: ops.Cast(dtype)), (x,))


@st.composite
def where_case(draw):
    # The condition's shape takes part in broadcasting too: three mutually broadcastable shapes.
    condition_shape, x_shape, y_shape = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=3, max_dims=3, max_side=3)).input_shapes
    condition = draw(hnp.arrays(np.bool_, condition_shape))
    x, y = draw(arrays(x_shape, floats_in(-3, 3))), draw(arrays(y_shape, floats_in(-3, 3)))
    return OpCase(f"Where {condition.tolist()} {x_shape} {y_shape}", applying(lambda: ops.Where(condition)), (x, y))


# ---------------------------------------------------------------- reductions

def reduction(op_class):
    @st.composite
    def strategy(draw):
        x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
        axis, keepdims = draw(axis_for(x.ndim)), draw(st.booleans())
        return OpCase(f"{op_class.__name__} axis={axis} keepdims={keepdims} {x.shape}",
                      applying(lambda: op_class(axis, keepdims)), (x,))
    return strategy()


@st.composite
def max_case(draw):
    # Distinct values on a grid of 0.01, far apart compared with eps = 1e-6: no ties.
    grid = st.integers(-300, 300).map(lambda i: i / 100)
    x = draw(arrays(draw(shapes()), grid, unique=True))
    axis, keepdims = draw(axis_for(x.ndim, allow_tuple=False)), draw(st.booleans())
    return OpCase(f"Max axis={axis} keepdims={keepdims} {x.shape}", applying(lambda: ops.Max(axis, keepdims)), (x,))


# ---------------------------------------------------------------- shape

@st.composite
def reshape_case(draw):
    x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
    new_shape = draw(st.sampled_from([(-1,), (1, -1), tuple(reversed(x.shape)), (x.size, 1), x.shape + (1,)]))
    return OpCase(f"Reshape {x.shape} -> {new_shape}", applying(lambda: ops.Reshape(new_shape)), (x,))


@st.composite
def transpose_case(draw):
    x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
    axes = draw(st.one_of(st.none(), st.permutations(range(x.ndim)).map(
        lambda perm: tuple(a - x.ndim if a % 2 else a for a in perm))))
    return OpCase(f"Transpose {x.shape} axes={axes}", applying(lambda: ops.Transpose(axes)), (x,))


@st.composite
def expand_case(draw):
    x = draw(arrays(draw(shapes()), floats_in(-3, 3)))
    other = draw(hnp.broadcastable_shapes(x.shape, max_dims=4, max_side=3))
    shape = np.broadcast_shapes(x.shape, other)
    return OpCase(f"Expand {x.shape} -> {shape}", applying(lambda: ops.Expand(shape)), (x,))


@st.composite
def basic_index(draw, shape: tuple):
    """Integers, slices, an Ellipsis or a new axis: numpy's basic indexing."""
    entries = [draw(st.one_of(st.integers(-n, n - 1), st.slices(n))) for n in shape[:draw(st.integers(1, len(shape)))]]
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)  # a new axis of length 1 may go anywhere
    if draw(st.booleans()):
        entries.append(Ellipsis)  # at the end: earlier, it would shift the axes the entries refer to
    return tuple(entries)


@st.composite
def integer_array_index(draw, shape: tuple, unique: bool = False):
    """An integer array on the first axis, repeats likely (or none), optionally a slice after it."""
    rows = draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6, unique=unique))
    rows = np.array([row - shape[0] if draw(st.booleans()) else row for row in rows])  # negatives too
    if len(shape) > 1 and draw(st.booleans()):
        return rows, draw(st.slices(shape[1]))
    return rows


@st.composite
def index_case(draw):
    x = draw(arrays(draw(shapes(min_dims=1)), floats_in(-3, 3)))
    index = draw(st.one_of(basic_index(x.shape), integer_array_index(x.shape)))
    return OpCase(f"Index {x.shape} [{index!r}]", applying(lambda: ops.Index(index)), (x,))


@st.composite
def index_put_case(draw):
    """A base, an index (basic, or rows with repeats), and values shaped as base[index] or broadcasting
    to it. Without accumulate a repeated row would be written twice (which write stays is not defined),
    so rows are distinct then."""
    base = draw(arrays(draw(shapes(min_dims=1)), floats_in(-3, 3)))
    accumulate = draw(st.booleans())
    index = draw(st.one_of(basic_index(base.shape), integer_array_index(base.shape)))
    rows = index[0] if isinstance(index, tuple) else index
    if not accumulate and isinstance(rows, np.ndarray) and len(np.unique(rows % base.shape[0])) < len(rows):
        accumulate = True
    picked_shape = np.empty(base.shape)[index].shape
    values_shape = draw(st.sampled_from([picked_shape, picked_shape[1:], ()]
                                     + ([] if accumulate else [(1,) + picked_shape])))  # as x[index] = v takes
    values = draw(arrays(values_shape, floats_in(-3, 3)))
    return OpCase(f"IndexPut {base.shape} [{index!r}] = {values_shape} accumulate={accumulate}",
                  applying(lambda: ops.IndexPut(index, accumulate)), (base, values))


# ---------------------------------------------------------------- softmax family and losses

def softmax_family(op_class):
    @st.composite
    def strategy(draw):
        x = draw(arrays(draw(shapes(min_dims=1)), floats_in(-5, 5)))
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        return OpCase(f"{op_class.__name__} axis={axis} {x.shape}", applying(lambda: op_class(axis)), (x,))
    return strategy()


@st.composite
def binary_cross_entropy_case(draw):
    # Predictions inside (0, 1), away from the clamp at ln 0; targets anywhere in [0, 1].
    x_shape, y_shape = draw(broadcast_pair())
    x = draw(arrays(x_shape, floats_in(0.05, 0.95)))
    y = draw(arrays(y_shape, floats_in(0, 1)))
    reduction = draw(st.sampled_from(ops.REDUCTIONS))
    return OpCase(f"BinaryCrossEntropy {x_shape} {y_shape} {reduction}",
                  applying(lambda: ops.BinaryCrossEntropy(reduction)), (x, y))


@st.composite
def binary_cross_entropy_with_logits_case(draw):
    x_shape, y_shape = draw(broadcast_pair())
    x = draw(arrays(x_shape, floats_in(-5, 5)))
    y = draw(arrays(y_shape, floats_in(0, 1)))
    reduction = draw(st.sampled_from(ops.REDUCTIONS))
    return OpCase(f"BinaryCrossEntropyWithLogits {x_shape} {y_shape} {reduction}",
                  applying(lambda: ops.BinaryCrossEntropyWithLogits(reduction)), (x, y))


@st.composite
def nll_loss_case(draw):
    # Log-probabilities (any numbers will do for the derivative), classes on axis 1 (axis 0 for
    # a single sample); targets, class weights and an ignored class drawn at random.
    x = draw(arrays(draw(shapes(min_dims=1, max_dims=4)), floats_in(-3, 3)))
    class_axis = min(1, x.ndim - 1)
    classes = x.shape[class_axis]
    target_shape = x.shape[:class_axis] + x.shape[class_axis + 1:]
    target = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, classes - 1)))
    weight = draw(st.none() | arrays((classes,), floats_in(0.5, 2)))
    ignore_index = draw(st.sampled_from([-100, 0]))
    reduction = draw(st.sampled_from(ops.REDUCTIONS))
    if reduction == "mean" and np.all(target == ignore_index):
        ignore_index = -100  # every element ignored: the mean is 0/0, NaN as in PyTorch
    description = f"NllLoss {x.shape} target={target.tolist()} weight={weight} ignore={ignore_index} {reduction}"
    return OpCase(description, applying(lambda: ops.NllLoss(target, weight, ignore_index, reduction)), (x,))


STRATEGIES: dict = {
    ops.Add: binary(ops.Add),
    ops.Sub: binary(ops.Sub),
    ops.Mul: binary(ops.Mul),
    ops.Div: binary(ops.Div, b_elements=away_from_zero(0.5, 3)),
    ops.Neg: neg_case(),
    ops.Pow: pow_case(),
    ops.MatMul: matmul_case(),
    ops.Exp: unary(ops.Exp, floats_in(-3, 3)),
    ops.Log: unary(ops.Log, floats_in(0.1, 5)),
    ops.Relu: unary(ops.Relu, away_from_zero(0.1, 3)),
    ops.Sigmoid: unary(ops.Sigmoid, floats_in(-6, 6)),
    ops.Tanh: unary(ops.Tanh, floats_in(-3, 3)),
    ops.Cast: cast_case(),
    ops.Where: where_case(),
    ops.Sum: reduction(ops.Sum),
    ops.Mean: reduction(ops.Mean),
    ops.Max: max_case(),
    ops.Reshape: reshape_case(),
    ops.Transpose: transpose_case(),
    ops.Expand: expand_case(),
    ops.Index: index_case(),
    ops.IndexPut: index_put_case(),
    ops.LogSoftmax: softmax_family(ops.LogSoftmax),
    ops.Softmax: softmax_family(ops.Softmax),
    ops.BinaryCrossEntropy: binary_cross_entropy_case(),
    ops.BinaryCrossEntropyWithLogits: binary_cross_entropy_with_logits_case(),
    ops.NllLoss: nll_loss_case(),
}


def test_every_registered_op_has_a_strategy():
    missing = [op.__name__ for op in ops.OPS if op not in STRATEGIES]
    assert not missing, f"add a strategy to STRATEGIES in {__file__} for: {', '.join(missing)}"


@pytest.mark.parametrize("op_class", ops.OPS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_op_backward_matches_finite_differences(op_class, data):
    assert op_class in STRATEGIES, f"{op_class.__name__} has no strategy in STRATEGIES"
    case = data.draw(STRATEGIES[op_class], label="case")
    assert tg.gradcheck(case.fn, *case.inputs)
