"""Derivatives of derivatives: ``autograd.grad``, ``backward(create_graph=True, inputs=…)``, what
``.grad`` holds, grad mode and the version counter under ``create_graph``, an operation whose
backward works on arrays only, and bad input. (PyTorch's numbers: tests/test_higher_order_torch.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops, value
from tinygrad_edu.autograd import grad
from tinygrad_edu.value import Value, apply


def leaf(*numbers) -> Value:
    return Value(np.array(numbers, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------- grad and create_graph

def test_grad_returns_one_value_per_input_and_stores_nothing():
    x, y = leaf(1.0, 2.0), leaf(3.0, 4.0)
    gx, gy = grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gy.data, [1.0, 2.0])
    assert isinstance(gx, Value) and not gx.requires_grad and gx.grad_fn is None
    assert x.grad is None and y.grad is None


def test_grad_of_a_gradient_built_with_create_graph_gives_the_second_derivative():
    x = leaf(0.5, -2.0, 3.0)
    (first,) = grad((x ** 3).sum(), x, create_graph=True)
    assert first.requires_grad and first.grad_fn is not None
    np.testing.assert_allclose(first.data, 3 * x.data ** 2)
    (second,) = grad(first.sum(), x, create_graph=True)
    np.testing.assert_allclose(second.data, 6 * x.data)
    (third,) = grad(second.sum(), x)
    np.testing.assert_allclose(third.data, [6.0, 6.0, 6.0])


def test_derivatives_to_the_fifth_order_of_exp_are_exp():
    x = leaf(0.3, -1.2)
    derivative = x.exp().sum()
    for _ in range(5):
        (derivative,) = grad(derivative.sum(), x, create_graph=True)
        np.testing.assert_allclose(derivative.data, np.exp(x.data), rtol=1e-14)


def test_backward_with_create_graph_leaves_a_gradient_that_can_be_differentiated():
    x = leaf(1.0, 2.0)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.requires_grad
    np.testing.assert_allclose(np.asarray(x.grad), [3.0, 12.0])
    (g,) = grad((x.grad * x.grad).sum(), x)
    np.testing.assert_allclose(g.data, 36 * x.data ** 3)


def test_a_gradient_that_depends_on_nothing_is_a_value_without_a_graph():
    x = leaf(1.0, 2.0)
    x.sum().backward(create_graph=True)
    assert isinstance(x.grad, Value) and not x.grad.requires_grad
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_create_graph_backward_twice_adds_the_gradients_as_values():
    x = leaf(1.0, 2.0)
    (x ** 3).sum().backward(create_graph=True)
    (x ** 2).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2 + 2 * x.data)
    (g,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(g.data, 6 * x.data + 2)


def test_a_plain_backward_after_create_graph_adds_into_that_value_in_place_as_pytorch():
    x = leaf(1.0, 2.0)
    (x ** 3).sum().backward(create_graph=True)
    held, version = x.grad, x.grad._version
    (x ** 2).sum().backward()
    assert x.grad is held and x.grad._version == version + 1
    np.testing.assert_allclose(x.grad.data, [5.0, 16.0])


def test_grad_sums_over_several_outputs_with_their_grad_outputs():
    x = leaf(1.0, 2.0)
    (g,) = grad([x * x, x.sum()], x, grad_outputs=[np.array([1.0, 10.0]), None])
    np.testing.assert_allclose(g.data, 2 * x.data * [1.0, 10.0] + 1)


def test_grad_with_respect_to_an_intermediate_value_and_its_leaf():
    x = leaf(1.0, 2.0)
    h = x * 2
    gh, gx = grad((h * h).sum(), [h, x])
    np.testing.assert_allclose(gh.data, 2 * h.data)
    np.testing.assert_allclose(gx.data, 8 * x.data)


def test_an_unused_input_is_none_with_allow_unused():
    x, unused = leaf(1.0), leaf(5.0)
    gx, gu = grad((x * x).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.data, [2.0])


def test_a_value_grad_output_that_requires_grad_can_be_differentiated_the_double_backward_trick():
    # vᵀJ is linear in v, so its derivative with respect to v is J: the Jacobian-vector product.
    x = leaf(1.0, 2.0, 3.0)
    y = x * x
    v = Value(np.zeros(3), requires_grad=True)
    (vjp,) = grad(y, x, grad_outputs=v, create_graph=True)
    (jvp,) = grad(vjp, v, grad_outputs=np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(jvp.data, 2 * x.data * [1.0, 0.0, 2.0])


def test_backward_with_inputs_fills_only_those():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    assert b.grad is None
    (a * b).sum().backward(inputs=a)
    np.testing.assert_array_equal(a.grad, [6.0, 8.0])


def test_backward_with_inputs_and_create_graph():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a * a * b).sum().backward(inputs=[a], create_graph=True)
    assert b.grad is None and isinstance(a.grad, Value)
    (g,) = grad(a.grad.sum(), b)
    np.testing.assert_allclose(g.data, 2 * a.data)


def test_relus_second_derivative_is_zero_and_its_first_is_differentiable_in_the_upstream():
    x = leaf(-1.0, 2.0)
    (first,) = grad((x.relu() * 3).sum(), x, create_graph=True)
    np.testing.assert_array_equal(first.data, [0.0, 3.0])
    assert first.requires_grad  # a function of relu's output, with derivative 0, as PyTorch's threshold_backward
    (second,) = grad(first.sum(), x)
    np.testing.assert_array_equal(second.data, [0.0, 0.0])
    (curvature,) = grad((x.relu() ** 2).sum(), x, create_graph=True)
    (second,) = grad(curvature.sum(), x)
    np.testing.assert_array_equal(second.data, [0.0, 2.0])  # d²(relu²)/dx² = 2 where x > 0


def test_a_plain_backward_builds_no_value(monkeypatch):
    x = leaf(0.5, -1.0, 2.0)
    w = Value(np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]), requires_grad=True)
    h = (w @ x).tanh().expand(2, 2).where(np.array([[True, False], [True, True]]), 0.5)
    h = h.index_put((np.array([0, 0]),), Value(np.array([1.0, 2.0])), accumulate=True)
    loss = tg.nn.functional.cross_entropy(h, np.array([1, 0])) + h.max() + h.softmax().sum() + x.sigmoid().sum()
    made = []
    monkeypatch.setattr(value, "apply", lambda *args: made.append(args))
    monkeypatch.setattr(value, "_new_value", lambda *args: made.append(args))
    loss.backward()
    assert made == [] and type(x.grad) is np.ndarray and type(w.grad) is np.ndarray


# ---------------------------------------------------------------- grad mode and the version counter

class Scale(ops.Function):
    """out = 2x, whose backward records the grad mode it ran in."""

    __slots__ = ()
    name = "scale"
    keeps = {}
    modes: list = []

    def forward(self, x):
        return 2 * x

    def backward(self, grad):
        Scale.modes.append(tg.is_grad_enabled())
        return (grad * 2,)


def test_backward_runs_in_grad_mode_create_graph_whatever_the_mode_outside():
    x = leaf(1.0)
    Scale.modes = []
    with tg.no_grad():
        out = apply(Scale(), x)
    assert out.grad_fn is None  # no_grad: nothing recorded
    total = apply(Scale(), x).sum()
    with tg.no_grad():
        grad(total, x, create_graph=True)
    grad(total, x, create_graph=False)
    assert Scale.modes == [True, False]


def test_grad_with_create_graph_records_even_inside_no_grad_as_pytorch():
    x = leaf(2.0)
    y = x ** 3
    with tg.no_grad():
        (g,) = grad(y, x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(grad(g, x)[0].data, [12.0])


class NoGradInside(ops.Function):
    """out = x², whose backward computes under no_grad: nothing of it is recorded."""

    __slots__ = ("x",)
    name = "no_grad_inside"
    keeps = {"x": 0}

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        with tg.no_grad():
            return (grad * 2 * self.x,)


def test_no_grad_inside_a_backward_stops_recording():
    x = leaf(3.0)
    (g,) = grad(apply(NoGradInside(), x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [6.0])
    assert not g.requires_grad


def test_a_value_changed_in_place_between_the_two_backwards_is_refused():
    x = leaf(1.0, 2.0)
    h = x * 3
    (g,) = grad((h ** 3).sum(), x, create_graph=True)  # the gradient's graph reads h
    with tg.no_grad():
        h += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        g.sum().backward()


def test_a_leafs_grad_changed_in_place_is_refused_by_a_graph_that_read_it():
    x = leaf(1.0, 2.0)
    (x ** 3).sum().backward(create_graph=True)
    squared = (x.grad * x.grad).sum()
    (x ** 2).sum().backward()  # adds into x.grad in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        squared.backward()


# ---------------------------------------------------------------- operations that compute on arrays only

class NumpyCube(ops.Function):
    """A learner's own operation, written for arrays alone (no ``keeps``): out = x³."""

    __slots__ = ("x",)
    name = "numpy_cube"

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return (grad * 3 * np.square(self.x),)


