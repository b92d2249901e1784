"""Part 4's runs: the bowl at d2l's settings and at the best ones, the deck's quartic runs with the
curvature along them, and Newton's method on both.

The bowl f(x) = 0.1·x₁² + 2·x₂² is d2l's (its momentum chapter), from its start (-5, -2), for its
20 epochs. Its axes are the Hessian's eigenvectors, so each coordinate follows the recurrence of
``curvature.recurrence`` on its own: ``linear_theory`` computes where a run must be, without the
optimizer. The quartic's runs are the tour's own (``descent.run``), with the deck's derivative and
with the true one; their curvature comes from the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import curvature, descent
from .computed import QUARTIC_RULES
from .surfaces import bowl, descent_path, largest_stable_step

# ---------------------------------------------------------------- the bowl

BOWL_COEFFICIENTS = (0.1, 2.0)  # f(x) = 0.1·x₁² + 2·x₂² (surfaces.bowl): its Hessian is diag(2·0.1, 2·2)
BOWL_START = (-5.0, -2.0)  # where d2l's train_2d starts
D2L_EPOCHS = 20
# d2l's runs on the bowl: (rule, η, β). d2l writes momentum as PyTorch does (v ← βv + g; x ← x − ηv):
# with a constant η its iterates are the slides' (v ← βv + ηg; x ← x − v), optim.Momentum's.
D2L_RUNS = (("gd", 0.4, 0.0), ("gd", 0.6, 0.0), ("momentum", 0.6, 0.5))
OPTIMAL_STEPS = 400  # gradient descent at its best step gets below curvature.ERROR_FLOOR in under 300 here


def bowl_point(function: str, start: Any) -> tuple[float, float]:
    """``start`` as a point (x₁, x₂) of the bowl, checked: two finite numbers."""
    try:
        point = np.asarray(getattr(start, "data", start), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{function}: start must be a point (x₁, x₂) of two numbers, got {start!r:.80}") from None
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"{function}: start must be a point (x₁, x₂) of two finite numbers, got shape "
                         f"{point.shape}: {point.tolist()!r:.80}")
    return float(point[0]), float(point[1])


def bowl_path(rule: str, lr: float, momentum: float = 0.0, steps: int = D2L_EPOCHS,
              start: Any = BOWL_START) -> np.ndarray:
    """``rule``'s iterates x₀, x₁, … on the bowl as rows (x₁, x₂), taken by ``optim``; a run that
    diverges goes on until f overflows, so that its growth can be measured."""
    start = bowl_point("bowl_path", start)
    return descent_path(rule, bowl, start, lr, momentum, steps, limit=math.inf)


def linear_theory(rule: str, lr: float, momentum: float, curvatures: tuple[float, ...], start: Any,
                  steps: int) -> np.ndarray:
    """Where ``rule`` must be after ``steps`` on a quadratic whose Hessian is diag(curvatures), minimum 0:
    along each axis (e_t, e_{t−1}) = Mᵗ·(e₀, e₀) with M = [[b, −c], [1, 0]], b and c the recurrence's
    (the velocity starts at 0, so e_{−1} = e₀)."""
    point = np.asarray(start, dtype=np.float64)
    ends = []
    for coordinate, curvature_along in zip(point, curvatures, strict=True):
        b, c = curvature.recurrence(rule, lr, momentum, curvature_along)
        ends.append((np.linalg.matrix_power(np.array([[b, -c], [1.0, 0.0]]), steps) @ [coordinate, coordinate])[0])
    return np.array(ends)


@dataclass(frozen=True)
class RateRun:
    """A run at a rule's best settings: its errors ‖x_t − x*‖ and the rate measured from them."""

    rule: str
    tuning: curvature.Tuning
    errors: np.ndarray
    measured_at: int
    measured: float

    @property
    def jordan_ratio(self) -> float:
        """(e_{t+1}/(t+1))/(e_t/t) at the same t: the ratio of successive errors with a factor t divided out,
        which at Polyak's optimum (error (a + b·t)·ρᵗ) approaches ρ as 1 + 1/t², not as 1 + 1/t."""
        t = self.measured_at
        return float((self.errors[t + 1] / (t + 1)) / (self.errors[t] / t))


def best_runs(hessian: np.ndarray, minimum: Any, start: Any = BOWL_START,
              steps: int = OPTIMAL_STEPS) -> dict[str, RateRun]:
    """Gradient descent at its optimal step and the heavy ball at Polyak's optimum, on the bowl."""
    runs = {}
    for rule, tuning in (("gd", curvature.optimal_gd(hessian)), ("momentum", curvature.polyak(hessian))):
        errors = curvature.distances(bowl_path(rule, tuning.lr, tuning.momentum, steps, start), minimum)
        at, ratio = curvature.measured_rate(errors)
        runs[rule] = RateRun(rule, tuning, errors, at, ratio)
    return runs


