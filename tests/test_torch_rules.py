"""Where a differential fuzz against PyTorch found the engine's results different (issue 14,
items 3, 6, 7 and 8): each case runs the same code on a Value and on a torch tensor, in float64
and float32, and compares values, dtypes, shapes and gradients."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

FLOATS = [np.float64, np.float32]
TORCH_DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


def both(data, dtype):
    """The same leaf, requiring grad, as a Value and as a tensor."""
    array = np.asarray(data, dtype=dtype)
    return tg.Value(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_same(value, tensor):
    expected = tensor.detach().numpy()
    assert value.shape == expected.shape and value.dtype == expected.dtype
    np.testing.assert_allclose(value.data, expected, rtol=1e-6, equal_nan=True)


def assert_same_grad(value, tensor):
    if tensor.grad is None:
        assert value.grad is None
        return
    assert value.grad is not None
    np.testing.assert_allclose(value.grad, tensor.grad.numpy(), rtol=1e-6, equal_nan=True)
    assert value.grad.dtype == tensor.grad.numpy().dtype


# ---------------------------------------------------------------- item 3: no ∞·0 in backward

@pytest.mark.parametrize("dtype", FLOATS)
def test_sqrt_of_relu_has_gradient_zero_where_relu_is_flat(dtype):
    x, t = both([-1.0, 4.0, 0.0], dtype)
    (x.relu() ** 0.5).sum().backward()
    (t.relu() ** 0.5).sum().backward()
    assert_same_grad(x, t)
    assert not np.isnan(x.grad).any()


@pytest.mark.parametrize("dtype", FLOATS)
def test_scalar_relu_passes_no_nan_back_from_an_infinite_gradient(dtype):
    x, t = both(-2.0, dtype)
    (x.relu() ** 0.5).backward()
    (t.relu() ** 0.5).backward()
    assert_same_grad(x, t)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_passes_no_nan_back_from_an_infinite_gradient(dtype):
    x, t = both([[-1.0, 0.0], [-3.0, -2.0]], dtype)
    (x.max() ** 0.5).backward()
    (t.max() ** 0.5).backward()
    assert_same_grad(x, t)


# ---------------------------------------------------------------- item 6: ties in max

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("data", [[1.0, 3.0, 3.0], [[2.0, 2.0], [2.0, 1.0]], [5.0], 7.0,
                                  [1.0, float("nan"), float("nan")], [float("inf"), 1.0, float("inf")]])
def test_max_of_all_elements_splits_the_gradient_among_ties(dtype, data):
    x, t = both(data, dtype)
    out, expected = x.max(), t.max()
    assert_same(out, expected)
    out.backward()
    expected.backward()
    assert_same_grad(x, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_of_all_elements_keeps_dims_as_amax(dtype, keepdims):
    x, t = both([[1.0, 3.0], [3.0, 0.0]], dtype)
    out, expected = x.max(keepdims=keepdims), t.amax(dim=(0, 1), keepdim=keepdims)
    assert_same(out, expected)
    out.sum().backward()
    expected.sum().backward()
    assert_same_grad(x, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_max_along_an_axis_sends_the_gradient_to_torchs_index(dtype, axis):
    x, t = both([[1.0, 3.0, 3.0], [4.0, 4.0, 0.0]], dtype)
    out, expected = x.max(axis), t.max(axis).values
    assert_same(out, expected)
    out.sum().backward()
    expected.sum().backward()
    assert_same_grad(x, t)


# ---------------------------------------------------------------- item 7: requires_grad after recording

OPERATIONS = {
    "matmul": lambda a, b: a @ b, "pow": lambda a, b: a ** b, "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", OPERATIONS)
def test_an_input_given_requires_grad_after_the_operation_gets_no_gradient(dtype, name):
    operation = OPERATIONS[name]
    data_a, data_b = np.full((2, 2), 1.5, dtype=dtype), np.full((2, 2), 2.0, dtype=dtype)
    a, ta = tg.Value(data_a, requires_grad=True), torch.tensor(data_a, requires_grad=True)
    b, tb = tg.Value(data_b), torch.tensor(data_b)
    c, tc = operation(a, b).sum(), operation(ta, tb).sum()
    b.requires_grad_()
    tb.requires_grad_()
    c.backward()
    tc.backward()
    assert_same_grad(a, ta)
    assert_same_grad(b, tb)
    assert b.grad is None


# ---------------------------------------------------------------- item 8: indexing, reductions, dtypes

INDICES = {
    "int, slice, list": lambda x: x[0, :, [1, 2]],
    "list, slice, int": lambda x: x[[0, 1], :, 0],
    "slice, int, list": lambda x: x[:, 0, [1, 2]],
    "int, list, list": lambda x: x[0, [0, 1], [1, 2]],
    "list, int, list": lambda x: x[[0, 1], 0, [1, 2]],
    "int, ellipsis, list": lambda x: x[0, ..., [1, 2]],
    "none, int, slice, list": lambda x: x[None, 0, :, [1, 2]],
    "int, none, list": lambda x: x[0, None, [1, 2]],
    "int, slice, 2-d list": lambda x: x[0, :, [[1], [2]]],
    "int, boolean mask": lambda x: x[1, [True, False, True]],
    "repeated: int, slice, list": lambda x: x[1, :, [3, 3, 0]],
    "list, slice, list": lambda x: x[[0, 1], :, [1, 2]],
    "list, slice, int from a 0-d array": lambda x: x[[0, 1], :, np.array(2)],
    "lists around an ellipsis that covers no axis": lambda x: x[:1, [0, 1], ..., [1, 2]],
    "lists around an ellipsis that covers an axis": lambda x: x[[0, 1], ..., [1, 2]],
    "ellipsis alone": lambda x: x[...],
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", INDICES)
def test_integers_mixed_with_index_arrays_index_as_in_torch(dtype, case):
    data = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    x, t = both(data, dtype)
    out, expected = INDICES[case](x), INDICES[case](t)
    assert_same(out, expected)
    seed = np.random.default_rng(0).standard_normal(expected.shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_same_grad(x, t)


def test_a_value_as_an_integer_index_is_an_integer():
    x = tg.Value(np.zeros((2, 3, 4)))
    assert x[tg.Value(0), :, [1, 2]].shape == tuple(torch.zeros(2, 3, 4)[torch.tensor(0), :, [1, 2]].shape)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("method", ["sum", "mean"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_an_empty_tuple_of_dims_reduces_every_axis(dtype, method, keepdims):
    x, t = both(np.arange(6.0).reshape(2, 3), dtype)
    out, expected = getattr(x, method)((), keepdims), getattr(t, method)((), keepdims)
    assert_same(out, expected)
    out.sum().backward()
    expected.sum().backward()
    assert_same_grad(x, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("method", ["sum", "mean", "softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_value_has_the_axis_0(dtype, method, axis):
    x, t = both(2.0, dtype)
    out, expected = getattr(x, method)(axis), getattr(t, method)(axis)
    assert_same(out, expected)
    out.backward()
    expected.backward()
    assert_same_grad(x, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((0, 3), 0), ((0,), 0), ((0, 3), 1)])
def test_softmax_over_or_beside_an_empty_axis(dtype, method, shape, axis):
    x, t = both(np.zeros(shape), dtype)
    out, expected = getattr(x, method)(axis), getattr(t, method)(axis)
    assert_same(out, expected)
    out.backward(np.zeros(shape, dtype=dtype))
    expected.backward(torch.zeros(shape, dtype=TORCH_DTYPES[np.dtype(dtype)]))
    assert_same_grad(x, t)


def test_sigmoid_of_bools_is_float32():
    out, expected = tg.Value([True, False]).sigmoid(), torch.tensor([True, False]).sigmoid()
    assert_same(out, expected)


def pair(data, dtype):
    """A Value and a tensor of exactly this dtype (0-d stays 0-d)."""
    array = np.asarray(data, dtype=dtype)
    return tg.Value(array), torch.from_numpy(array.copy())


PROMOTIONS = [
    # (a, a's dtype, b, b's dtype): a dimensioned operand decides within its category
    ([1.0, 2.0], np.float32, 3.0, np.float64),
    (3.0, np.float64, [1.0, 2.0], np.float32),
    ([1, 2], np.int32, 3, np.int64),
    ([1, 2], np.int8, [3, 4], np.uint8),
    ([1, 2], np.int32, 2.5, np.float64),
    (1.5, np.float32, 2.5, np.float64),
    ([True, False], np.bool_, 3, np.int32),
    ([1.0, 2.0], np.float64, [1, 2], np.int64),
]


@pytest.mark.parametrize("a, a_dtype, b, b_dtype, operation", [
    (*case, operation) for case in PROMOTIONS for operation in ("add", "mul", "sub", "truediv", "pow")
    if not (operation == "sub" and case[1] is np.bool_)  # torch refuses to subtract bools, and so do we
])
def test_binary_operations_promote_dtypes_as_torch(a, a_dtype, b, b_dtype, operation):
    (x, tx), (y, ty) = pair(a, a_dtype), pair(b, b_dtype)
    function = getattr(operator, operation)
    assert_same(function(x, y), function(tx, ty))


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.bool_, np.float32])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_python_numbers_take_the_values_dtype_unless_of_a_wider_kind(dtype, scalar):
    x, t = pair([1, 0], dtype)
    assert_same(x * scalar, t * scalar)
    assert_same(scalar + x, scalar + t)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32, np.int64, np.bool_])
def test_integer_and_bool_sums_are_int64(dtype):
    x, t = pair([1, 1, 0], dtype)
    assert_same(x.sum(), t.sum())
    assert_same(x.sum(0), t.sum(0))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("logit", [float("inf"), -float("inf"), 1000.0, -1000.0, 0.0])
@pytest.mark.parametrize("label", [0.0, 1.0, 0.5])
def test_bce_with_logits_at_infinite_logits_matches_torch(dtype, logit, label):
    x, t = both([logit], dtype)
    out = tg.nn.BCEWithLogitsLoss()(x, np.array([label], dtype=dtype))
    expected = torch.nn.BCEWithLogitsLoss()(t, torch.tensor([label], dtype=TORCH_DTYPES[np.dtype(dtype)]))
    assert_same(out, expected)
    out.backward()
    expected.backward()
    assert_same_grad(x, t)
    assert np.isfinite(x.grad).all()