class StudentMul(ops.Mul):
    """A student's Part 1 answer: Mul's backward written again, for arrays."""

    __slots__ = ()

    def backward(self, grad):
        return ops.unbroadcast(grad * self.b, self.a.shape), ops.unbroadcast(grad * self.a, self.b.shape)


@pytest.mark.parametrize("op_class", [NumpyCube, StudentMul])
def test_an_op_whose_backward_works_on_arrays_only_is_refused_under_create_graph_by_name(op_class):
    x = leaf(1.0, 2.0)
    out = apply(op_class(), x) if op_class is NumpyCube else apply(op_class(), x, x)
    np.testing.assert_allclose(grad(out.sum(), x)[0].data, 3 * x.data ** 2 if op_class is NumpyCube else 2 * x.data)
    with pytest.raises(RuntimeError, match=rf"create_graph: the operation {op_class.__name__} .* keeps"):
        grad(out.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=op_class.__name__):
        out.sum().backward(create_graph=True)
    assert x.grad is None


def test_a_subclass_that_keeps_its_bases_backward_is_differentiated_twice():
    class Named(ops.Mul):
        __slots__ = ()
        name = "named_mul"

    x = leaf(1.0, 2.0)
    (g,) = grad(apply(Named(), x, x).sum(), x, create_graph=True)
    np.testing.assert_allclose(grad(g.sum(), x)[0].data, [2.0, 2.0])


