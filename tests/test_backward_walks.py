"""The textbook walk and the tuned one give every node the same ``.grad``, bit for bit.

``autograd.backpropagate`` is backward as the lesson writes it; ``autograd.backward`` (what
``Value.backward`` runs) is the same walk tuned. Both sum in the same order, so on every
graph hypothesis draws (reused nodes, diamonds, constants, float32 beside float64, inputs
whose ``requires_grad`` changed after they were used, every operation in ``ops.OPS``) each
node's gradient must be the same array: the same dtype, shape and bytes, once and after a
second backward has accumulated into the leaves.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import autograd, ops
from tinygrad_edu.value import Value, apply

N = 3  # the drawn matrices are N × N, N × 1, 1 × N, N or 0-d: every pair broadcasts
SHAPES = [(N, N), (N, 1), (1, N), (N,), ()]
DTYPES = [np.float64, np.float64, np.float32]  # float32 beside float64 sends gradients of the wrong dtype back
WALKS = {"textbook": autograd.backpropagate, "tuned": autograd.backward}


def floats(draw, shape, dtype, low=-2.0, high=2.0) -> np.ndarray:
    values = draw(st.lists(st.floats(low, high, allow_nan=False), min_size=int(np.prod(shape)),
                           max_size=int(np.prod(shape))))
    return np.array(values, dtype=dtype).reshape(shape)


def pick(draw, nodes, fits=lambda node: True):
    """A node already in the graph (so nodes are reused and paths meet), one that ``fits`` if any."""
    candidates = [node for node in nodes if fits(node)] or nodes
    return candidates[draw(st.integers(0, len(candidates) - 1))]


def unary(op_class):
    return lambda draw, nodes: apply(op_class(), pick(draw, nodes))


def binary(op_class):
    return lambda draw, nodes: apply(op_class(), pick(draw, nodes), pick(draw, nodes))


def cast(draw, nodes):
    x = pick(draw, nodes)
    return apply(ops.Cast(np.float32 if x.dtype == np.float64 else np.float64), x)


def matmul(draw, nodes):
    a = pick(draw, nodes, lambda node: node.ndim >= 1)
    if a.ndim == 0:
        a = apply(ops.Reshape((1, 1)), a)
    inner = a.shape[-1]
    b = pick(draw, nodes, lambda node: node.ndim == 2 and node.shape[0] == inner and node.dtype == a.dtype)
    if b.ndim != 2 or b.shape[0] != inner or b.dtype != a.dtype:  # PyTorch multiplies matrices of one dtype
        b = Value(floats(draw, (inner, N), a.dtype))  # a constant of the right shape
    return apply(ops.MatMul(), a, b)


def reduction(op_class, many_axes=True):
    def build(draw, nodes):
        x = pick(draw, nodes)
        axes = [None] + list(range(-x.ndim, x.ndim)) + ([tuple(range(x.ndim))] if many_axes and x.ndim else [])
        axis = axes[draw(st.integers(0, len(axes) - 1))]
        return apply(op_class(axis=axis, keepdims=draw(st.booleans())), x)
    return build


def reshape(draw, nodes):
    x = pick(draw, nodes)
    return apply(ops.Reshape(x.shape[::-1]), x)


def index(draw, nodes):
    x = pick(draw, nodes, lambda node: node.ndim >= 1)
    if x.ndim == 0:
        return apply(ops.Index(()), x)
    rows = draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=x.shape[0], max_size=x.shape[0]))
    return apply(ops.Index(np.array(rows)), x)  # repeated rows: their gradients add up


def where(draw, nodes):
    x, y = pick(draw, nodes), pick(draw, nodes)
    condition = floats(draw, x.shape, np.float64) > 0  # the shape of x: it broadcasts with y as x does
    return apply(ops.Where(condition), x, y)


def expand(draw, nodes):
    x = pick(draw, nodes)
    return apply(ops.Expand((N,) + np.broadcast_shapes(x.shape, (N,) * x.ndim)), x)  # every side N: it broadcasts on


def index_put(draw, nodes):
    base = pick(draw, nodes, lambda node: node.ndim >= 1)
    if base.ndim == 0:
        base = apply(ops.Reshape((1,)), base)
    rows = np.array(draw(st.lists(st.integers(0, base.shape[0] - 1), min_size=1, max_size=4)))
    values = pick(draw, nodes, lambda node: node.ndim == 0)  # a 0-d value broadcasts to every row
    if values.ndim:
        values = apply(ops.Sum(), values)
    if draw(st.booleans()):
        return apply(ops.IndexPut(rows, accumulate=draw(st.booleans())), base, values)
    # base[rows] = values, written into a copy y that an earlier node also used: that node's gradient
    # must go to y as it was before (recording.as_recorded), the rest through the IndexPut.
    y = apply(ops.Mul(), base, Value(np.ones((), dtype=base.dtype)))
    nodes.append(apply(ops.Exp(), y))  # recorded before the assignment
    y[rows] = values.to(y.dtype) if values.dtype != y.dtype else values
    return y


def softmax(op_class):
    def build(draw, nodes):
        x = pick(draw, nodes, lambda node: node.ndim >= 1)
        return apply(op_class(axis=-1), x if x.ndim else apply(ops.Reshape((1,)), x))
    return build


def reductions():
    return st.sampled_from(ops.REDUCTIONS)


def binary_cross_entropy(draw, nodes):
    probability = apply(ops.Sigmoid(), pick(draw, nodes))
    target = apply(ops.Sigmoid(), pick(draw, nodes))
    return apply(ops.BinaryCrossEntropy(draw(reductions())), probability, target)


def binary_cross_entropy_with_logits(draw, nodes):
    target = apply(ops.Sigmoid(), pick(draw, nodes))
    return apply(ops.BinaryCrossEntropyWithLogits(draw(reductions())), pick(draw, nodes), target)


def nll_loss(draw, nodes):
    x = pick(draw, nodes, lambda node: node.ndim >= 1)
    if x.ndim == 0:
        x = apply(ops.Reshape((1,)), x)
    classes = x.shape[1] if x.ndim == 2 else x.shape[0]
    size = x.shape[0] if x.ndim == 2 else None
    target = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=size or 1, max_size=size or 1)))
    return apply(ops.NllLoss(target if size else target[0], reduction=draw(reductions())), x)


# How each operation of ops.OPS is drawn into a graph.
BUILDERS = {
    ops.Add: binary(ops.Add), ops.Sub: binary(ops.Sub), ops.Mul: binary(ops.Mul), ops.Div: binary(ops.Div),
    ops.Neg: unary(ops.Neg), ops.Pow: binary(ops.Pow), ops.MatMul: matmul,
    ops.Exp: unary(ops.Exp), ops.Log: unary(ops.Log), ops.Relu: unary(ops.Relu),
    ops.Sigmoid: unary(ops.Sigmoid), ops.Tanh: unary(ops.Tanh), ops.Cast: cast, ops.Where: where,
    ops.Sum: reduction(ops.Sum), ops.Mean: reduction(ops.Mean), ops.Max: reduction(ops.Max, many_axes=False),
    ops.Reshape: reshape, ops.Transpose: unary(ops.Transpose), ops.Expand: expand, ops.Index: index,
    ops.IndexPut: index_put,
    ops.LogSoftmax: softmax(ops.LogSoftmax), ops.Softmax: softmax(ops.Softmax),
    ops.BinaryCrossEntropy: binary_cross_entropy,
    ops.BinaryCrossEntropyWithLogits: binary_cross_entropy_with_logits, ops.NllLoss: nll_loss,
}


@st.composite
def graphs(draw, steps=None):
    """(root, seed): a graph of drawn leaves and operations, and dL/d(root) to start backward with."""
    leaves = []
    for _ in range(draw(st.integers(1, 4))):
        shape, dtype = draw(st.sampled_from(SHAPES)), draw(st.sampled_from(DTYPES))
        leaves.append(Value(floats(draw, shape, dtype), requires_grad=draw(st.booleans())))
    if not any(leaf.requires_grad for leaf in leaves):
        leaves[0].requires_grad = True
    nodes = list(leaves)
    kinds = steps if steps is not None else draw(st.lists(st.sampled_from(list(BUILDERS)), min_size=1, max_size=10))
    with np.errstate(all="ignore"):
        for kind in kinds:
            nodes.append(BUILDERS[kind](draw, nodes))
    root = nodes[-1]
    if not root.requires_grad:  # every input drawn was a constant: tie the root to a leaf that requires grad
        root = apply(ops.Add(), root, next(leaf for leaf in leaves if leaf.requires_grad))
    for leaf in leaves:  # requires_grad changed after use: switched on (gets nothing) or off (sends nothing)
        if draw(st.integers(0, 4)) == 0:
            leaf.requires_grad = not leaf.requires_grad
    return root, floats(draw, root.shape, root.dtype)


def grads_after(walk, root, seed, calls: int) -> list:
    """Every node's ``.grad`` (None or an array) after ``calls`` walks from fresh, in node order."""
    values = autograd.topological_order(root, every_value=True)
    for value in values:
        value._grad = None
    with np.errstate(all="ignore"):
        for _ in range(calls):
            walk(root, seed.copy())
    return [value.grad for value in values]


