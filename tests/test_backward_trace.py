"""trace_backward: the chain rule of the slide network, step by step, against the hand computation."""

import copy
import dataclasses
import json
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_ops_gradcheck import STRATEGIES, OpCase, arrays, floats_in

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.autograd import node_ids, topological_order
from tinygrad_edu.lecture.mlp import SLIDE_WEIGHT, SLIDE_X, slide_network
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops import unbroadcast
from tinygrad_edu.viz.trace import ELEMENTWISE, JACOBIAN, MATMUL_FIRST, MATMUL_SECOND, REARRANGED


def hand_values() -> dict:
    """The lecture's hand computation in float64, from x = [1, 2], every parameter 0.1, y = 0."""
    x, w = np.array(SLIDE_X), SLIDE_WEIGHT
    h = np.full(2, w * x.sum() + w)
    y_hat = 1 / (1 + math.exp(-(w * h.sum() + w)))
    dl_dy_hat = 1 / (1 - y_hat)  # d/dŷ of −ln(1 − ŷ)
    dy_hat_dz = y_hat * (1 - y_hat)
    dl_dz = dl_dy_hat * dy_hat_dz
    dl_dh = dl_dz * np.full(2, w)
    return {"h": h, "dL/dŷ": dl_dy_hat, "dŷ/dz": dy_hat_dz, "dL/dz": dl_dz, "dL/dW_z": dl_dz * h,
            "dL/db_z": dl_dz, "dL/dh": dl_dh, "dL/dW_h": np.outer(dl_dh, x), "dL/db_h": dl_dh}


def steps_into(steps, value, op):
    found = [s for s in steps if s.node is value and s.op == op]
    assert len(found) == 1, f"expected one {op} step into the Value, found {len(found)}"
    return found[0]


@pytest.fixture
def network():
    return slide_network(dtype=np.float64)


def test_hand_values_print_as_the_issue_states():
    hand = hand_values()
    printed = {key: np.round(value, 4).tolist() for key, value in hand.items() if key != "h"}
    assert printed == {"dL/dŷ": 2.1972, "dŷ/dz": 0.248, "dL/dz": 0.5449, "dL/dW_z": [0.218, 0.218],
                       "dL/db_z": 0.5449, "dL/dh": [0.0545, 0.0545], "dL/dW_h": [[0.0545, 0.109], [0.0545, 0.109]],
                       "dL/db_h": [0.0545, 0.0545]}


def test_trace_of_the_slide_network_step_by_step(network):
    hand = hand_values()
    steps = tg.trace_backward(network.loss)
    (weight_h, bias_h), (weight_z, bias_z) = [(layer.weight, layer.bias) for layer in network.model[:2]]
    z = network.y_hat._op.parents[0]
    # loss = mean(bce(ŷ, y)): dL/dŷ = 1/(1 − ŷ) since y = 0
    bce = steps_into(steps, network.y_hat, "binary_cross_entropy")
    np.testing.assert_allclose(bce.local_derivative, [hand["dL/dŷ"]], rtol=1e-12)
    np.testing.assert_allclose(bce.product, [hand["dL/dŷ"]], rtol=1e-12)
    # ŷ = σ(z): dŷ/dz = ŷ(1 − ŷ), dL/dz = dL/dŷ · dŷ/dz
    sigmoid = steps_into(steps, z, "sigmoid")
    np.testing.assert_allclose(sigmoid.upstream, [hand["dL/dŷ"]], rtol=1e-12)
    np.testing.assert_allclose(sigmoid.local_derivative, [hand["dŷ/dz"]], rtol=1e-12)
    np.testing.assert_allclose(sigmoid.product, [hand["dL/dz"]], rtol=1e-12)
    # z = h @ W_zᵀ + b_z: the bias receives dL/dz, W_zᵀ receives h · dL/dz (matmul: local = h)
    np.testing.assert_allclose(steps_into(steps, bias_z, "add").product, [hand["dL/db_z"]], rtol=1e-12)
    matmul_z = [s for s in steps if s.op == "matmul" and s.output is z._op.parents[0]]
    into_h, into_w_z_t = sorted(matmul_z, key=lambda s: s.argument)
    np.testing.assert_allclose(into_w_z_t.local_derivative, hand["h"], rtol=1e-12)
    np.testing.assert_allclose(into_w_z_t.product.ravel(), hand["dL/dW_z"], rtol=1e-12)
    np.testing.assert_allclose(steps_into(steps, weight_z, "transpose").product, [hand["dL/dW_z"]], rtol=1e-12)
    # dL/dh = dL/dz · W_z, then the first layer: dL/db_h = dL/dh, dL/dW_h = outer(dL/dh, x)
    np.testing.assert_allclose(into_h.local_derivative.ravel(), weight_z.data.ravel())
    np.testing.assert_allclose(into_h.product, hand["dL/dh"], rtol=1e-12)
    np.testing.assert_allclose(steps_into(steps, bias_h, "add").product, hand["dL/db_h"], rtol=1e-12)
    np.testing.assert_allclose(steps_into(steps, weight_h, "transpose").product, hand["dL/dW_h"], rtol=1e-12)


