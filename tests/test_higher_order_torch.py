"""PyTorch as the oracle for derivatives of derivatives, in float64, to 1e-9.

For every operation in ``ops.OPS`` (``CASES`` names the operations each case records, and
``test_every_op_in_OPS_has_a_case`` holds the table to the registry), a small function is
written once for each engine, and on the same inputs the two must agree on:

- the Hessian-vector product of L = Σ c·out + ½ Σ out² + ⅙ Σ out³ (so that both the
  operation's own second derivative and the derivative of its backward with respect to the
  upstream gradient take part), computed as autograd.grad of (∇L · v);
- for the smooth operations, the third derivative of L along v, d³L(x + t v)/dt³ at t = 0;

and a gradient penalty: the gradient of ‖∂D/∂x‖² with respect to a small MLP's parameters,
as in WGAN-GP. Inputs stay away from kinks, poles and ties (relu off 0, no two maxima within
0.1, divisors off 0, logarithms of positive numbers, probabilities inside (0.05, 0.95)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import recorded_ops

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.autograd import grad

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")
F = torch.nn.functional

TOLERANCE = dict(rtol=1e-9, atol=1e-9)


@dataclass(frozen=True)
class Case:
    """``ours`` and ``theirs`` compute the same output from the inputs (Values, tensors); ``inputs``
    draws them (a list of float64 arrays from a numpy generator); ``covers`` the operations ``ours``
    records; ``smooth``: its third derivative is compared too."""

    ours: Callable
    theirs: Callable
    inputs: Callable
    covers: tuple
    smooth: bool = True


def uniform(*shape, low=-2.0, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def away_from_zero(*shape, low=0.3, high=2.0):
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)


def distinct(*shape, gap=0.1):
    """Values whose two largest (anywhere) are at least ``gap`` apart: no tie for max to split."""
    def draw(rng):
        return rng.permutation(np.arange(int(np.prod(shape))) * gap * 3 - 2).reshape(shape) + rng.uniform(0, gap, shape)
    return draw


def drawn(*makers):
    return lambda rng: [make(rng) for make in makers]


def same(function: Callable, inputs: Callable, covers: tuple, smooth: bool = True) -> Case:
    return Case(function, function, inputs, covers, smooth)


CONDITION = np.array([[True, False, True], [False, True, True]])
ROWS = np.array([2, 0, 2, 1])
TARGET = np.array([2, 0, 1, 0])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.5])


CASES = {
    "add": same(lambda a, b: (a + b) * a, drawn(uniform(2, 3), uniform(3)), (ops.Add,)),
    "sub": same(lambda a, b: (a - b) * b, drawn(uniform(2, 1), uniform(1, 3)), (ops.Sub,)),
    "mul": same(lambda a, b: a * b * a, drawn(uniform(4, 1, 3), uniform(2, 3)), (ops.Mul,)),
    "div": same(lambda a, b: a / b, drawn(uniform(3), away_from_zero(2, 3)), (ops.Div,)),
    "neg": same(lambda a: -a * a, drawn(uniform(3)), (ops.Neg,)),
    "pow_value_exponent": same(lambda a, b: a ** b, drawn(uniform(3, low=0.5, high=2), uniform(2, 3)), (ops.Pow,)),
    "pow_number": same(lambda a: a ** 3 + 2 ** a, drawn(uniform(2, 2)), (ops.Pow,)),
    "matmul_vectors": same(lambda a, b: a @ b, drawn(uniform(3), uniform(3)), (ops.MatMul,)),
    "matmul_matrix_vector": same(lambda a, b: a @ b, drawn(uniform(2, 3), uniform(3)), (ops.MatMul,)),
    "matmul_transposed": same(lambda a, b: a @ b.T, drawn(uniform(4, 3), uniform(2, 3)), (ops.MatMul, ops.Transpose)),
    "matmul_batched": same(lambda a, b: a @ b, drawn(uniform(2, 1, 2, 3), uniform(3, 3, 4)), (ops.MatMul,)),
    "exp": same(lambda a: a.exp(), drawn(uniform(2, 3)), (ops.Exp,)),
    "log": same(lambda a: a.log(), drawn(uniform(5, low=0.2, high=3)), (ops.Log,)),
    "relu": same(lambda a: a.relu() * a, drawn(away_from_zero(2, 3)), (ops.Relu,), smooth=False),
    "sigmoid": same(lambda a: a.sigmoid(), drawn(uniform(2, 3, low=-3, high=3)), (ops.Sigmoid,)),
    "tanh": same(lambda a: a.tanh(), drawn(uniform(2, 3)), (ops.Tanh,)),
    "cast": same(lambda a: a.double() * a, drawn(uniform(3)), (ops.Cast,)),
    "where": Case(lambda a, b: a.where(CONDITION, b) * a, lambda a, b: a.where(torch.tensor(CONDITION), b) * a,
                  drawn(uniform(3), uniform(2, 1)), (ops.Where,)),
    "sum": Case(lambda a: a.sum((0, 2), True) * a, lambda a: a.sum((0, 2), True) * a, drawn(uniform(2, 3, 4)),
                (ops.Sum,)),
    "mean": Case(lambda a: a.mean(-1) * a.mean(), lambda a: a.mean(-1) * a.mean(), drawn(uniform(3, 4)), (ops.Mean,)),
    "max_all": same(lambda a: a.max() * a, drawn(distinct(3, 4)), (ops.Max,), smooth=False),
    "max_axis": Case(lambda a: a.max(1, keepdims=True) * a, lambda a: a.max(1, keepdim=True)[0] * a,
                     drawn(distinct(3, 4)), (ops.Max,), smooth=False),
    "reshape": same(lambda a: a.reshape(3, 2) * a.reshape(3, 2).T.reshape(3, 2), drawn(uniform(2, 3)), (ops.Reshape,)),
    "permute": same(lambda a: a.permute(2, 0, 1) * 3, drawn(uniform(2, 3, 4)), (ops.Transpose,)),
    "expand": same(lambda a: a.expand(2, 3, 3) * a, drawn(uniform(3, 1)), (ops.Expand,)),
    "index": same(lambda a: a[1:, ::2] * a[[0, 2, 0, 0]][:2, ::2], drawn(uniform(3, 4)), (ops.Index,)),
    "index_put_accumulate": Case(lambda a, v: a.index_put((ROWS,), v, accumulate=True) * a,
                                 lambda a, v: a.index_put((torch.tensor(ROWS),), v, accumulate=True) * a,
                                 drawn(uniform(3, 2), uniform(4, 2)), (ops.IndexPut,)),
    "index_put": Case(lambda a, v: a.index_put((ROWS[1:],), v) * a,
                      lambda a, v: a.index_put((torch.tensor(ROWS[1:]),), v) * a,
                      drawn(uniform(3, 2), uniform(2)), (ops.IndexPut,)),
    "softmax": same(lambda a: a.softmax(0), drawn(uniform(3, 4, low=-3, high=3)), (ops.Softmax,)),
    "log_softmax": same(lambda a: a.log_softmax(-1), drawn(uniform(3, 4, low=-3, high=3)), (ops.LogSoftmax,)),
}
for _reduction in ("mean", "sum", "none"):
    CASES[f"bce_{_reduction}"] = Case(
        lambda x, y, r=_reduction: tg.nn.functional.binary_cross_entropy(x, y, reduction=r),
        lambda x, y, r=_reduction: F.binary_cross_entropy(x, y, reduction=r),
        drawn(uniform(2, 3, low=0.05, high=0.95), uniform(2, 3, low=0, high=1)), (ops.BinaryCrossEntropy,))
    CASES[f"bce_with_logits_{_reduction}"] = Case(
        lambda x, y, r=_reduction: tg.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=r),
        lambda x, y, r=_reduction: F.binary_cross_entropy_with_logits(x, y, reduction=r),
        drawn(uniform(2, 3, low=-3, high=3), uniform(2, 3, low=0, high=1)), (ops.BinaryCrossEntropyWithLogits,))
    CASES[f"cross_entropy_{_reduction}"] = Case(
        lambda x, r=_reduction: tg.nn.functional.cross_entropy(x, TARGET, weight=CLASS_WEIGHT, ignore_index=1,
                                                                reduction=r),
        lambda x, r=_reduction: F.cross_entropy(x, torch.tensor(TARGET), weight=torch.tensor(CLASS_WEIGHT),
                                                ignore_index=1, reduction=r),
        drawn(uniform(4, 3, low=-3, high=3)), (ops.LogSoftmax, ops.NllLoss))
    CASES[f"nll_loss_{_reduction}"] = Case(
        lambda x, r=_reduction: tg.nn.functional.nll_loss(x.log_softmax(1), TARGET, reduction=r),
        lambda x, r=_reduction: F.nll_loss(x.log_softmax(1), torch.tensor(TARGET), reduction=r),
        drawn(uniform(4, 3, low=-3, high=3)), (ops.LogSoftmax, ops.NllLoss))
    CASES[f"mse_{_reduction}"] = Case(
        lambda x, y, r=_reduction: tg.nn.functional.mse_loss(x.tanh(), y, reduction=r),
        lambda x, y, r=_reduction: F.mse_loss(x.tanh(), y, reduction=r),
        drawn(uniform(2, 3), uniform(2, 3)), (ops.Sub, ops.Mul, ops.Tanh))


def test_every_op_in_OPS_has_a_case():
    covered = {op for case in CASES.values() for op in case.covers}
    assert [op.__name__ for op in ops.OPS if op not in covered] == []


@pytest.mark.parametrize("name", CASES)
def test_each_case_records_the_operations_it_covers(name):
    case = CASES[name]
    inputs = [tg.Value(x, requires_grad=True) for x in case.inputs(np.random.default_rng(0))]
    assert set(case.covers) <= recorded_ops(case.ours(*inputs))


# ---------------------------------------------------------------- both engines, one objective

def objective(output, weights):
    """L = Σ c·out + ½ Σ out² + ⅙ Σ out³: the powers make the Hessian see the operation's Jacobian
    twice, and the third derivative three times (a linear operation has none of its own)."""
    return (output * weights).sum() + 0.5 * (output * output).sum() + (output * output * output).sum() / 6


def ours_directional(case: Case, arrays: list, directions: list, order: int, weights: np.ndarray) -> list:
    """∇(… ∇(∇L · v) · v …) with ``order`` gradients: the Hessian-vector product (2), the third derivative (3)."""
    inputs = [tg.Value(x, requires_grad=True) for x in arrays]
    scalar = objective(case.ours(*inputs), tg.Value(weights))
    for k in range(order):
        last = k == order - 1
        gradients = grad(scalar, inputs, create_graph=not last, allow_unused=True)
        if last:
            return [np.zeros_like(x) if g is None else g.data for g, x in zip(gradients, arrays, strict=True)]
        scalar = sum(((g * tg.Value(d)).sum() for g, d in zip(gradients, directions, strict=True) if g is not None),
                     tg.Value(0.0, dtype=np.float64))


def theirs_directional(case: Case, arrays: list, directions: list, order: int, weights: np.ndarray) -> list:
    inputs = [torch.tensor(x, requires_grad=True) for x in arrays]
    scalar = objective(case.theirs(*inputs), torch.tensor(weights))
    for k in range(order):
        last = k == order - 1
        gradients = torch.autograd.grad(scalar, inputs, create_graph=not last, allow_unused=True)
        if last:
            return [np.zeros_like(x) if g is None else g.numpy() for g, x in zip(gradients, arrays, strict=True)]
        scalar = sum(((g * torch.tensor(d)).sum() for g, d in zip(gradients, directions, strict=True)
                      if g is not None), torch.tensor(0.0, dtype=torch.float64))


def check_against_torch(name: str, seed: int, order: int) -> None:
    case = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = case.inputs(rng)
    directions = [rng.uniform(-1, 1, x.shape) for x in arrays]
    with torch.no_grad():
        shape = tuple(case.theirs(*[torch.tensor(x) for x in arrays]).shape)
    weights = rng.uniform(-1, 1, shape)
    ours = ours_directional(case, arrays, directions, order, weights)
    theirs = theirs_directional(case, arrays, directions, order, weights)
    for i, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(mine, reference, **TOLERANCE, err_msg=f"{name}, input {i}, order {order}")


SEEDS = st.integers(0, 2 ** 32 - 1)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=5)
@given(seed=SEEDS)
def test_hessian_vector_products_through_every_op_match_pytorch(name, seed):
    check_against_torch(name, seed, order=2)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.smooth])
@settings(max_examples=3)
@given(seed=SEEDS)
def test_third_derivatives_of_the_smooth_ops_match_pytorch(name, seed):
    check_against_torch(name, seed, order=3)


# ---------------------------------------------------------------- a gradient penalty

def test_gradient_penalty_of_a_small_mlp_matches_pytorch():
    """∂/∂θ ‖∂D(x)/∂x‖², D a 3-8-1 tanh MLP, summed over a batch of 5: the penalty of WGAN-GP."""
    rng = np.random.default_rng(7)
    x_data = rng.normal(size=(5, 3))
    model = tg.nn.Sequential(tg.nn.Linear(3, 8), tg.nn.Tanh(), tg.nn.Linear(8, 1)).double()
    reference = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
            theirs.copy_(torch.tensor(ours.data))

    x = tg.Value(x_data, requires_grad=True)
    (dx,) = grad(model(x).sum(), x, create_graph=True)
    penalty = (dx * dx).sum()
    ours = grad(penalty, list(model.parameters()), allow_unused=True)  # the last bias does not move ∂D/∂x

    x_torch = torch.tensor(x_data, requires_grad=True)
    (dx_torch,) = torch.autograd.grad(reference(x_torch).sum(), x_torch, create_graph=True)
    theirs = torch.autograd.grad((dx_torch * dx_torch).sum(), list(reference.parameters()), allow_unused=True)

    np.testing.assert_allclose(penalty.item(), (dx_torch * dx_torch).sum().item(), **TOLERANCE)
    assert [g is None for g in ours] == [g is None for g in theirs] == [False, False, False, True]
    for mine, expected in zip(ours[:3], theirs[:3], strict=True):
        np.testing.assert_allclose(mine.data, expected.numpy(), **TOLERANCE)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # PyTorch's, about its .grad cycles
def test_the_issues_example_gives_36_x_cubed_as_pytorch():
    data = np.array([0.5, -1.0, 2.0])
    x = tg.Value(data, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    (ours,) = grad((x.grad * x.grad).sum(), x)
    x_torch = torch.tensor(data, requires_grad=True)
    (x_torch ** 3).sum().backward(create_graph=True)
    (theirs,) = torch.autograd.grad((x_torch.grad * x_torch.grad).sum(), x_torch)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCE)
    np.testing.assert_allclose(ours.data, 36 * data ** 3, **TOLERANCE)
