"""Part 4's closed forms (lecture/curvature.py) against runs of the optimizers, on hypothesis-drawn quadratics.

A quadratic f(x) = ½·xᵀAx has its minimum at 0 and the Hessian A everywhere. A is drawn as
Q·diag(λ)·Qᵀ with a random rotation Q, the extreme curvatures λ_min and κ·λ_min (κ from 2 to
1,000) and the others between; the start has a component of at least 0.5 along every
eigenvector, so that the slowest direction is there to be measured. With the minimum at 0
the iteration is exact to relative rounding, so the runs go on far below the lecture's floor
of 1e-12 (``MEASURE_FLOOR``): at Polyak's optimum the error is (a + b·t)·ρᵗ, and the ratio of
successive errors is within 2% of ρ only once t is well past 50 (on κ = 2 the lecture's
floor is reached at t ≈ 16).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.lecture import curvature, surfaces
from tinygrad_edu.lecture import curvature_runs as runs
from tinygrad_edu.lecture.surfaces import largest_stable_step

MEASURE_FLOOR = 1e-100
MAX_STEPS = 1500
AGREE = 0.02  # the 2%


@st.composite
def quadratics(draw, max_size: int = 5):
    """(A, start): a symmetric positive definite A with κ from 2 to 1,000, and a start point."""
    n = draw(st.integers(2, max_size))
    kappa = math.exp(draw(floats(math.log(2.0), math.log(1000.0))))
    low = math.exp(draw(floats(math.log(0.1), math.log(10.0))))
    inner = draw(arrays(np.float64, n - 2, elements=floats(0.0, 1.0)))
    curvatures = np.concatenate([[low, kappa * low], low + inner * (kappa - 1) * low])
    rotation, _ = np.linalg.qr(draw(arrays(np.float64, (n, n), elements=floats(-1.0, 1.0))) + 3 * np.eye(n))
    hessian = rotation @ np.diag(curvatures) @ rotation.T
    along = draw(arrays(np.float64, n, elements=floats(0.5, 2.0))) * draw(
        arrays(np.float64, n, elements=st.sampled_from([-1.0, 1.0])))
    return (hessian + hessian.T) / 2, rotation @ along


def errors_of(rule: str, hessian: np.ndarray, start: np.ndarray, tuning: curvature.Tuning,
              steps: int = MAX_STEPS) -> np.ndarray:
    """‖x_t‖ of ``rule`` on ½·xᵀAx with autograd's gradient, until it falls below MEASURE_FLOOR."""
    x = tg.Value(start, dtype=np.float64, requires_grad=True)
    a = tg.Value(hessian)
    opt = optim.GD([x], tuning.lr) if rule == "gd" else optim.Momentum([x], tuning.lr, tuning.momentum)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (a @ x))
        loss.backward()
        return loss

    errors = [float(np.linalg.norm(start))]
    while errors[-1] >= MEASURE_FLOOR and len(errors) <= steps:
        opt.step(closure)
        errors.append(float(np.linalg.norm(x.data)))
    return np.array(errors)


# ---------------------------------------------------------------- the closed forms, on drawn quadratics

@settings(max_examples=25)
@given(quadratics())
def test_gradient_descent_at_its_optimal_step_converges_at_the_predicted_rate(problem):
    hessian, start = problem
    tuning = curvature.optimal_gd(hessian)
    kappa = curvature.condition_number(hessian)
    assert tuning.rate == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    _, ratio = curvature.measured_rate(errors_of("gd", hessian, start, tuning), MEASURE_FLOOR)
    assert ratio == pytest.approx(tuning.rate, rel=AGREE)


@settings(max_examples=25)
@given(quadratics())
def test_heavy_ball_at_polyaks_optimum_converges_at_the_predicted_rate(problem):
    hessian, start = problem
    tuning = curvature.polyak(hessian)
    kappa = curvature.condition_number(hessian)
    assert tuning.rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1), rel=1e-12)
    assert tuning.momentum == pytest.approx(tuning.rate ** 2, rel=1e-12)
    _, ratio = curvature.measured_rate(errors_of("momentum", hessian, start, tuning), MEASURE_FLOOR)
    assert ratio == pytest.approx(tuning.rate, rel=AGREE)


@given(quadratics())
def test_the_iteration_rate_at_the_optimal_settings_is_the_closed_form(problem):
    hessian, _ = problem
    curvatures = curvature.eigenvalues(hessian)
    for rule, tuning in (("gd", curvature.optimal_gd(hessian)), ("momentum", curvature.polyak(hessian))):
        assert curvature.iteration_rate(rule, tuning.lr, tuning.momentum, curvatures) == \
            pytest.approx(tuning.rate, rel=1e-6)  # np.roots of a double root: to about √ε


@given(quadratics(), st.sampled_from(["gd", "momentum", "nesterov"]), floats(0.0, 0.95), floats(0.05, 1.95))
def test_the_rate_crosses_1_at_the_largest_stable_lr(problem, rule, momentum, fraction):
    hessian, _ = problem
    momentum = 0.0 if rule == "gd" else momentum
    bound = curvature.largest_stable_lr(hessian, rule, momentum)
    assert bound == pytest.approx(largest_stable_step(rule, momentum) / curvature.eigenvalues(hessian)[-1])
    rate = curvature.iteration_rate(rule, fraction * bound, momentum, curvature.eigenvalues(hessian))
    assert (rate < 1) == (fraction < 1) or abs(fraction - 1) < 1e-6


