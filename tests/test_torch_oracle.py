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
