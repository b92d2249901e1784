"""Part 4's second derivatives (lecture/curvature.py) against PyTorch's and the closed forms.

``hessian_matrix`` against ``torch.autograd.functional.hessian`` on drawn quadratics (where it must
be the matrix itself) and on the lecture's surfaces; ``derivative`` of orders 1 to 3 against
``torch.autograd.grad`` with ``create_graph=True`` and numpy's polynomial derivatives; the closed
forms computed from the engine's Hessian against the same computed from PyTorch's.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import floats
from test_curvature import quadratics

import tinygrad_edu as tg
from tinygrad_edu.lecture import curvature, descent, surfaces
from tinygrad_edu.lecture import curvature_runs as runs

try:
    import torch
except ImportError:  # the tests that need no oracle still run
    torch = None
# Only the comparisons with PyTorch skip without it: the closed forms and the bad input are checked anyway.
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle for second derivatives: "
                                                       "pip install '.[oracle]'")


def quadratic(a: np.ndarray):
    """x ↦ ½·xᵀAx for a tinygrad_edu Value or a torch tensor."""
    def f(x):
        matrix = torch.tensor(a) if isinstance(x, torch.Tensor) else tg.Value(a)
        return 0.5 * (x @ (matrix @ x))
    return f


def torch_hessian(f, point) -> np.ndarray:
    x = torch.tensor(np.asarray(point, dtype=np.float64))
    return torch.autograd.functional.hessian(f, x).numpy().reshape(x.numel(), x.numel())


@needs_torch
@given(quadratics())
def test_the_hessian_of_a_quadratic_is_its_matrix_as_in_pytorch(problem):
    a, start = problem
    ours = curvature.hessian_matrix(quadratic(a), start)
    np.testing.assert_allclose(ours, torch_hessian(quadratic(a), start), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, a, rtol=1e-12, atol=1e-12 * np.abs(a).max())


@needs_torch
@given(quadratics())
def test_the_closed_forms_from_our_hessian_are_those_from_pytorchs(problem):
    a, start = problem
    ours, theirs = curvature.hessian_matrix(quadratic(a), start), torch_hessian(quadratic(a), start)
    for closed_form in (curvature.condition_number, curvature.largest_stable_lr):
        assert closed_form(ours) == pytest.approx(closed_form(theirs), rel=1e-9)
    for tuning in (curvature.optimal_gd, curvature.polyak):
        mine, torchs = tuning(ours), tuning(theirs)
        assert (mine.lr, mine.momentum, mine.rate) == pytest.approx((torchs.lr, torchs.momentum, torchs.rate),
                                                                     rel=1e-9)


@needs_torch
@pytest.mark.parametrize("surface", [surfaces.bowl, surfaces.rosenbrock], ids=["bowl", "rosenbrock"])
@given(point=arrays(np.float64, 2, elements=floats(-2.0, 2.0)))
def test_the_hessian_of_the_lectures_surfaces_is_pytorchs(surface, point):
    np.testing.assert_allclose(curvature.hessian_matrix(surface, point), torch_hessian(surface, point),
                               rtol=1e-12, atol=1e-9)


def test_the_bowls_hessian_is_diag_02_4_everywhere():
    for point in (runs.BOWL_START, (0.0, 0.0), (3.0, -7.0)):
        np.testing.assert_array_equal(curvature.hessian_matrix(surfaces.bowl, point), np.diag([0.2, 4.0]))


def torch_derivative(x: float, order: int) -> float:
    point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    result = descent.quartic(point)
    for done in range(order):
        (result,) = torch.autograd.grad(result, point, create_graph=done < order - 1)
    return result.item()


@needs_torch
@given(floats(-3.0, 3.0), st.integers(1, 3))
def test_derivatives_of_the_quartic_are_pytorchs_and_the_polynomials(x, order):
    ours = curvature.derivative(descent.quartic, x, order)
    assert ours == pytest.approx(torch_derivative(x, order), rel=1e-12, abs=1e-12)
    assert ours == pytest.approx(runs.QUARTIC.deriv(order)(x), rel=1e-12, abs=1e-9)


@given(arrays(np.float64, st.integers(1, 6), elements=floats(-3.0, 3.0)), st.integers(1, 3))
def test_the_derivative_at_many_points_is_the_derivative_at_each(points, order):
    at_once = curvature.derivative(descent.quartic, points, order)
    one_by_one = [curvature.derivative(descent.quartic, x, order) for x in points]
    np.testing.assert_allclose(at_once, one_by_one, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(at_once, runs.QUARTIC.deriv(order)(points), rtol=1e-12, atol=1e-9)


def test_a_derivative_past_the_polynomials_degree_is_zero():
    assert curvature.derivative(descent.quartic, 0.7, 4) == pytest.approx(24.0)
    assert curvature.derivative(descent.quartic, 0.7, 5) == 0.0
    assert curvature.derivative(lambda x: x * 3.0, [1.0, 2.0], 2).tolist() == [0.0, 0.0]


@needs_torch
def test_f2_along_a_run_is_pytorchs_at_each_point():
    quartic_run = runs.quartic_run("nesterov", "true")
    expected = [torch_derivative(x, 2) for x in quartic_run.points]
    np.testing.assert_allclose(quartic_run.curvatures, expected, rtol=1e-12)
    assert quartic_run.unstable_epochs == [0, 2, 3]


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, words", [
    (lambda: curvature.hessian_matrix(lambda x: x * 2.0, [1.0, 2.0]), ValueError,
     r"hessian_matrix: objective must return a scalar .* got a Value of shape \(2,\)"),
    (lambda: curvature.hessian_matrix(lambda x: 1.0, [1.0, 2.0]), ValueError, r"objective must return a scalar .* "
                                                                              r"got float"),
    (lambda: curvature.hessian_matrix(surfaces.bowl, [math.inf, 0.0]), ValueError, r"the point must be finite"),
    (lambda: curvature.hessian_matrix(surfaces.bowl, "x"), TypeError, r"the point must be a number or an array"),
    (lambda: curvature.derivative(lambda x: x.sum(), [1.0, 2.0]), ValueError,
     r"derivative: objective must map each point to one number .* got shape \(\)"),
    (lambda: curvature.derivative(descent.quartic, 1.0, 0), ValueError, r"order must be a whole number ≥ 1, got 0"),
    (lambda: curvature.derivative(descent.quartic, 1.0, True), ValueError, r"order must be a whole number"),
])
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
