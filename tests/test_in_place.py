"""In-place operators and version counters, PyTorch's rules: ``+= -= *= /=`` write into the
Value's own array; a leaf that requires grad refuses them outside ``no_grad``; every change bumps
``_version``, and backward refuses an operation whose saved input (or output) has changed since.
Each case runs the same code on torch, where torch's behaviour is the same."""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest

import tinygrad_edu as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle here: pip install '.[oracle]'")
ENGINES = ["tinygrad_edu", pytest.param("torch", marks=needs_torch)]
IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "**=": operator.ipow}
FLOATS = [np.float64, np.float32]
STALE = r"modified by an inplace operation"


class Engine:
    """The same test on Values and on tensors: ``leaf``, ``constant`` and ``no_grad`` by name."""

    def __init__(self, name: str, dtype=np.float64):
        self.name, self.dtype = name, np.dtype(dtype)
        self.lib = torch if name == "torch" else tg

    def leaf(self, data, requires_grad=True):
        array = np.asarray(data, dtype=self.dtype)
        if self.name == "torch":
            return torch.tensor(array, requires_grad=requires_grad)
        return tg.Value(array, requires_grad=requires_grad)

    def constant(self, data, dtype=None):
        array = np.asarray(data, dtype=dtype or self.dtype)
        return torch.tensor(array) if self.name == "torch" else tg.Value(array)

    def no_grad(self):
        return self.lib.no_grad()


def grad_of(x):
    return x.grad.numpy() if torch is not None and isinstance(x, torch.Tensor) else x.grad


# ---------------------------------------------------------------- what is allowed, and what it does

@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_on_a_leaf_inside_no_grad_changes_its_data_and_keeps_the_leaf(name, dtype, symbol):
    engine = Engine(name, dtype)
    w = engine.leaf([1.0, 2.0])
    (w * w).sum().backward()
    same, data, grad = w, w.data if name == "tinygrad_edu" else w.data_ptr(), grad_of(w).copy()
    with engine.no_grad():
        w = IN_PLACE[symbol](w, 0.5)
    assert w is same and w.requires_grad and w.is_leaf and w._version == 1
    assert (w.data is data) if name == "tinygrad_edu" else (w.data_ptr() == data)
    np.testing.assert_array_equal(grad_of(w), grad)
    expected = IN_PLACE[symbol](np.array([1.0, 2.0], dtype=dtype), dtype(0.5))
    np.testing.assert_allclose(np.asarray(w.detach().numpy() if name == "torch" else w.data), expected)
    assert w.dtype == (engine.dtype if name == "tinygrad_edu" else w.dtype)


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_refuses_outside_no_grad(name, symbol):
    engine = Engine(name)
    w = engine.leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        IN_PLACE[symbol](w, 0.5)
    np.testing.assert_array_equal(w.detach().numpy() if name == "torch" else w.data, [1.0, 2.0])
    assert w._version == 0


