"""Exercises Part 6 (issue 25, item 4): H·v, the stability bound, Newton's step, Polyak's momentum.

The graders' references are checked against closed forms computed here (and H·v against
PyTorch); the judges are given answers computed independently, right and wrong; the solved
workspace passes, the stubs are "not started", and the LMS outputs carry the Part 6 tasks.
The cheats (hidden references, a finite-difference H·v, in-place changes) are in
exercise_cheats.py, graded by test_exercises_hostile.py and the mutation run.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Value, autograd
from tinygrad_edu.autograd import functional
from tinygrad_edu.course import checks_curvature, hidden, runner, workspace
from tinygrad_edu.course.checks_curvature import Matrix, judge_hvp, judge_newton, judge_polyak, judge_stable_lr
from tinygrad_edu.course.classroom import workflow
from tinygrad_edu.course.grading import grade_workspace
from tinygrad_edu.course.points import default_points
from tinygrad_edu.course.strategies import curved, hessians
from tinygrad_edu.course.tasks import TASKS
from tinygrad_edu.course.toolkit import Mismatch

PART6 = [task.id for task in TASKS if task.part == 6]


def closed_form_hessian(example) -> np.ndarray:
    """∇²f for f = ½ xᵀAx + Σ c·x⁴/12 + s·tanh(bᵀx): A + diag(c·x²) + s·tanh″(bᵀx)·bbᵀ, tanh″ = −2t(1 − t²)."""
    t = math.tanh(float(example.b @ example.x))
    return example.a + np.diag(example.c * example.x ** 2) + example.s * (-2 * t * (1 - t * t)) * np.outer(
        example.b, example.b)


def answer(*values) -> dict:
    return {"result": [np.asarray(value, dtype=np.float64) for value in values]}


# ---------------------------------------------------------------- the examples and the references


@settings(max_examples=60, deadline=None)
@given(curved())
def test_the_reference_hvp_is_the_closed_form_hessian_times_v(example):
    _, product = functional.hvp(example.function(), Value(example.x), Value(example.v))
    np.testing.assert_allclose(product.data, closed_form_hessian(example) @ example.v, rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(curved())
def test_the_reference_hvp_agrees_with_pytorch(example):
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")
    a, c, b = (torch.tensor(array, dtype=torch.float64) for array in (example.a, example.c, example.b))

    def f(x):
        return 0.5 * (x * (x @ a)).sum() + (x ** 4 * c).sum() / 12 + torch.tanh(x @ b) * example.s

    x, v = torch.tensor(example.x), torch.tensor(example.v)
    _, expected = torch.autograd.functional.hvp(f, x, v)
    _, ours = functional.hvp(example.function(), Value(example.x), Value(example.v))
    np.testing.assert_allclose(ours.data, expected.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(hessians())
def test_the_drawn_hessians_are_symmetric_positive_definite_with_kappa_between_2_and_1000(matrix):
    np.testing.assert_array_equal(matrix, matrix.T)
    curvatures = np.linalg.eigvalsh(matrix)
    assert curvatures[0] > 0
    if len(matrix) > 1:
        assert 2 * (1 - 1e-9) <= curvatures[-1] / curvatures[0] <= 1000 * (1 + 1e-9)


def test_some_drawn_hessians_are_turned_so_that_the_diagonal_is_not_the_eigenvalues():
    found = []

    @settings(max_examples=20, deadline=None, derandomize=True)
    @given(hessians(3))
    def collect(matrix):
        found.append(np.abs(matrix - np.diag(np.diag(matrix))).max())

    collect()
    assert max(found) > 1e-3


# ---------------------------------------------------------------- the judges, on answers computed here


@settings(max_examples=30, deadline=None)
@given(curved())
def test_judge_hvp_accepts_the_closed_form_and_rejects_the_quadratic_part_alone(example):
    judge_hvp(example, answer(closed_form_hessian(example) @ example.v))
    wrong = example.a @ example.v  # H·v without the curvature that changes with x
    if not np.allclose(wrong, closed_form_hessian(example) @ example.v, rtol=1e-9, atol=1e-9):
        with pytest.raises(Mismatch, match="double backward"):
            judge_hvp(example, answer(wrong))


@settings(max_examples=10, deadline=None)
@given(curved())
def test_judge_hvp_tells_a_finite_difference_it_is_not_exact(example):
    def gradient(point):
        x = Value(np.array(point), requires_grad=True)
        return autograd.grad(example.function()(x), x)[0].data

    step = 1e-3  # large enough that the difference is off by far more than rounding
    estimate = (gradient(example.x + step * example.v) - gradient(example.x - step * example.v)) / (2 * step)
    exact = closed_form_hessian(example) @ example.v
    if np.abs(estimate - exact).max() > 1e-9 * max(1, np.abs(exact).max()):
        with pytest.raises(Mismatch, match="not to rounding"):
            judge_hvp(example, answer(estimate))


@settings(max_examples=3, deadline=None)
@given(curved())
def test_judge_hvp_wants_one_array(example):
    with pytest.raises(Mismatch, match="must return one number"):
        judge_hvp(example, answer(example.v, example.v))


@settings(max_examples=40, deadline=None)
@given(hessians(), st.one_of(st.just(0.0), st.floats(0.05, 0.95)))
def test_judge_stable_lr_accepts_the_bound_and_rejects_the_flattest_axis(hessian, momentum):
    curvatures = np.linalg.eigvalsh(hessian)
    example = Matrix(hessian, (("momentum", momentum),))
    judge_stable_lr(example, answer((2 + 2 * momentum) / curvatures.max()))
    if len(hessian) > 1:
        with pytest.raises(Mismatch, match="λ_max"):
            judge_stable_lr(example, answer((2 + 2 * momentum) / curvatures.min()))
    if momentum > 0:
        with pytest.raises(Mismatch):
            judge_stable_lr(example, answer(2 / curvatures.max()))


@settings(max_examples=10, deadline=None)
@given(hessians(3))
def test_the_stability_bound_is_where_a_run_stops_converging(hessian):
    """The bound judge_stable_lr expects is where heavy ball on ½ xᵀHx turns from shrinking to growing."""
    for momentum in (0.0, 0.5):
        bound = checks_curvature.curvature.largest_stable_lr(hessian, "momentum", momentum)
        sizes = []
        for lr in (0.98 * bound, 1.02 * bound):
            x, previous = np.ones(3), np.ones(3)
            for _ in range(3000):
                x, previous = x - lr * hessian @ x + momentum * (x - previous), x
            sizes.append(np.linalg.norm(x))
        assert sizes[0] < 0.1 and sizes[1] > 1e3, (momentum, sizes)


@settings(max_examples=40, deadline=None)
@given(hessians(), st.data())
def test_judge_newton_accepts_the_inverse_and_rejects_a_missing_damping(hessian, data):
    n = len(hessian)
    x = data.draw(st.lists(st.floats(-2, 2), min_size=n, max_size=n).map(np.array))
    gradient = data.draw(st.lists(st.floats(0.1, 3), min_size=n, max_size=n).map(np.array))
    damping = data.draw(st.floats(0.1, 3))
    example = Matrix(hessian, (("x", x), ("grad", gradient), ("damping", damping)))
    judge_newton(example, answer(x - np.linalg.inv(hessian + damping * np.eye(n)) @ gradient))
    with pytest.raises(Mismatch, match="damping"):
        judge_newton(example, answer(x - np.linalg.inv(hessian) @ gradient))


@settings(max_examples=20, deadline=None)
@given(hessians(4))
def test_newtons_step_lands_on_a_quadratics_minimum(hessian):
    """What judge_newton expects, undamped, is the minimum of ½ xᵀHx − bᵀx from anywhere: H⁻¹b."""
    b, x = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.3, 0.1, -1.0, 2.0])
    expected = x - checks_curvature.newton_direction(hessian, hessian @ x - b, 0.0)
    np.testing.assert_allclose(hessian @ expected, b, rtol=1e-9, atol=1e-9 * np.abs(hessian).max())


@settings(max_examples=40, deadline=None)
@given(hessians())
def test_judge_polyak_accepts_the_formula_and_rejects_the_pair_swapped(hessian):
    low, high = np.sqrt(np.linalg.eigvalsh(hessian)[[0, -1]])
    lr, momentum = (2 / (low + high)) ** 2, ((high - low) / (high + low)) ** 2
    example = Matrix(hessian)
    judge_polyak(example, answer(lr, momentum))
    with pytest.raises(Mismatch):
        judge_polyak(example, answer(momentum, lr))
    with pytest.raises(Mismatch, match="tuple of 2"):
        judge_polyak(example, answer(lr))


@settings(max_examples=20, deadline=None)
@given(hessians(3))
def test_polyaks_settings_give_the_rate_the_docstring_promises(hessian):
    """At Polyak's η and β every root of the heavy ball's recurrence has modulus (√κ − 1)/(√κ + 1)."""
    tuning = checks_curvature.curvature.polyak(hessian)
    curvatures = np.linalg.eigvalsh(hessian)
    kappa = curvatures[-1] / curvatures[0]
    moduli = [np.abs(np.roots([1, -(1 + tuning.momentum - tuning.lr * lam), tuning.momentum])).max()
              for lam in curvatures]
    np.testing.assert_allclose(moduli, (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1), rtol=1e-6)


# ---------------------------------------------------------------- grading, hiding, the LMS outputs


@pytest.fixture(scope="module")
def start_with():
    server = runner.launcher()
    yield server
    server.close()


def test_the_solved_part6_passes_and_the_stubs_are_not_started(tmp_path, start_with):
    workspace.start(tmp_path / "solved", solutions=True)
    workspace.start(tmp_path / "stubs")
    solved = grade_workspace(tmp_path / "solved", PART6, 60, start_with=start_with)
    assert [(r.task, r.status) for r in solved] == [(task, "passed") for task in PART6], [r.message for r in solved]
    stubs = grade_workspace(tmp_path / "stubs", PART6, 60, start_with=start_with)
    assert [r.status for r in stubs] == ["not started"] * len(PART6)


def test_autograd_grad_stays_usable_while_the_engines_own_second_derivatives_are_hidden():
    assert "tinygrad_edu.autograd.functional:hvp" in hidden.HIDDEN["6.1"]
    assert "tinygrad_edu.optim:Newton.step" in hidden.HIDDEN["6.3"]
    assert "tinygrad_edu.lecture.curvature:polyak" in hidden.HIDDEN["6.4"]
    every = {path for paths in hidden.HIDDEN.values() for path in paths}
    assert not any(path.endswith(":grad") for path in hidden.HIDDEN["6.1"])
    for path in every:  # each names something that exists
        hidden.resolve(path)


def test_part6_is_in_the_points_table_and_the_classroom_workflow():
    points = default_points()
    assert all(points[task] > 0 for task in PART6)
    assert sum(points.values()) == sum(task.points for task in TASKS)
    text = workflow(points, 60)
    for task in PART6:
        assert f"tinygrad-edu exercises check . {task}" in text


def test_gradescope_results_carry_the_part6_tasks(tmp_path):
    from support import run_tinygrad_edu

    workspace.start(tmp_path / "solved", solutions=True)
    results = tmp_path / "results.json"
    run = run_tinygrad_edu("exercises", "check", str(tmp_path / "solved"), *PART6, "--gradescope", str(results))
    assert run.returncode == 0, run.stdout + run.stderr
    tests = {test["number"]: test for test in json.loads(results.read_text())["tests"]}
    assert {task: (tests[task]["score"], tests[task]["max_score"]) for task in PART6} == {
        task: (default_points()[task], default_points()[task]) for task in PART6}
