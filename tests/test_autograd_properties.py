"""What backward() promises: the chain rule over shared nodes, accumulation on
leaves only, no_grad, a million-node chain, and the errors it raises."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, no_grad


def leaf(data, dtype=np.float64):
    return Value(data, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------- the chain rule

def test_shared_subexpression_sums_the_gradients_of_every_use():
    x = leaf([1.5, -2.0, 3.0])
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_value_used_by_two_branches_gets_both_contributions():
    x = leaf(0.7)
    a = x.tanh()
    (a * a.exp() + a).backward()  # d/da (a·eᵃ + a) = eᵃ(1 + a) + 1
    expected = (np.exp(a.data) * (1 + a.data) + 1) * (1 - a.data ** 2)
    np.testing.assert_allclose(x.grad, expected)


def test_second_backward_doubles_leaf_grad():
    x = leaf([0.3, -1.2])
    y = (x.sigmoid() * x).sum()
    y.backward()
    once = x.grad.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * once)


def test_second_backward_leaves_intermediate_grad_unchanged():
    x = leaf([0.3, -1.2])
    h = x.tanh()
    y = (h * h).sum()
    y.backward()
    once = h.grad.copy()
    y.backward()
    np.testing.assert_array_equal(h.grad, once)


def test_intermediate_grad_is_the_derivative_of_the_output_with_respect_to_it():
    x = leaf([0.3, -1.2])
    h = x.tanh()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)


def test_backward_from_an_intermediate_node_reaches_the_leaves():
    x = leaf(2.0)
    h = x * 3.0
    y = h * h
    h.backward()
    assert x.grad == 3.0
    assert y.grad is None  # y is downstream of h: untouched


def test_leaf_grad_keeps_float32_when_another_input_is_float64():
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = (x * np.array([3.0, 4.0])).sum()  # float32 * float64 is float64
    y.backward()
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])


def test_intermediate_grad_has_its_nodes_dtype():
    x = leaf([1.0, 2.0], dtype=np.float32)
    h = x.tanh()
    (h * np.array([3.0, 4.0])).sum().backward()
    assert h.grad.dtype == np.float32


def test_chain_of_a_million_operations_backpropagates_without_recursion_error():
    x = leaf(1.0)
    y = x
    for _ in range(1_000_000):
        y = -y  # cheap, and an even number of negations gives back x
    y.backward()
    assert x.grad == 1.0


# ---------------------------------------------------------------- no_grad

def test_no_grad_context_builds_no_graph():
    x = leaf(2.0)
    with no_grad():
        y = x * x
    assert y.grad_fn is None
    assert not y.requires_grad


def test_no_grad_decorator_with_parentheses_builds_no_graph():
    @no_grad()
    def square(v):
        return v * v

    assert square(leaf(2.0)).grad_fn is None


def test_no_grad_decorator_without_parentheses_builds_no_graph():
    @no_grad
    def square(v):
        return v * v

    assert square(leaf(2.0)).grad_fn is None
    assert square.__name__ == "square"


def test_nested_no_grad_restores_grad_mode_only_at_the_outer_exit():
    with no_grad():
        with no_grad():
            pass
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_no_grad_restores_grad_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            raise ZeroDivisionError("inside no_grad")
    assert tg.is_grad_enabled()
    assert (leaf(2.0) * 3.0).grad_fn is not None


def test_no_grad_decorated_function_restores_grad_mode_after_an_exception():
    @no_grad
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert tg.is_grad_enabled()


# ---------------------------------------------------------------- particular derivatives

def test_relu_gradient_at_zero_is_zero():
    x = leaf([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_max_with_axis_sends_the_gradient_to_the_arg_max():
    x = leaf([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])


def test_max_over_all_elements_sends_the_gradient_to_the_arg_max():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 0]])


def test_repeated_integer_index_sums_the_gradient():
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


@pytest.mark.parametrize("method", ["sigmoid", "softmax", "log_softmax"])
def test_stable_at_plus_and_minus_1000_without_warning_or_nan(method):
    x = leaf([1000.0, -1000.0, 0.0])
    # Underflow to 0 is expected (e^-2000) and numpy never warns about it; the rest must not happen.
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        y = getattr(x, method)()
        (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert np.all(np.isfinite(y.data))
    assert np.all(np.isfinite(x.grad))


def test_sigmoid_saturates_to_exactly_one_and_zero_at_plus_and_minus_1000():
    np.testing.assert_array_equal(tg.tensor([1000.0, -1000.0]).sigmoid().data, [1.0, 0.0])


def test_log_softmax_of_1000_and_minus_1000_is_0_and_minus_2000():
    np.testing.assert_allclose(tg.tensor([1000.0, -1000.0], dtype=np.float64).log_softmax().data, [0.0, -2000.0])


@pytest.mark.parametrize("expression", [
    lambda x: x * 2, lambda x: 2 * x, lambda x: x + 1, lambda x: 1.5 - x, lambda x: x / 3, lambda x: 3 / x,
    lambda x: x ** 2, lambda x: 2 ** x, lambda x: (x * 0.5).tanh().sum(), lambda x: x.mean(),
])
def test_float32_stays_float32_with_python_scalars(expression):
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = expression(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# ---------------------------------------------------------------- backward errors

def test_backward_on_non_scalar_without_grad_raises_runtime_error_naming_the_shape():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        y.backward()


def test_backward_with_explicit_grad_on_non_scalar_works():
    x = leaf([1.0, 2.0])
    (x * 3).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])


def test_backward_without_a_path_to_requires_grad_raises_runtime_error():
    y = tg.tensor([1.0, 2.0]).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_of_a_value_computed_under_no_grad_raises_runtime_error():
    with no_grad():
        y = (leaf(2.0) * 3).sum()
    with pytest.raises(RuntimeError, match="require"):
        y.backward()


def test_backward_with_grad_of_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


def test_enable_grad_records_the_graph_inside_no_grad():
    x = tg.tensor(3.0, requires_grad=True)
    with tg.no_grad():
        with tg.enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.backward()
    assert x.grad == 6.0


def test_set_grad_enabled_decorates_and_restores_the_previous_mode():
    @tg.set_grad_enabled(False)
    def square(v):
        return v * v

    x = tg.tensor(2.0, requires_grad=True)
    assert not square(x).requires_grad
    assert tg.is_grad_enabled()


def test_optimizer_step_closure_computes_gradients_even_under_no_grad():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    optimizer = tg.optim.SGD([x], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        optimizer.step(closure)
    np.testing.assert_allclose(x.data, [0.8, -1.6], rtol=1e-6)


def test_every_grad_after_backward_is_an_ndarray_even_for_scalar_intermediates():
    x = tg.tensor(0.5, requires_grad=True)
    hidden = (x * 3.0).tanh()
    loss = hidden * hidden
    loss.backward()
    for value in (x, hidden, loss):
        assert isinstance(value.grad, np.ndarray) and value.grad.shape == ()
        assert value.grad.dtype == np.float32
    for value in (hidden, loss):
        assert isinstance(value.data, np.ndarray)


def test_a_scalar_leafs_grad_stays_a_0d_array_when_a_second_backward_adds_to_it():
    x = tg.tensor(0.5, requires_grad=True)
    loss = x * x
    loss.backward()
    loss.backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad.dtype == np.float32
    assert x.grad == 2.0
