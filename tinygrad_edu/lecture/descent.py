"""Parts 2 and 3 of the lecture: gradient descent, momentum and Nesterov in one dimension.

Every run starts at x = -2.0 with learning rate η = 0.1 and prints, after each
step, the slides' row ``'Epoch: %0.2d -- f(%0.3f) = %.5f'``. x is a float64
Value (the slides compute with Python floats) and the optimizer classes of
``tinygrad_edu.optim`` take the steps. The gradient comes either from the
slide's hand-written derivative (set as ``x.grad``) or from autograd.

The slide's derivative of the quartic, 4x³ + 3x² − 4x, is wrong (the true one
is 4x³ + 3x² − 4x − 2): the printed tables come out only with the wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import DerivativeMismatch, Value, check_derivative, no_grad, optim

START = -2.0
LEARNING_RATE = 0.1
EPOCHS = 20
# A loss above a million, on a curve that starts near 2, means the steps run away;
# going on only overflows float64 a few epochs later. A run that starts higher than
# that diverges only once it climbs above its own start.
DIVERGENCE_LIMIT = 1e6
RULES = {"gd": "gradient descent", "momentum": "GD with momentum", "nesterov": "Nesterov momentum"}
# What the pictures' titles say a run followed.
SLIDE_DERIVATIVE_NAME = "the deck's 4x³ + 3x² − 4x (wrong: it drops the −2)"
BOTH_DERIVATIVES = "the deck's 4x³ + 3x² − 4x (wrong) and the true 4x³ + 3x² − 4x − 2 (autograd)"


def parabola(x: float | Value) -> float | Value:
    """f(x) = x² (the slide's text says 2x², its code and table use x²)."""
    return x ** 2.0


def parabola_derivative(x: float) -> float:
    """f'(x) = 2x, as the slide writes it (correct)."""
    return 2.0 * x


def quartic(x: float | Value) -> float | Value:
    """f(x) = x⁴ + x³ − 2x² − 2x + 2."""
    return x**4 + x**3 - 2 * x**2 - 2 * x + 2


def slide_derivative(x: float) -> float:
    """The slide's derivative of the quartic, 4x³ + 3x² − 4x: it drops the −2 of −2x."""
    return 4 * x**3 + 3 * x**2 - 4 * x


def autograd_derivative(objective: Callable) -> Callable[[float], float]:
    """The true derivative x ↦ f'(x), computed by backward() on a float64 Value."""
    def derivative(x: float) -> float:
        point = Value(x, dtype=np.float64, requires_grad=True)
        objective(point).backward()
        return point.grad.item()
    return derivative


def stationary_points(derivative: Callable[[float], float], low: float = -3.0, high: float = 3.0,
                      points: int = 601) -> list[float]:
    """Where ``derivative`` is zero on [low, high]: each sign change on a grid of ``points``, narrowed by
    bisection until the bracket is as small as float64 allows. The notebooks and the tour say where a
    run settles with these, never with a number typed in."""
    grid = np.linspace(low, high, points)
    slopes = [derivative(x) for x in grid]
    found = []
    for a, b, slope_a, slope_b in zip(grid, grid[1:], slopes, slopes[1:], strict=False):
        if slope_a == 0:
            found.append(float(a))
        elif slope_a * slope_b < 0:
            while (middle := (a + b) / 2) not in (a, b):
                a, b = (middle, b) if derivative(middle) * slope_a > 0 else (a, middle)
            found.append(float(a))
    return found


def minimisers(objective: Callable, low: float = -3.0, high: float = 3.0) -> list[float]:
    """The local minima of ``objective`` on [low, high]: where autograd's derivative goes from − to +."""
    derivative = autograd_derivative(objective)
    step = (high - low) / 600
    return [x for x in stationary_points(derivative, low, high) if derivative(x - step) < 0 < derivative(x + step)]


def table_row(epoch: int, x: float, fx: float) -> str:
    """One row of the slides' tables."""
    return "Epoch: %0.2d -- f(%0.3f) = %.5f" % (epoch, x, fx)  # noqa: UP031 -- the slide's own format string


@dataclass
class Run:
    """The iterates of one optimization: ``xs[0]`` is the start, ``xs[t]`` the point after epoch t − 1."""

    rule: str
    xs: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    diverged_at: int | None = None

    def rows(self) -> list[str]:
        """The table: one row per epoch, as the slides print it."""
        return [table_row(epoch, x, fx) for epoch, (x, fx) in enumerate(zip(self.xs[1:], self.scores[1:], strict=True))]


def make_optimizer(rule: str, params: list, lr: float, momentum: float) -> optim.Optimizer:
    """The optimizer class that takes the slides' ``rule`` ('gd', 'momentum' or 'nesterov')."""
    if rule == "gd":
        return optim.GD(params, lr)
    if rule == "momentum":
        return optim.Momentum(params, lr, momentum)
    if rule == "nesterov":
        return optim.Nesterov(params, lr, momentum)
    raise ValueError(f"make_optimizer: unknown rule {rule!r}; choose one of {sorted(RULES)}")


def run(rule: str, objective: Callable, derivative: Callable | None = None, start: float = START,
        lr: float = LEARNING_RATE, momentum: float = 0.0, epochs: int = EPOCHS,
        limit: float = DIVERGENCE_LIMIT) -> Run:
    """Optimize ``objective`` from ``start``; stop early when f(x) overflows, or when |f(x)| exceeds
    both ``limit`` and |f(start)|.

    ``derivative`` (a function of a float) sets the gradient by hand, as the
    slides do; None takes the true one from autograd. The gradient is always
    taken inside the closure, so Nesterov gets it at its look-ahead point.
    """
    x = Value(start, dtype=np.float64, requires_grad=True)
    optimizer = make_optimizer(rule, [x], lr, momentum)

    def closure():
        optimizer.zero_grad()
        if derivative is not None:
            x.grad = derivative(x.item())
            return None
        loss = objective(x)
        loss.backward()
        return loss

    result = Run(rule, [start], [float(objective(start))])
    limit = max(limit, abs(result.scores[0]))
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected below, not warned about
        for epoch in range(epochs):
            optimizer.step(closure)
            with no_grad():
                fx = objective(x).item()
            result.xs.append(x.item())
            result.scores.append(fx)
            if not (math.isfinite(fx) and abs(fx) <= limit):
                result.diverged_at = epoch
                break
    return result


def divergence_note(result: Run) -> str:
    """``'diverged at epoch NN'`` with the point reached, or '' when the run stayed finite."""
    if result.diverged_at is None:
        return ""
    return f"diverged at epoch {result.diverged_at:02d}: x = {result.xs[-1]:.2f}, f(x) = {result.scores[-1]:.4g}"


def first_mismatch(objective: Callable = quartic, derivative: Callable = slide_derivative,
                   x: float = START) -> DerivativeMismatch | None:
    """Where ``check_derivative`` catches the slide's derivative (None if it agrees)."""
    found = check_derivative(objective, derivative, [x])
    return found[0] if found else None


def wrong_derivative_report() -> list[str]:
    """The paragraph the quartic examples print after the slide's table."""
    grid = np.arange(-2.0, 2.0 + 0.25, 0.5)
    mismatches = check_derivative(quartic, slide_derivative, grid)
    at_start = first_mismatch()
    gaps = {round(m.given - m.numeric, 6) for m in mismatches}
    return [
        "The slide's derivative 4x³ + 3x² − 4x is wrong: d/dx(x⁴ + x³ − 2x² − 2x + 2) = 4x³ + 3x² − 4x − 2.",
        f"check_derivative finds it {at_start}.",
        f"It disagrees at {len(mismatches)} of the {len(grid)} points -2.0, -1.5, ..., 2.0, always by "
        + ", ".join(f"{gap:g}" for gap in sorted(gaps)) + ".",
        f"Autograd's derivative at x = {START}: {autograd_derivative(quartic)(START):g}.",
    ]


def slide_and_true_runs(rule: str, momentum: float = 0.0, cost_after: int | None = None) -> tuple[Run, Run, list[str]]:
    """``rule`` on the quartic twice: with the slide's derivative (the slide's table) and with autograd's.

    Returns both runs and what the quartic examples print of them: the slide's
    table (and its cost after ``cost_after`` epochs, when given), the report on
    the slide's derivative, then the table of the run with the true derivative.
    """
    printed = run(rule, quartic, slide_derivative, momentum=momentum)
    true = run(rule, quartic, momentum=momentum)
    lines = printed.rows()
    if cost_after is not None:
        lines.append(f"After {cost_after} epochs: Cost = {printed.scores[cost_after]:.2f}")
    lines += ["", *wrong_derivative_report(), "", "The same run with the true derivative (autograd):", *true.rows()]
    return printed, true, lines