def assert_same_bits(textbook: list, tuned: list) -> None:
    assert len(textbook) == len(tuned)
    for position, (plain, fast) in enumerate(zip(textbook, tuned, strict=True)):
        if plain is None or fast is None:
            assert plain is None and fast is None, f"node {position}: {plain!r} against {fast!r}"
            continue
        assert type(plain) is np.ndarray and type(fast) is np.ndarray, f"node {position}"
        assert (plain.dtype, plain.shape) == (fast.dtype, fast.shape), f"node {position}"
        assert plain.tobytes() == fast.tobytes(), f"node {position}: {plain} against {fast}"


@settings(max_examples=150)
@given(graphs(), st.integers(1, 2))
def test_the_textbook_walk_and_the_tuned_walk_give_the_same_grads(graph, calls):
    root, seed = graph
    assert_same_bits(grads_after(autograd.backpropagate, root, seed, calls),
                     grads_after(autograd.backward, root, seed, calls))


@given(st.permutations(list(BUILDERS)).flatmap(lambda order: graphs(steps=order)))
def test_on_a_graph_with_every_op_in_OPS_both_walks_agree(graph):
    root, seed = graph
    assert_same_bits(grads_after(autograd.backpropagate, root, seed, 2), grads_after(autograd.backward, root, seed, 2))


