"""Where a differential fuzz against PyTorch found the engine's results different (issue 14,
items 3, 6, 7 and 8): each case runs the same code on a Value and on a torch tensor, in float64
and float32, and compares values, dtypes, shapes and gradients."""

from __future__ import annotations

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