@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_on_a_value_in_a_graph_refuses_and_says_to_write_a_new_value(symbol):
    # PyTorch records the operation; here it is refused (see Value._in_place), and nothing changes.
    w = tg.Value([1.0, 2.0], requires_grad=True)
    h = w * 2
    with pytest.raises(RuntimeError, match=rf"h = h {re.escape(symbol[:-1])} y"):
        IN_PLACE[symbol](h, 0.5)
    x = tg.Value([1.0, 2.0])
    with pytest.raises(RuntimeError, match=rf"h = h {re.escape(symbol[:-1])} y"):
        IN_PLACE[symbol](x, w)
    np.testing.assert_array_equal(h.data, [2.0, 4.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert h._version == x._version == 0


@pytest.mark.parametrize("name", ENGINES)
def test_in_place_on_a_value_without_grad_needs_no_no_grad(name):
    engine = Engine(name)
    x = engine.leaf([1.0, 2.0], requires_grad=False)
    x += 1
    x *= engine.constant([2.0, 3.0])
    assert x._version == 2
    np.testing.assert_array_equal(x.numpy(), [4.0, 9.0])


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("target, operand, allowed", [
    (np.int64, 0.5, False), (np.int64, np.array([1.0, 2.0], dtype=np.float32), False),
    (np.float32, np.array([1.0, 2.0], dtype=np.float64), True), (np.int32, np.array([1, 2], dtype=np.int64), True),
    (np.uint8, np.array([1, 2], dtype=np.int64), True), (np.bool_, np.array([1, 2], dtype=np.int64), False),
    (np.float32, 2, True),
], ids=["int+=float", "int+=float32", "float32+=float64", "int32+=int64", "uint8+=int64", "bool+=int",
        "float32+=int"])
def test_in_place_keeps_the_dtype_and_refuses_a_result_of_a_wider_kind(name, target, operand, allowed):
    engine = Engine(name)
    x = engine.constant([1, 0], dtype=target)
    other = operand if np.isscalar(operand) else engine.constant(operand, dtype=operand.dtype)
    if allowed:
        x += other
        assert np.asarray(x.numpy()).dtype == np.dtype(target) and x._version == 1
        np.testing.assert_array_equal(x.numpy(), (np.array([1, 0]) + np.asarray(operand)).astype(target))
    else:
        with pytest.raises(TypeError if name == "tinygrad_edu" else RuntimeError, match="cast"):
            x += other
        np.testing.assert_array_equal(x.numpy(), np.array([1, 0], dtype=target))
        assert x._version == 0


@pytest.mark.parametrize("name", ENGINES)
def test_in_place_refuses_a_result_of_another_shape(name):
    engine = Engine(name)
    x = engine.leaf([1.0, 2.0, 3.0], requires_grad=False)
    with pytest.raises(ValueError if name == "tinygrad_edu" else RuntimeError, match="shape"):
        x += engine.constant(np.ones((2, 3)))
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    assert x._version == 0


@pytest.mark.parametrize("name", ENGINES)
def test_writing_to_data_directly_does_not_bump_the_version(name):
    w = Engine(name).leaf([1.0, 2.0])
    w.data += 1
    assert w._version == 0


# ---------------------------------------------------------------- backward after a change

def run(engine, build, change):
    """Build a loss, change a Value in place under no_grad, then go backward: the error, or the leaf's grad."""
    w = engine.leaf([1.0, -2.0, 3.0])
    x = engine.leaf([0.5, 4.0, -1.0], requires_grad=False)
    loss, changed = build(w, x)
    with engine.no_grad():
        changed_value = {"w": w, "x": x}.get(changed) if isinstance(changed, str) else changed
        changed_value *= 2
    try:
        loss.backward()
    except RuntimeError as error:
        return str(error)
    return grad_of(w)


def through(op):
    """The loss ``op(h).sum()`` with ``h = w * 3``, changing ``h``: a node read by its consumer or its own op."""
    def build(w, x):
        h = w * 3
        out = op(h)
        return out.sum(), h
    return build


def output_of(op):
    """The loss ``op(w).sum()``, changing ``op(w)`` itself (read by its own backward if op saves its output)."""
    def build(w, x):
        out = op(w)
        return out.sum(), out
    return build


def functional(value):
    """nn.functional of the value's engine."""
    return (torch if torch is not None and isinstance(value, torch.Tensor) else tg).nn.functional


def bce_prediction(w, x):
    """BCE of a constant prediction p against a target that requires grad: the target's gradient reads p."""
    p = x * 0 + 0.25
    return functional(w).binary_cross_entropy(p, w.sigmoid()), p


def bce_with_logits_logit(w, x):
    p = x * 1
    return functional(w).binary_cross_entropy_with_logits(p, w.sigmoid()), p


CASES = {
    # name: (build, refused?)
    "mul reads the constant x": (lambda w, x: ((w * x).sum(), "x"), True),
    "mul does not read w for w's gradient": (lambda w, x: ((w * x).sum(), "w"), False),
    "w*w reads w": (lambda w, x: ((w * w).sum(), "w"), True),
    "add reads nothing": (lambda w, x: ((w + x).sum(), "x"), False),
    "matmul reads x": (lambda w, x: (w @ x, "x"), True),
    "div reads the divisor": (lambda w, x: ((w / x).sum(), "x"), True),
    "pow reads its base": (lambda w, x: ((w ** 2).sum(), "w"), True),
    "log reads its input": (through(lambda h: (h * h + 1).log()), True),
    "relu reads its output": (output_of(lambda w: w.relu()), True),
    "relu does not read its input": (through(lambda h: h.relu()), False),
    "exp reads its output": (output_of(lambda w: w.exp()), True),
    "tanh reads its output": (output_of(lambda w: w.tanh()), True),
    "sigmoid reads its output": (output_of(lambda w: w.sigmoid()), True),
    "softmax reads its output": (output_of(lambda w: w.softmax(0)), True),
    "add does not read its output": (output_of(lambda w: w + 1), False),
    "sum and mean read nothing": (through(lambda h: h.sum() + h.mean()), False),
    "reshape and transpose read nothing": (through(lambda h: h.reshape(3, 1).T), False),
    # What PyTorch's backward saves, read by ours or not (issue 23: the refusals are PyTorch's).
    "div's b gradient reads a": (lambda w, x: ((x / w).sum(), "x"), True),
    "div does not read its output": (output_of(lambda w: 1 / w), False),
    "max(dim) reads neither": (through(lambda h: h.reshape(1, 3).max(1)[0] if torch is not None and isinstance(
        h, torch.Tensor) else h.reshape(1, 3).max(1)), False),
    "bce's target gradient reads the prediction": (bce_prediction, True),
    "bce with logits' target gradient reads the logit": (bce_with_logits_logit, True),
}


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CASES)
def test_backward_refuses_exactly_when_a_saved_value_was_changed(name, dtype, case):
    build, refused = CASES[case]
    outcome = run(Engine(name, dtype), build, None)
    if refused:
        assert isinstance(outcome, str) and "modified by an inplace operation" in outcome
    else:
        assert not isinstance(outcome, str), outcome
        if torch is not None:  # and the gradient is torch's
            np.testing.assert_allclose(outcome, run(Engine("torch", dtype), build, None), rtol=1e-6)


def test_the_error_names_the_operation_the_value_and_both_versions():
    w = tg.Value([1.0, 2.0], requires_grad=True)
    x = tg.Value([3.0, 4.0], name="x")
    loss = (w * x).sum()
    x += 1
    x += 1
    message = r"input 2 of mul, a Value 'x' of shape \(2,\).*version 2, expected version 0"
    with pytest.raises(RuntimeError, match=message):
        loss.backward()
    assert w.grad is None


def test_a_version_taken_when_recorded_is_compared_not_zero():
    w = tg.Value([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        w *= 2  # version 1 before the graph is built: nothing is stale
    loss = (w * w).sum()
    loss.backward()
    loss.backward()  # a graph is still reusable
    np.testing.assert_allclose(w.grad, [8.0, 16.0])  # twice d(w·w)/dw = 2w at w = [2, 4]


def test_a_step_that_bumps_the_version_makes_the_old_graph_refuse():
    # What the optimizers do after writing a parameter in place: ``p._version += 1`` is all it takes.
    p = tg.Value([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()
    loss.backward()
    p.data -= 0.1 * p.grad
    p._version += 1
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


@needs_torch
def test_torch_refuses_the_old_graph_after_an_optimizer_step_too():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    torch.optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()