# ---------------------------------------------------------------- the deck's quartic

# The closed forms: numpy's polynomials, with coefficients of x⁰, x¹, … (no autograd involved).
QUARTIC = np.polynomial.Polynomial((2.0, -2.0, -2.0, 1.0, 1.0))  # x⁴ + x³ − 2x² − 2x + 2, descent.quartic
DECK_DERIVATIVE = np.polynomial.Polynomial((0.0, -4.0, 3.0, 4.0))  # 4x³ + 3x² − 4x, descent.slide_derivative
SETTLE_EPOCHS = 300  # long enough for each of the deck's quartic runs to settle to rounding
DERIVATIVES = {"deck": descent.slide_derivative, "true": None}  # None: autograd's, the true one
RULE_NAMES = {"gd_quartic": "gradient descent", "momentum": "momentum γ = 0.8", "nesterov": "Nesterov γ = 0.9"}


def real_roots(polynomial: np.polynomial.Polynomial) -> list[float]:
    """The polynomial's real roots, smallest first."""
    roots = polynomial.roots()
    return sorted(float(root.real) for root in roots if abs(root.imag) < 1e-9)


def gradient_points(rule: str, momentum: float, xs: list[float]) -> np.ndarray:
    """Where each epoch's gradient was taken: x_t, or Nesterov's look-ahead x_t + γ·v_t with
    v_t = x_t − x_{t−1} (v₀ = 0). One point per step taken."""
    xs = np.asarray(xs, dtype=np.float64)
    if rule != "nesterov":
        return xs[:-1]
    velocities = np.diff(xs[:-1], prepend=xs[0])
    return xs[:-1] + momentum * velocities


@dataclass(frozen=True)
class QuarticRun:
    """One of the deck's quartic runs (η = 0.1 from x = -2), with the derivative it steps with and the
    curvature f″ where each epoch took its gradient."""

    group: str  # its key in the tour: gd_quartic, momentum, nesterov
    derivative: str  # "deck" or "true"
    run: descent.Run  # the tour's 20 epochs
    points: np.ndarray  # where each epoch's gradient was taken
    curvatures: np.ndarray  # f″ there, from the engine
    settled: descent.Run  # the same run for SETTLE_EPOCHS

    @property
    def rule(self) -> str:
        return QUARTIC_RULES[self.group][0]

    @property
    def momentum(self) -> float:
        return QUARTIC_RULES[self.group][1]

    @property
    def bound(self) -> float:
        """The rule's bound on η·f″ (2, 2 + 2γ, (2 + 2γ)/(1 + 2γ))."""
        return largest_stable_step(self.rule, self.momentum)

    @property
    def scaled(self) -> np.ndarray:
        """η·f″ at each epoch's gradient point."""
        return descent.LEARNING_RATE * self.curvatures

    @property
    def unstable_epochs(self) -> list[int]:
        """The epochs whose η·f″ is above the rule's bound."""
        return np.flatnonzero(self.scaled > self.bound).tolist()

    @property
    def settles_at(self) -> float | None:
        """Where the long run stops moving (None when it diverges)."""
        xs = self.settled.xs
        if self.settled.diverged_at is not None or abs(xs[-1] - xs[-2]) > 1e-12:
            return None
        return xs[-1]


def quartic_run(group: str, derivative: str) -> QuarticRun:
    """``group``'s run on the quartic with the deck's or the true derivative, and f″ along it."""
    rule, momentum = QUARTIC_RULES[group]
    step_with = DERIVATIVES[derivative]
    run = descent.run(rule, descent.quartic, step_with, momentum=momentum)
    points = gradient_points(rule, momentum, run.xs)
    settled = descent.run(rule, descent.quartic, step_with, momentum=momentum, epochs=SETTLE_EPOCHS)
    return QuarticRun(group, derivative, run, points, np.atleast_1d(curvature.derivative(descent.quartic, points, 2)),
                      settled)


def quartic_runs() -> list[QuarticRun]:
    """The deck's three quartic runs, each with the deck's derivative and then the true one."""
    return [quartic_run(group, derivative) for group in QUARTIC_RULES for derivative in DERIVATIVES]


def nesterov_from(start: float, epochs: int = SETTLE_EPOCHS) -> descent.Run:
    """Nesterov (γ 0.9, η 0.1) with the true derivative from ``start``: from near the minimum, it converges."""
    return descent.run("nesterov", descent.quartic, momentum=QUARTIC_RULES["nesterov"][1], start=start,
                       epochs=epochs)


# ---------------------------------------------------------------- Newton's method

NEWTON_STEPS = 7  # from x = -2 the quartic's minimum is reached to the last digit in 7