def test_trace_products_add_up_to_what_backward_stores(network):
    steps = tg.trace_backward(network.loss)
    network.loss.backward()
    for value in topological_order(network.loss)[:-1]:  # every Value but the root receives some steps
        total = sum(s.product for s in steps if s.node is value)
        np.testing.assert_allclose(total, value.grad, rtol=1e-12)


def test_trace_changes_no_grad(network):
    tg.trace_backward(network.loss)
    assert all(value.grad is None for value in topological_order(network.loss, every_value=True))


def test_steps_follow_backwards_order(network):
    steps = tg.trace_backward(network.loss)
    order = [v for v in reversed(topological_order(network.loss)) if v._op is not None]
    outputs = []
    for step in steps:
        if not outputs or outputs[-1] is not step.output:
            outputs.append(step.output)
    assert outputs == order
    assert len(steps) == sum(p.requires_grad for v in order for p in v._op.parents)


def test_elementwise_local_derivative_times_upstream_is_the_product():
    a = tg.Value([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]], requires_grad=True, dtype=np.float64)
    b = tg.Value([0.3, 0.7, 1.1], requires_grad=True, dtype=np.float64)  # broadcast over rows
    out = ((a * b) / (a + b) - (a ** b).log() + b.exp() * a.tanh() - a.sigmoid().relu()).sum()
    steps = tg.trace_backward(out)
    elementwise = [s for s in steps if s.rule == ELEMENTWISE]
    assert {"mul", "div", "add", "sub", "pow", "log", "exp", "tanh", "sigmoid", "relu", "sum"} <= {
        s.op for s in elementwise}
    for step in elementwise:
        expected = unbroadcast(np.broadcast_to(step.upstream, step.local_derivative.shape) * step.local_derivative,
                               step.node.shape)
        np.testing.assert_allclose(step.product, expected, rtol=1e-12, err_msg=step.op)


