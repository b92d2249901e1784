"""PyTorch as an oracle: the same computation in float64 gives the same values
and gradients (to 1e-9), and a Value prints as the same tensor would."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

TOLERANCE = dict(rtol=1e-9, atol=1e-9)

# name: (our function, PyTorch's, input shapes, low, high). Most are the same
# code on both; they differ where the APIs do (max returns values and indices).
CASES = {
    "add_broadcast": (lambda a, b: a + b, None, [(2, 3), (3,)], -2, 2),
    "sub_broadcast": (lambda a, b: a - b, None, [(2, 1), (1, 3)], -2, 2),
    "mul_broadcast": (lambda a, b: a * b, None, [(4, 1, 3), (2, 3)], -2, 2),
    "div": (lambda a, b: a / b, None, [(3,), (2, 3)], 0.5, 2),
    "pow_value_exponent": (lambda a, b: a ** b, None, [(3,), (3,)], 0.5, 2),
    "pow_number_exponent": (lambda a: a ** 3 + 2 ** a, None, [(2, 2)], -2, 2),
    "matmul_vector_vector": (lambda a, b: a @ b, None, [(3,), (3,)], -2, 2),
    "matmul_matrix_vector": (lambda a, b: a @ b, None, [(2, 3), (3,)], -2, 2),
    "matmul_batched_broadcast": (lambda a, b: a @ b, None, [(2, 1, 2, 3), (3, 3, 4)], -2, 2),
    "exp_log": (lambda a: a.exp() + a.log(), None, [(5,)], 0.1, 3),
    "relu_sigmoid_tanh": (lambda a: a.relu() * a.sigmoid() + a.tanh(), None, [(2, 3)], -3, 3),
    "sum_axes_keepdims": (lambda a: a.sum((0, 2), True) * a, None, [(2, 3, 4)], -2, 2),
    "mean_axis": (lambda a: a.mean(-1), None, [(3, 4)], -2, 2),
    "max_axis": (lambda a: a.max(1), lambda a: a.max(1)[0], [(3, 4)], -2, 2),
    "max_all": (lambda a: a.max(), None, [(3, 4)], -2, 2),
    "softmax_axis0": (lambda a: a.softmax(0), lambda a: a.softmax(0), [(3, 4)], -5, 5),
    "log_softmax_last": (lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), [(3, 4)], -5, 5),
    "reshape_transpose": (lambda a: a.reshape(4, 3).transpose(0, 1) * 2, None, [(2, 6)], -2, 2),
    "permute": (lambda a: a.permute(2, 0, 1) * 3, None, [(2, 3, 4)], -2, 2),
    "index_basic": (lambda a: a[1:, ::2] * 2, None, [(3, 4)], -2, 2),
    "index_repeated": (lambda a: a[[0, 2, 0, 0]] * 2, None, [(3, 2)], -2, 2),
    "mlp": (lambda x, w, b, v: ((x @ w + b).tanh() @ v).sigmoid().log().mean(), None,
            [(4, 3), (3, 5), (5,), (5, 2)], -1, 1),
}


@pytest.mark.parametrize("name", CASES)
def test_forward_and_gradients_match_pytorch_in_float64(name):
    ours, theirs, shapes, low, high = CASES[name]
    theirs = theirs or ours
    rng = np.random.default_rng(sorted(CASES).index(name))
    arrays = [rng.uniform(low, high, shape) for shape in shapes]
    values = [tg.Value(a, requires_grad=True) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*values), theirs(*tensors)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCE)
    seed = rng.standard_normal(expected.shape)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    for value, tensor in zip(values, tensors, strict=True):
        np.testing.assert_allclose(value.grad, tensor.grad.numpy(), **TOLERANCE)


def test_two_backward_passes_accumulate_like_pytorch():
    data = np.array([0.3, -0.7, 1.1])
    x, t = tg.Value(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, u = (x.tanh() * x).sum(), (t.tanh() * t).sum()
    y.backward()
    y.backward()
    u.backward(retain_graph=True)
    u.backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), **TOLERANCE)


def test_relu_gradient_at_zero_matches_pytorch():
    data = np.array([-1.0, 0.0, 1.0])
    x, t = tg.Value(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.relu().sum().backward()
    t.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("expression", [
    lambda a, b: a / b, lambda a, b: a * 1.5, lambda a, b: 2 / a, lambda a, b: a ** 0.5,
    lambda a, b: a.exp() + b, lambda a, b: a * b, lambda a, b: (a * b).double() + a,
    lambda a, b: a.float().sigmoid() * b, lambda a, b: a + b.to(b.dtype),
], ids=["int/int", "int*float", "float/int", "int**float", "exp(int)+float", "int*float_tensor",
        "double+int", "float32*float_tensor", "int+float_tensor"])
@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("int32", "float64"), ("bool", "float32"),
                                    ("int64", "int64")])
def test_result_dtypes_follow_pytorch_promotion(expression, dtypes):
    # PyTorch, not numpy: integers with float32 stay float32, and floats made
    # from integers alone are float32 (numpy would give float64 in both cases).
    left, right = np.array([1, 2, 3]).astype(dtypes[0]), np.array([2, 1, 4]).astype(dtypes[1])
    expected = expression(torch.from_numpy(left), torch.from_numpy(right))
    ours = expression(tg.Value(left), tg.Value(right))
    assert str(ours.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, expected.numpy(), rtol=1e-6)


def test_pow_gradients_at_zero_base_and_zero_exponent_match_pytorch():
    # a^0 = 1 has slope 0 even at a = 0, and 0^b has slope 0 in b for b >= 0:
    # the formulas give 0·inf there, PyTorch gives 0, and so must we.
    base = np.array([0.0, 0.0, 0.0, 2.0, -2.0, 0.0])
    exponent = np.array([0.0, 2.0, 0.5, 0.0, 3.0, -1.0])
    a, b = tg.Value(base, requires_grad=True), tg.Value(exponent, requires_grad=True)
    ta, tb = torch.tensor(base, requires_grad=True), torch.tensor(exponent, requires_grad=True)
    with np.errstate(divide="ignore"):  # 0 ** -1 = inf, which numpy reports
        (a ** b).sum().backward()
    (ta ** tb).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())
    x, t = tg.Value(base, requires_grad=True), torch.tensor(base, requires_grad=True)
    (x ** 0).sum().backward()
    (t ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("data", [
    [0.5449, 0.4551], [1e-5, 1.0], [100.0, 1e-3], [1234567.0], [[1.5, -0.25], [3.0, 4.0]], 0.5,
    [float("nan"), 1.0, float("inf")], [0.0, 0.0], [-1.0, 0.5], [1, 2, -30], [True, False],
    np.arange(24.0).reshape(2, 3, 4) / 7, np.linspace(-1, 1, 20),
    np.random.default_rng(0).standard_normal((3, 400)), np.arange(3000).reshape(3, 1000),
], ids=lambda data: f"{np.shape(data)}")
def test_repr_matches_pytorch_tensor_repr(data):
    expected = repr(torch.tensor(np.asarray(data)) if isinstance(data, np.ndarray) else torch.tensor(data))
    # "tensor(" is one letter longer than "Value(": continuation lines shift left by one.
    expected = expected.replace("tensor(", "Value(").replace("torch.", "").replace("\n ", "\n")
    value = tg.Value(np.asarray(data)) if isinstance(data, np.ndarray) else tg.tensor(data)
    assert repr(value) == expected


def test_repr_with_grad_fn_matches_pytorch():
    data = np.array([0.18, -0.18], dtype=np.float32)
    ours = repr(tg.Value(data, requires_grad=True).sigmoid())
    theirs = repr(torch.tensor(data, requires_grad=True).sigmoid())
    assert ours == theirs.replace("tensor(", "Value(")