def test_every_op_in_OPS_is_drawn():
    assert set(BUILDERS) == set(ops.OPS)


def test_a_diamond_with_a_reused_node_and_a_constant_gets_the_chain_rules_sums():
    x, three = Value(np.array([1.0, 2.0]), requires_grad=True), Value(3.0, dtype=np.float64)
    h = x * x  # reused by both paths of the diamond
    root = (h * three + h.exp()).sum()
    for name, walk in WALKS.items():
        grads_after(walk, root, np.array(1.0), 1)
        assert three.grad is None, name  # a constant gets no gradient
        np.testing.assert_allclose(x.grad, (3 + np.exp(x.data ** 2)) * 2 * x.data, err_msg=name)


def test_both_walks_refuse_a_value_changed_in_place_with_the_same_words():
    w = Value(np.array([1.0, 2.0]), requires_grad=True)
    h = w * 2.0
    loss = (h * h).sum()
    h._version += 1  # as an in-place change would
    messages = []
    for walk in WALKS.values():
        with pytest.raises(RuntimeError, match=r"a Value of shape \(2,\) and dtype float64, is at version 1, "
                                               r"expected version 0") as error:
            walk(loss, np.array(1.0))
        messages.append(str(error.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("make, inputs", [
    (ops.Add, 2), (ops.Mul, 2), (ops.Exp, 1), (ops.Neg, 1), (lambda: ops.Sum(axis=0), 1),
], ids=["add", "mul", "exp", "neg", "sum"])
def test_apply_records_what_the_plain_record_keeps(make, inputs):
    values = [Value(np.array([1.0, 2.0]), requires_grad=True), Value(np.array([3.0, 4.0]))][:inputs]
    for position, value in enumerate(values):
        value._version = 5 + position  # as if changed in place before: the versions recorded are these
    applied = make()
    apply(applied, *values)  # apply's tuned body
    recorded = make()
    recorded.record(tuple(values), tuple(value.requires_grad for value in values))  # the plain version
    assert applied.parents == recorded.parents and applied.needs_input_grad == recorded.needs_input_grad
    assert (applied._first_input, applied._second_input) == (recorded._first_input, recorded._second_input)
    # Every operation stamps its inputs' versions (recording.py: also to follow one given new history back).
    assert applied.versions == recorded.versions
    assert [applied.recorded_version(p) for p in range(inputs)] == [5 + p for p in range(inputs)]