def test_every_op_in_OPS_declares_what_it_keeps_and_saved_reads_only_those():
    for op_class in ops.OPS:
        assert "keeps" in vars(op_class), op_class.__name__
        positions = set(op_class.keeps.values())
        assert {p for reads in op_class.saved for p in reads} <= positions, op_class.__name__


# ---------------------------------------------------------------- bad input

def x_and_y():
    x = leaf(1.0, 2.0)
    return x, x * x


BAD = [
    ("non-scalar output without grad_outputs", lambda x, y: grad(y, x), RuntimeError,
     r"grad: a gradient can be created implicitly only for a single-element Value; outputs\[0\] has shape "
     r"\(2,\), so pass grad_outputs\[0\]="),
    ("input not in the graph", lambda x, y: grad(y.sum(), leaf(3.0)), RuntimeError,
     r"grad: inputs\[0\] was not used to compute the outputs.*allow_unused=True"),
    ("input that does not require grad", lambda x, y: grad(y.sum(), Value([1.0])), RuntimeError,
     r"grad: inputs\[0\] does not require grad"),
    ("output that does not require grad", lambda x, y: grad(Value(1.0), x), RuntimeError,
     r"grad: outputs\[0\] does not require grad"),
    ("grad_outputs of another shape", lambda x, y: grad(y, x, grad_outputs=np.ones(3)), ValueError,
     r"grad: grad_outputs\[0\] of shape \(3,\) does not match the shape \(2,\) of outputs\[0\]"),
    ("grad_outputs that are not numbers", lambda x, y: grad(y, x, grad_outputs=np.array(["a", "b"])), TypeError,
     r"grad: grad_outputs\[0\] must be numbers"),
    ("complex grad_outputs", lambda x, y: grad(y, x, grad_outputs=np.ones(2, dtype=complex)), TypeError,
     r"grad: grad_outputs\[0\] must be numbers"),
    ("a Value grad_outputs of another dtype kind", lambda x, y: grad(y, x, grad_outputs=Value(["a", "b"])),
     TypeError, r"Value: data must be numbers"),
    ("too many grad_outputs", lambda x, y: grad(y, x, grad_outputs=[np.ones(2), np.ones(2)]), ValueError,
     r"grad: grad_outputs must hold one gradient per output: got 2 for 1 output"),
    ("outputs not Values", lambda x, y: grad(np.ones(2), x), TypeError,
     r"grad: outputs must be a Value or a sequence of Values"),
    ("inputs not Values", lambda x, y: grad(y.sum(), [x, 3]), TypeError,
     r"grad: inputs must be a Value or a sequence of Values"),
    ("create_graph not a flag", lambda x, y: grad(y.sum(), x, create_graph="yes"), TypeError,
     r"grad: create_graph must be True or False"),
    ("backward inputs empty", lambda x, y: y.sum().backward(inputs=[]), ValueError,
     r"backward: inputs must name at least one Value"),
    ("backward inputs not Values", lambda x, y: y.sum().backward(inputs=[1.0]), TypeError,
     r"backward: inputs must be a Value or a sequence of Values"),
    ("backward create_graph not a flag", lambda x, y: y.sum().backward(create_graph=1), TypeError,
     r"backward: create_graph must be True or False"),
    ("backward create_graph gradient of another shape",
     lambda x, y: y.backward(Value(np.ones(3)), create_graph=True), ValueError,
     r"backward: gradient of shape \(3,\) does not match the shape \(2,\) of this Value"),
]


@pytest.mark.parametrize("call, error, message", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_gets_a_clear_error_naming_the_argument_and_changes_nothing(call, error, message):
    x, y = x_and_y()
    with pytest.raises(error, match=message):
        call(x, y)
    assert x.grad is None and y.grad is None