@settings(max_examples=20)
@given(quadratics(max_size=3), st.sampled_from(["gd", "momentum"]), floats(0.1, 0.9), floats(0.0, 0.8))
def test_the_measured_rate_of_any_stable_setting_is_the_iteration_rate(problem, rule, fraction, momentum):
    hessian, start = problem
    momentum = 0.0 if rule == "gd" else momentum
    lr = fraction * curvature.largest_stable_lr(hessian, rule, momentum)
    predicted = curvature.iteration_rate(rule, lr, momentum, curvature.eigenvalues(hessian))
    errors = errors_of(rule, hessian, start, curvature.Tuning(lr, momentum, predicted), steps=400)[:-1]
    # Complex roots make the error swing inside ρᵗ: compare the largest error of the last ten
    # steps with that of ten steps half-way, per step between them.
    end, half = len(errors), len(errors) // 2
    assert end > 40
    envelope = (errors[end - 10:].max() / errors[half - 10:half].max()) ** (1 / (end - half))
    assert envelope == pytest.approx(predicted, rel=0.05)


# ---------------------------------------------------------------- the lecture's bowl

def test_the_bowl_runs_at_d2ls_settings_converge_where_the_bound_says():
    hessian = np.diag([2 * a for a in runs.BOWL_COEFFICIENTS])
    for rule, lr, momentum in runs.D2L_RUNS:
        path = runs.bowl_path(rule, lr, momentum)
        stable = lr < curvature.largest_stable_lr(hessian, rule, momentum)
        assert (np.linalg.norm(path[-1]) < np.linalg.norm(path[0])) == stable
        assert len(path) == runs.D2L_EPOCHS + 1


def test_d2ls_gradient_descent_at_04_ends_where_a_step_multiplies_each_coordinate():
    path = runs.bowl_path("gd", 0.4)
    x1, x2 = runs.BOWL_START
    np.testing.assert_allclose(path[-1], [x1 * (1 - 0.4 * 0.2) ** 20, x2 * (1 - 0.4 * 4) ** 20], rtol=1e-12)


def test_the_measured_rate_is_the_last_ratio_above_the_floor():
    assert curvature.measured_rate([8.0, 4.0, 1.0, 1e-13, 1e-20]) == (1, 0.25)
    assert curvature.measured_rate([1.0, 2.0, 4.0, math.inf, math.nan]) == (1, 2.0)
    assert curvature.measured_rate([1.0, 0.5]) == (0, 0.5)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, words", [
    (lambda: curvature.eigenvalues([[1.0, 2.0, 3.0]]), ValueError, r"square matrix .* got shape \(1, 3\)"),
    (lambda: curvature.eigenvalues([1.0, 2.0]), ValueError, r"square matrix .* got shape \(2,\)"),
    (lambda: curvature.condition_number([[1.0, 2.0], [0.0, 1.0]]), ValueError,
     r"condition_number: hessian must be symmetric .* H\[0, 1\] = 2 and H\[1, 0\] = 0"),
    (lambda: curvature.polyak([[1.0, 0.0], [0.0, -1.0]]), ValueError, r"polyak: hessian must be positive definite"),
    (lambda: curvature.optimal_gd([[1.0, 0.0], [0.0, math.nan]]), ValueError, r"optimal_gd: hessian must be finite"),
    (lambda: curvature.eigenvalues("H"), TypeError, r"hessian must be a square matrix of numbers, got str"),
    (lambda: curvature.largest_stable_lr(np.eye(2), "adam"), ValueError, r"unknown rule 'adam'"),
    (lambda: runs.bowl_path("gd", 0.4, start=(1.0, 2.0, 3.0)), ValueError,
     r"bowl_path: start must be a point \(x₁, x₂\) of two finite numbers, got shape \(3,\)"),
    (lambda: runs.bowl_path("gd", 0.4, start="here"), TypeError, r"bowl_path: start must be a point"),
    (lambda: curvature.measured_rate([1e-13, 1.0]), ValueError, r"need two errors of at least 1e-12"),
    (lambda: curvature.recurrence("newton", 0.1, 0.0, 1.0), ValueError, r"unknown rule 'newton'"),
    (lambda: curvature.largest_stable_lr(np.eye(2), "momentum", -0.5), ValueError,
     r"largest_stable_lr: momentum must be a number in \[0, 1\), got -0.5"),
    (lambda: curvature.largest_stable_lr(np.eye(2), "nesterov", 1.0), ValueError, r"momentum must be .* got 1.0"),
    (lambda: curvature.iteration_rate("gd", 0.1, 0.0, []), ValueError, r"curvatures must hold at least one"),
    (lambda: runs.best_runs(np.diag([0.2, 4.0]), (0.0, 0.0, 0.0)), ValueError,
     r"distances: minimum must be a point of the iterates' shape \(2,\), got shape \(3,\)"),
    (lambda: runs.best_runs(np.diag([0.2, 4.0]), (0.0, 0.0), start=(1.0,)), ValueError,
     r"bowl_path: start must be a point \(x₁, x₂\) of two finite numbers, got shape \(1,\)"),
    (lambda: curvature.hessian_matrix(surfaces.bowl, [[1.0, 2.0]]), ValueError,
     r"hessian_matrix: objective cannot be evaluated at a point of shape \(1, 2\) .* the shape it expects"),
    (lambda: surfaces.newton_path(surfaces.bowl, "here"), TypeError,
     r"newton_path: start must be a number or an array of numbers, got 'here'"),
    (lambda: surfaces.newton_path(surfaces.bowl, (1.0, math.nan)), ValueError,
     r"newton_path: start must be finite numbers"),
    (lambda: surfaces.newton_path(surfaces.bowl, (1.0, 2.0, 3.0)), ValueError,
     r"the Hessian is singular .* does not change with entry 2 of the parameters .* a start point with more "
     r"numbers than the loss reads\?\), .* give damping > 0"),
])
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
