"""trace_backward: the chain rule of the slide network, step by step, against the hand computation."""

import json
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import node_ids, topological_order
from tinygrad_edu.lecture.mlp import SLIDE_WEIGHT, SLIDE_X, slide_network
from tinygrad_edu.ops import unbroadcast
from tinygrad_edu.viz.trace import ELEMENTWISE, JACOBIAN, MATMUL_FIRST, MATMUL_SECOND


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
    z_id = steps[[s.op for s in steps].index("sigmoid")].node_id
    assert sigmoid_line == (f"sigmoid: dL/d{z_id} = dL/dŷ · dŷ/d{z_id} = [{hand['dL/dŷ']:.4f}] · "
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