def test_matmul_local_derivative_is_the_other_operand():
    a = tg.Value(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = tg.Value(np.arange(12.0).reshape(3, 4) / 10, requires_grad=True)
    out = a @ b
    first, second = tg.trace_backward(out, grad=np.ones((2, 4)))
    assert (first.rule, second.rule) == (MATMUL_FIRST, MATMUL_SECOND)
    np.testing.assert_array_equal(first.local_derivative, b.data)
    np.testing.assert_array_equal(second.local_derivative, a.data)
    np.testing.assert_allclose(first.product, first.upstream @ b.data.T)
    np.testing.assert_allclose(second.product, a.data.T @ second.upstream)


def test_softmax_local_derivative_is_the_jacobian():
    x = tg.Value([0.2, -1.0, 0.5], requires_grad=True, dtype=np.float64)
    weights = np.array([1.0, 2.0, -3.0])
    (step, *_) = [s for s in tg.trace_backward((x.softmax() * weights).sum()) if s.op == "softmax"]
    s = np.exp(x.data) / np.exp(x.data).sum()
    assert step.rule == JACOBIAN
    np.testing.assert_allclose(step.local_derivative, np.diag(s) - np.outer(s, s), rtol=1e-12)
    np.testing.assert_allclose(step.product, step.upstream @ step.local_derivative, rtol=1e-12)


def test_print_trace_writes_one_line_per_step_with_the_numbers(network, capsys):
    network.y_hat.name = "ŷ"
    steps = tg.trace_backward(network.loss)
    tg.print_trace(steps)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(steps)
    hand = hand_values()
    sigmoid_line = lines[[s.op for s in steps].index("sigmoid")]
    assert sigmoid_line == (f"sigmoid: dL/dz = dL/dŷ · ∂ŷ/∂z = [{hand['dL/dŷ']:.4f}] · "
                            f"[{hand['dŷ/dz']:.4f}] = [{hand['dL/dz']:.4f}]")
    assert any(line.startswith("transpose: dL/d1.weight") for line in lines)


def test_steps_serialise_to_json_with_the_graph_ids(network):
    steps = tg.trace_backward(network.loss)
    records = json.loads(json.dumps([step.to_dict() for step in steps]))
    ids = node_ids(network.loss)
    for record, step in zip(records, steps, strict=True):
        assert (record["node"], record["output"]) == (ids[step.node], ids[step.output])
        assert record["op"] == step.output._op.name
        np.testing.assert_allclose(record["product"], step.product)
    assert {r["node_name"] for r in records} >= {"0.weight", "0.bias", "1.weight", "1.bias"}


def test_upstream_takes_the_dtype_of_its_value_as_in_backward():
    x = tg.Value([1.0, 2.0], requires_grad=True, dtype=np.float32)
    scale = tg.Value([0.5, 0.25], requires_grad=True, dtype=np.float64)
    out = ((x * scale).exp() * x).sum()  # float32 * float64 hands float64 gradients back
    steps = tg.trace_backward(out)
    for step in steps:
        assert step.upstream.dtype == step.output.dtype, step.op
    out.backward()
    for leaf in (x, scale):
        np.testing.assert_allclose(sum(s.product for s in steps if s.node is leaf), leaf.grad, rtol=1e-6)


# ---------------------------------------------------------------- the trace cannot disagree with backward

def unit_arrays(shape: tuple, dtype) -> list:
    """The unit arrays of ``shape``: one 1 in each position in turn."""
    units = []
    for k in range(math.prod(shape)):
        unit = np.zeros(shape, dtype=dtype)
        unit.reshape(-1)[k] = 1
        units.append(unit)
    return units


def through_linear(step, forward) -> np.ndarray:
    """Σ over outputs of upstream · d(output)/d(node) for an operation linear in ``node``: each
    element's share is the upstream weighted by ``forward`` of that element's unit array."""
    units = unit_arrays(step.node.shape, step.node.dtype)
    shares = [np.sum(step.upstream * forward(unit)) for unit in units]
    return np.array(shares, dtype=step.product.dtype).reshape(step.node.shape)


def with_reduced_axes_back(step) -> np.ndarray:
    """The upstream gradient with the axes a reduction removed put back (size 1), so that it
    broadcasts against a local derivative of the input's shape."""
    op, upstream = step.grad_fn, step.upstream
    if isinstance(op, (ops.Sum, ops.Mean)) and not op.keepdims:
        return np.expand_dims(upstream, op.axis)
    if isinstance(op, ops.Max) and op.axis is not None and not op.keepdims:
        return np.expand_dims(upstream, op.axis)
    if isinstance(op, ops.NllLoss) and op.reduction == "none" and step.node.ndim > 1:
        return np.expand_dims(upstream, 1)  # the class axis
    return upstream


def product_by_the_rule(step) -> np.ndarray:
    """What the step's printed rule says ``upstream`` and ``local_derivative`` combine into,
    computed here in the rule's own words rather than by the operation's backward."""
    local = step.local_derivative
    if step.rule == ELEMENTWISE:  # upstream · local, summed over the copies broadcasting made
        return unbroadcast(with_reduced_axes_back(step) * local, step.node.shape)
    if step.rule == JACOBIAN:  # Σ over outputs of upstream · local
        return np.tensordot(step.upstream, local, axes=step.upstream.ndim)
    if step.rule == MATMUL_FIRST:  # out = node @ local
        return through_linear(step, lambda unit: unit @ local)
    if step.rule == MATMUL_SECOND:  # out = local @ node
        return through_linear(step, lambda unit: local @ unit)
    assert step.rule == REARRANGED, step.rule
    # The operation only moves elements: out[k] = node[j] for some j, so run it on unit arrays
    # (index_put's other input 0: it is linear in each input alone).
    if isinstance(step.grad_fn, ops.IndexPut):
        other = np.zeros(step.grad_fn.parents[1 - step.argument].shape)
        return through_linear(step, lambda unit: copy.copy(step.grad_fn).forward(
            *((unit, other) if step.argument == 0 else (other, unit))))
    return through_linear(step, lambda unit: copy.copy(step.grad_fn).forward(unit))


@st.composite
def loss_case(draw):
    """A loss of nn.functional with a random reduction, class weights and ignore_index, as a
    function of its input Values (a float target is a Value that may require grad too)."""
    reduction = draw(st.sampled_from(ops.REDUCTIONS))
    kind = draw(st.sampled_from(["bce", "bce_with_logits", "mse", "cross_entropy", "nll_loss"]))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    if kind in ("bce", "bce_with_logits", "mse"):
        x = draw(arrays(shape, floats_in(0.05, 0.95) if kind == "bce" else floats_in(-3, 3)))
        y = draw(arrays(shape, floats_in(0, 1)))
        fn = {"bce": F.binary_cross_entropy, "bce_with_logits": F.binary_cross_entropy_with_logits,
              "mse": F.mse_loss}[kind]
        return OpCase(f"{kind} {shape} {reduction}", lambda a, b: fn(a, b, reduction=reduction), (x, y))
    x = draw(arrays(shape, floats_in(-3, 3)))
    class_axis = min(1, x.ndim - 1)
    classes = shape[class_axis]
    target_shape = shape[:class_axis] + shape[class_axis + 1:]
    weight = draw(st.none() | arrays((classes,), floats_in(0.5, 2)))
    if kind == "cross_entropy" and draw(st.booleans()):  # class probabilities
        target = draw(arrays(shape, floats_in(0, 1)))
        fn = lambda a, b: F.cross_entropy(a, b, weight=weight, reduction=reduction)  # noqa: E731
        return OpCase(f"{kind} probabilities {shape} weight={weight} {reduction}", fn, (x, target))
    target = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, classes - 1)))
    ignore_index = draw(st.sampled_from([-100, 0]))
    assume(np.any(target != ignore_index))  # every target ignored: a mean of nothing, NaN
    loss = getattr(F, kind)
    fn = lambda a: loss(a, target, weight=weight, ignore_index=ignore_index, reduction=reduction)  # noqa: E731
    return OpCase(f"{kind} {shape} target={target.tolist()} weight={weight} ignore={ignore_index} {reduction}",
                  fn, (x,))


