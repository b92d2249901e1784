"""Bad input gives a clear error naming the operation and the shapes or values,
and modifies nothing; NaN and inf are not errors: they propagate as in numpy."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value


@pytest.mark.parametrize("data", [
    "abc", None, object(), [1.0, "a"], [[1, 2], [3]], np.array([1, None], dtype=object), {"a": 1},
], ids=["str", "None", "object", "list-with-str", "ragged", "object-array", "dict"])
def test_non_numeric_data_raises_type_error_at_construction(data):
    with pytest.raises(TypeError, match="Value"):
        Value(data)


def test_string_data_with_a_float_dtype_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        Value("1.5", dtype=np.float64)


@pytest.mark.parametrize("data", [3, [1, 2], True, np.array([1, 2], dtype=np.int32)])
def test_requires_grad_on_integer_or_bool_data_raises_type_error(data):
    with pytest.raises(TypeError, match="floating"):
        Value(data, requires_grad=True)


def test_requires_grad_on_an_integer_factory_raises_type_error():
    with pytest.raises(TypeError, match="floating"):
        tg.arange(3, requires_grad=True)


@pytest.mark.parametrize("operation, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
    (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"),
])
def test_elementwise_shape_mismatch_raises_value_error_naming_op_and_both_shapes(operation, name):
    a, b = Value(np.ones((2, 3)), requires_grad=True), Value(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"^{name}\b.*\(2, 3\).*\(4,\)"):
        operation(a, b)


def test_matmul_shape_mismatch_raises_value_error_naming_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul\b.*\(2, 3\).*\(2, 3\)"):
        Value(np.ones((2, 3))) @ Value(np.ones((2, 3)))


def test_failed_operation_leaves_its_inputs_untouched():
    a = Value(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        a + Value(np.ones(4))
    np.testing.assert_array_equal(a.data, np.ones((2, 3)))
    assert a.grad is None and a.is_leaf


def test_reduction_over_an_axis_out_of_range_raises_value_error():
    with pytest.raises(ValueError, match=r"^sum\b.*axis 2"):
        Value(np.ones((2, 3))).sum(axis=2)


@pytest.mark.parametrize("method", ["exp", "log", "relu", "sigmoid", "tanh", "sum", "mean", "softmax"])
def test_nan_propagates_as_in_numpy(method):
    x = Value([np.nan, 1.0], dtype=np.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        y = getattr(x, method)()
        y.sum().backward()
    assert np.isnan(y.data).any()
    assert x.grad.shape == (2,)


def test_inf_propagates_as_in_numpy():
    x = Value([np.inf, -np.inf, 1.0], dtype=np.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        y = x * 2 + 1
        y.sum().backward()
        np.testing.assert_array_equal(y.data, np.array([np.inf, -np.inf, 1.0]) * 2 + 1)
        np.testing.assert_array_equal((x.exp()).data, np.exp(x.data))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_log_of_zero_and_negative_gives_minus_inf_and_nan_like_numpy():
    x = Value([0.0, -1.0], dtype=np.float64)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(x.log().data, np.log(x.data))


def test_division_by_zero_gives_inf_like_numpy():
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((Value([1.0, -1.0]) / 0.0).data, [np.inf, -np.inf])