def check_trace_against_backward(case):
    values = [tg.Value(x, requires_grad=True) if isinstance(x, np.ndarray) else x for x in case.inputs]
    out = case.fn(*values)
    weights = np.linspace(0.5, 1.5, out.data.size).reshape(out.shape)
    root = (out * weights).sum() + out.sum() + values[0].sum()  # several paths into out and into the input
    steps = tg.trace_backward(root)
    root.backward()
    for node in topological_order(root)[:-1]:  # every node but the root receives some steps
        into = [step for step in steps if step.node is node]
        assert into, f"{case.description}: no step into {node!r}"
        np.testing.assert_allclose(sum(step.product for step in into), node.grad, rtol=1e-12, atol=0,
                                   err_msg=case.description)
        np.testing.assert_allclose(into[-1].sum_so_far, node.grad, rtol=1e-12, err_msg=case.description)
    for step in steps:
        assert step.grad_fn is step.output.grad_fn
        np.testing.assert_allclose(product_by_the_rule(step), step.product, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case.description}: {step.op} into argument {step.argument}")


@pytest.mark.parametrize("op_class", ops.OPS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_trace_sums_to_backwards_grads_and_each_step_is_upstream_times_local(op_class, data):
    check_trace_against_backward(data.draw(STRATEGIES[op_class], label="case"))


@given(case=loss_case())
def test_trace_of_every_loss_sums_to_backwards_grads_and_each_step_is_upstream_times_local(case):
    check_trace_against_backward(case)


@pytest.mark.parametrize("reduction", ops.REDUCTIONS)
def test_binary_cross_entropy_traces_the_derivative_of_its_own_reduction(reduction):
    x = tg.Value([0.2, 0.7, 0.9], requires_grad=True, dtype=np.float64)
    y = tg.Value([0.0, 1.0, 0.5], requires_grad=True, dtype=np.float64)
    loss = tg.nn.BCELoss(reduction=reduction)(x, y)
    (step_x, step_y) = [s for s in tg.trace_backward(loss, np.ones(loss.shape)) if s.op == "binary_cross_entropy"]
    share = 1 / 3 if reduction == "mean" else 1  # d(mean)/d(loss_i) = 1/n, d(sum)/d(loss_i) = 1
    np.testing.assert_allclose(step_x.local_derivative, share * (x.data - y.data) / (x.data * (1 - x.data)))
    np.testing.assert_allclose(step_y.local_derivative, share * (np.log(1 - x.data) - np.log(x.data)))


def test_the_rule_check_rejects_a_wrong_local_derivative():
    a = tg.Value(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True, dtype=np.float64)
    b = tg.Value(np.arange(1.0, 4.0), requires_grad=True, dtype=np.float64)
    out = ((a * b).softmax() @ b).reshape(2, 1).sum()
    steps = tg.trace_backward(out)
    assert {ELEMENTWISE, JACOBIAN, MATMUL_FIRST, MATMUL_SECOND, REARRANGED} == {s.rule for s in steps}
    for step in steps:
        np.testing.assert_allclose(product_by_the_rule(step), step.product, rtol=1e-12)
        wrong = dataclasses.replace(step, local_derivative=step.local_derivative + 0.5)
        if step.rule == REARRANGED:  # its rule reads no numbers from the local derivative: change the upstream
            wrong = dataclasses.replace(step, upstream=step.upstream + 0.5)
        assert not np.allclose(product_by_the_rule(wrong), step.product), step.op
