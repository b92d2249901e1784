"""``tinygrad-edu curvature``: Part 4 of the lecture, each value beside the closed form it must equal.

The values on the left are computed with the engine: second derivatives by ``autograd.grad``
with ``create_graph=True`` and ``autograd.functional.hessian``, runs by ``optim``. The closed
forms on the right are computed without it: the bowl's curvatures from its coefficients,
the quartic's derivatives and roots with numpy's polynomials, the runs from the linear
recurrences of ``curvature.recurrence``. A value agrees (✓) within 1e-9 relative, a rate
measured from a run within 2% (the issue's tolerance), and the command exits 1 if any
disagrees, as the tour does.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..terminal import write_line
from . import curvature, descent
from . import curvature_runs as runs
from .computed import true_derivative_values
from .expected import EXPECTED
from .surfaces import bowl, largest_stable_step, newton_path
from .tour import CHECK, CROSS

__all__ = ["Check", "bowl_paths", "report", "write_pictures"]

EXACT = 1e-9  # relative: two float64 computations of one number in different orders
RATE = 0.02  # a rate measured from a run against the predicted one
NEAR = 0.3  # how far from the quartic's minimum Nesterov starts, to show that the minimum itself is stable


@dataclass(frozen=True)
class Check:
    """One line: what we computed, the closed form it must equal, and whether it does."""

    label: str
    ours: str
    closed: str
    agrees: bool


def shown(values: float | Sequence[float], digits: int = 4) -> str:
    """Numbers with ``digits`` significant digits, comma-separated (-0 shown as 0)."""
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    return ", ".join(f"{value + 0.0:.{digits}g}" for value in values)


def numbers(label: str, ours: float | Sequence[float], formula: str, closed: float | Sequence[float],
            rtol: float = EXACT, digits: int = 4) -> Check:
    """A check of numbers: ours against the closed form's, within ``rtol`` (and 1e-12 absolute, for zeros)."""
    ours_array, closed_array = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (ours, closed))
    agrees = ours_array.shape == closed_array.shape and bool(np.allclose(ours_array, closed_array, rtol=rtol,
                                                                         atol=1e-12))
    return Check(label, shown(ours, digits), f"{formula} = {shown(closed, digits)}", agrees)


def words(label: str, ours: str, formula: str, closed: str) -> Check:
    """A check of verdicts ("converges", a table row): the same words on both sides."""
    return Check(label, ours, f"{formula}: {closed}", ours.split(":")[0] == closed.split(":")[0])


Section = tuple[str, list[Check | str]]  # a heading, and its checks and notes (a note is a plain line)


# ---------------------------------------------------------------- the bowl

def bowl_sections() -> list[Section]:
    """The bowl's Hessian and bounds, d2l's runs, and the best settings with their rates."""
    hessian = curvature.hessian_matrix(bowl, runs.BOWL_START)
    closed = tuple(2 * a for a in runs.BOWL_COEFFICIENTS)  # ∂²(a·x²)/∂x² = 2a
    low, high = closed
    minimum = newton_path(bowl, runs.BOWL_START, steps=1)[-1]
    heavy = runs.D2L_RUNS[2][2]
    sections = [("The bowl f(x) = 0.1·x₁² + 2·x₂² (d2l's), from x₀ = (-5, -2)", [
        numbers("Hessian at x₀ (autograd.functional.hessian)", hessian.ravel(), "[2·0.1, 0, 0, 2·2]",
                np.diag(closed).ravel()),
        numbers("eigenvalues λ_min, λ_max", curvature.eigenvalues(hessian), "2·0.1, 2·2", closed),
        numbers("condition number κ = λ_max/λ_min", curvature.condition_number(hessian), "2/0.1", high / low),
        numbers("gradient descent's bound on η", curvature.largest_stable_lr(hessian), "2/λ_max", 2 / high),
        numbers(f"heavy ball's bound on η, β = {heavy:g}", curvature.largest_stable_lr(hessian, "momentum", heavy),
                "(2 + 2β)/λ_max", (2 + 2 * heavy) / high),
    ])]
    d2l: list[Check | str] = []
    for rule, lr, momentum in runs.D2L_RUNS:
        name = f"{descent.RULES[rule]} η = {lr:g}" + (f", β = {momentum:g}" if rule != "gd" else "")
        path = runs.bowl_path(rule, lr, momentum)
        theory = runs.linear_theory(rule, lr, momentum, closed, runs.BOWL_START, runs.D2L_EPOCHS)
        d2l.append(numbers(f"{name}: x after {runs.D2L_EPOCHS}", path[-1], "Mᵗ·x₀ (the recurrence)", theory,
                           digits=6))
        bound = largest_stable_step(rule, momentum)
        scaled = lr * curvature.eigenvalues(hessian)[-1]
        measured = "diverges" if np.linalg.norm(path[-1]) > np.linalg.norm(path[0]) else "converges"
        predicted = "diverges" if lr * high > bound else "converges"
        rate = curvature.iteration_rate(rule, lr, momentum, closed)
        d2l.append(words("    the run", f"{measured}: ‖x₂₀‖ = {shown(np.linalg.norm(path[-1]))}",
                         f"η·λ_max = {shown(scaled)} {'>' if lr * high > bound else '<'} {shown(bound)}, "
                         f"ρ = {shown(rate)}", predicted))
    sections.append((f"d2l's runs, {runs.D2L_EPOCHS} epochs from x₀", d2l))
    sections.append(best_section(hessian, minimum, low, high))
    return sections


def best_section(hessian: np.ndarray, minimum: np.ndarray, low: float, high: float) -> Section:
    """Gradient descent at its best step, the heavy ball at Polyak's optimum: settings and rates."""
    best = runs.best_runs(hessian, minimum)
    kappa = high / low
    root = math.sqrt(kappa)
    gd, heavy = best["gd"], best["momentum"]
    checks: list[Check | str] = [
        numbers("gradient descent's best step η", gd.tuning.lr, "2/(λ_min + λ_max)", 2 / (low + high)),
        numbers(f"  rate, measured at t = {gd.measured_at}", gd.measured, "(κ − 1)/(κ + 1)", (kappa - 1) / (kappa + 1),
                rtol=RATE),
        numbers("Polyak's heavy ball η", heavy.tuning.lr, "(2/(√λ_min + √λ_max))²",
                (2 / (math.sqrt(low) + math.sqrt(high))) ** 2),
        numbers("  β", heavy.tuning.momentum, "((√κ − 1)/(√κ + 1))²", ((root - 1) / (root + 1)) ** 2),
        numbers(f"  rate, measured at t = {heavy.measured_at}", heavy.measured, "(√κ − 1)/(√κ + 1)",
                (root - 1) / (root + 1), rtol=RATE),
        "    At Polyak's optimum both curvatures give z² − b·z + c a double root (±ρ), so the error is (a + b·t)·ρᵗ,",
        "    not ρᵗ: the ratio of successive errors is ρ·(1 + about 1/t), "
        f"{100 * (heavy.measured / heavy.tuning.rate - 1):.1f}% above ρ at t = {heavy.measured_at}. "
        "With t divided out:",
        numbers(f"  (e_t/t) ratio, at t = {heavy.measured_at}", heavy.jordan_ratio, "(√κ − 1)/(√κ + 1)",
                (root - 1) / (root + 1), rtol=RATE),
        "    Both rates measured as e_(t+1)/e_t, the last ratio before the error ‖x_t − x*‖ falls below "
        f"{curvature.ERROR_FLOOR:g}.",
    ]
    return "Best settings: the rate ρ predicted, and measured from the run", checks


# ---------------------------------------------------------------- the quartic

def quartic_section() -> Section:
    """The quartic's stationary points, f″ there and the bounds 2/f″; the deck's derivative's roots."""
    true_points = descent.stationary_points(descent.autograd_derivative(descent.quartic))
    deck_points = descent.stationary_points(descent.slide_derivative)
    second = runs.QUARTIC.deriv(2)
    closed_points = runs.real_roots(runs.QUARTIC.deriv())
    curvatures = np.atleast_1d(curvature.derivative(descent.quartic, true_points, 2))
    minima = [x for x, f2 in zip(true_points, curvatures, strict=True) if f2 > 0]
    kinds = ", ".join("minimum" if f2 > 0 else "maximum" for f2 in curvatures)
    closed_kinds = ", ".join("minimum" if second(x) > 0 else "maximum" for x in closed_points)
    return "The deck's quartic f(x) = x⁴ + x³ − 2x² − 2x + 2", [
        numbers("where f′ = 0 (bisection on autograd's f′)", true_points, "roots of 4x³ + 3x² − 4x − 2",
                closed_points),
        numbers("f″ there (autograd.grad, twice)", curvatures, "12x² + 6x − 4", second(np.array(closed_points))),
        words("  so each is a", kinds, "the sign of 12x² + 6x − 4", closed_kinds),
        numbers("bound on η at the minima, 2/f″", [2 / f2 for f2 in curvatures if f2 > 0], "2/(12x² + 6x − 4)",
                [2 / second(x) for x in closed_points if second(x) > 0]),
        f"    The deck's η = {descent.LEARNING_RATE:g} is below both, so gradient descent is stable at either minimum "
        f"({shown(minima)}).",
        numbers("where the deck's derivative is 0", deck_points, "(−3 ± √73)/8 and 0",
                sorted([(-3 - math.sqrt(73)) / 8, 0.0, (-3 + math.sqrt(73)) / 8])),
        numbers("f″ there (the deck's derivative differs from f′ by 2)",
                curvature.derivative(descent.quartic, deck_points, 2), "d/dx(4x³ + 3x² − 4x)",
                runs.DECK_DERIVATIVE.deriv()(np.array(deck_points))),
    ]


def table_row(run: descent.Run, epoch: int) -> str:
    """Row ``epoch`` of a run's table, or where it diverged."""
    if run.diverged_at is not None and epoch > run.diverged_at:
        return descent.divergence_note(run)
    return descent.table_row(epoch, run.xs[epoch + 1], run.scores[epoch + 1])


def tour_row(group: str, derivative: str, epoch: int) -> str:
    """The tour's row for ``epoch``: the slide's table (the deck's derivative) or its true-derivative column."""
    key = f"{group}.{epoch:02d}"
    if derivative == "deck":
        [entry] = [entry for entry in EXPECTED if entry.key == key]
        return descent.table_row(epoch, float(entry.printed[0]), float(entry.printed[1]))
    value = true_derivative_values()[key]
    return value if isinstance(value, str) else descent.table_row(epoch, *value)


def run_checks(quartic: runs.QuarticRun) -> list[Check | str]:
    """One quartic run: η·f″ along it, the epochs above the rule's bound, its last row, where it settles."""
    eta = descent.LEARNING_RATE
    closed = eta * runs.QUARTIC.deriv(2)(quartic.points)
    where = "look-ahead x + γv" if quartic.rule == "nesterov" else "x"
    last = len(quartic.run.xs) - 2
    epochs = lambda found: " ".join(f"{epoch:02d}" for epoch in found) or "none"  # noqa: E731
    checks: list[Check | str] = [
        f"    η·f″ at each epoch's {where}: " + " ".join(f"{value:.2f}" for value in quartic.scaled),
        Check(f"  η·f″ at all {len(quartic.points)} epochs", "as above", "0.1·(12x² + 6x − 4): the same",
              bool(np.allclose(quartic.scaled, closed, rtol=EXACT, atol=1e-12))),
        words(f"  epochs with η·f″ > {quartic.bound:.4g}", epochs(quartic.unstable_epochs),
              "the closed form's", epochs(np.flatnonzero(closed > quartic.bound).tolist())),
        words(f"  epoch {last:02d}", table_row(quartic.run, last), "the tour's table",
              tour_row(quartic.group, quartic.derivative, last)),
    ]
    polynomial = runs.DECK_DERIVATIVE if quartic.derivative == "deck" else runs.QUARTIC.deriv()
    settles = quartic.settles_at
    if settles is None:
        checks.append(words(f"  after {runs.SETTLE_EPOCHS} epochs", descent.divergence_note(quartic.settled),
                            "the tour's table", tour_row(quartic.group, quartic.derivative, descent.EPOCHS - 1)))
        return checks
    nearest = min(runs.real_roots(polynomial), key=lambda root: abs(root - settles))
    scaled = eta * curvature.derivative(descent.quartic, settles, 2)
    checks += [
        numbers(f"  settles at (epoch {runs.SETTLE_EPOCHS - 1})", settles, "a root of the derivative it follows",
                nearest, digits=6),
        words("  there", f"{'stable' if scaled < quartic.bound else 'unstable'}: η·f″ = {shown(scaled)}",
              f"η·(12x² + 6x − 4) = {shown(eta * runs.QUARTIC.deriv(2)(nearest))} < {shown(quartic.bound)}",
              "stable" if eta * runs.QUARTIC.deriv(2)(nearest) < quartic.bound else "unstable"),
    ]
    return checks


def runs_sections() -> list[Section]:
    """The deck's three quartic runs, each with the deck's derivative and the true one."""
    sections = []
    for quartic in runs.quartic_runs():
        derivative = "the deck's derivative (the slide's table)" if quartic.derivative == "deck" else \
            "the true derivative"
        sections.append((f"{runs.RULE_NAMES[quartic.group]} on the quartic with {derivative}", run_checks(quartic)))
        if quartic.rule == "nesterov" and quartic.settles_at is None:
            sections.append(overshoot_section(quartic))
    return sections


def overshoot_section(quartic: runs.QuarticRun) -> Section:
    """Why Nesterov diverges with the true derivative: the overshoot, not the curvature at the minimum."""
    eta, bound = descent.LEARNING_RATE, quartic.bound
    second = runs.QUARTIC.deriv(2)
    minimum = min(runs.real_roots(runs.QUARTIC.deriv()), key=runs.QUARTIC)
    start = minimum + NEAR
    near = runs.nesterov_from(start)
    overshoot = next(epoch for epoch in quartic.unstable_epochs if epoch > 0)  # epoch 00 is the start, x = -2
    ahead = quartic.points[overshoot]
    return "  … what breaks it: the overshoot, not the curvature at the minimum", [
        numbers(f"  η·f″ at the true minimum x* = {minimum:.4f}",
                eta * curvature.derivative(descent.quartic, minimum, 2), "0.1·(12x² + 6x − 4)", eta * second(minimum)),
        f"    below the bound {bound:.4g}: the minimum is stable for this rule, and started near it the run settles:",
        numbers(f"  from x₀ = x* + {NEAR:g} it settles at", near.xs[-1], "x*", minimum, digits=6),
        "    From x = -2 the true gradient (the deck's minus 2) builds up more velocity, and at epoch "
        f"{overshoot:02d}",
        f"    the look-ahead x + γv overshoots to {ahead:.3f}, on the steep right wall:",
        numbers(f"  η·f″ at epoch {overshoot:02d}'s look-ahead", quartic.scaled[overshoot], "0.1·(12x² + 6x − 4)",
                eta * second(ahead)),
        f"    {quartic.scaled[overshoot] / bound:.1f} times the bound. The step throws x across the valley, the next",
        "    look-ahead lands further out on the left wall, where f″ is larger still, and each overshoot is larger",
        "    than the last.",
    ]


# ---------------------------------------------------------------- Newton's method

def newton_section() -> Section:
    """Newton on the quartic from -2 step by step, on the bowl in one step, and damped where f″ < 0."""
    first, second, third = (runs.QUARTIC.deriv(order) for order in (1, 2, 3))
    path = newton_path(descent.quartic, descent.START, steps=runs.NEWTON_STEPS)
    minimum = min(runs.real_roots(first), key=lambda root: abs(root - path[-1]))
    errors = np.abs(path - minimum)
    checks: list[Check | str] = [f"    from x₀ = {descent.START:g}; x* = {minimum:.16g}, the root of f′ it reaches"]
    for t in range(1, len(path)):
        # Within a few units of the last place, x_t is x* as float64 can hold it.
        digits = f"{-math.log10(errors[t]):4.1f} digits" if errors[t] > 4 * abs(np.spacing(minimum)) else "all digits"
        before = path[t - 1]
        checks.append(numbers(f"  x_{t}: |x_{t} − x*| = {errors[t]:.1e}, {digits}", path[t], "x − f′(x)/f″(x) of x_" +
                              str(t - 1), before - first(before) / second(before), rtol=1e-12, digits=16))
    last = int(np.flatnonzero(errors >= curvature.ERROR_FLOOR)[-1])
    checks += [
        "    Each step squares the error (times |f‴/(2f″)| at x*), so the number of correct digits doubles:",
        numbers(f"  e_{last}/e_{last - 1}², the last error above 1e-12", errors[last] / errors[last - 1] ** 2,
                "|f‴/(2f″)| at x*", abs(third(minimum) / (2 * second(minimum))), rtol=RATE),
    ]
    bowl_step = newton_path(bowl, runs.BOWL_START, steps=1)
    checks.append(numbers("the bowl: one step from (-5, -2) lands on", bowl_step[-1], "the minimum", [0.0, 0.0]))
    checks += damped_checks(first, second)
    return "Newton's method x ← x − f′(x)/f″(x), by optim.Newton", checks


def damped_checks(first, second) -> list[Check | str]:
    """At x = 0, where f″ < 0, the plain step goes uphill and the damped one downhill."""
    x = 0.0
    curvature_there = curvature.derivative(descent.quartic, x, 2)
    damping = 2 * abs(curvature_there)  # f″ + λ = |f″| > 0
    plain = float(newton_path(descent.quartic, x, steps=1)[-1])
    damped = float(newton_path(descent.quartic, x, steps=1, damping=damping)[-1])
    maximum = newton_path(descent.quartic, x, steps=20)[-1]
    reached = newton_path(descent.quartic, x, steps=60, damping=damping)[-1]
    roots = runs.real_roots(runs.QUARTIC.deriv())
    f = descent.quartic
    return [
        numbers("where f″ < 0: f″(0)", curvature_there, "12·0² + 6·0 − 4", second(x)),
        numbers("  the plain step goes to", plain, "0 − f′(0)/f″(0)", x - first(x) / second(x)),
        f"    uphill: f goes from {f(x):g} to {f(plain):g}; repeated, it climbs to the maximum:",
        numbers("  plain Newton from 0 ends at", maximum, "the maximum, a root of f′", roots[1], digits=6),
        numbers(f"  damping λ = 2·|f″(0)| = {damping:g}: the step goes to", damped, "0 − f′(0)/(f″(0) + λ)",
                x - first(x) / (second(x) + damping)),
        f"    downhill: f goes from {f(x):g} to {f(damped):g}; repeated, it reaches the minimum:",
        numbers("  damped Newton from 0 ends at", reached, "the minimum, a root of f′", roots[2], digits=6),
    ]


# ---------------------------------------------------------------- printing and pictures

def print_sections(sections: list[Section]) -> tuple[int, int]:
    """Every section, a check a line (label, ours, the closed form, ✓ or ✗); returns (agreeing, checks)."""
    checks = [item for _, items in sections for item in items if isinstance(item, Check)]
    label_width = max(len(check.label) for check in checks)
    ours_width = min(max(len(check.ours) for check in checks), 26)
    for title, items in sections:
        write_line(f"\n{title}")
        for item in items:
            if isinstance(item, str):
                write_line(item)
                continue
            mark = CHECK if item.agrees else CROSS
            write_line(f"  {item.label:<{label_width}}  {item.ours:<{ours_width}}  {item.closed}  {mark}")
    return sum(check.agrees for check in checks), len(checks)


def bowl_paths(steps: int = 40) -> dict[str, np.ndarray]:
    """Gradient descent, the heavy ball and Nesterov at their best settings, and Newton, from the bowl's start."""
    hessian = curvature.hessian_matrix(bowl, runs.BOWL_START)
    gd, heavy = curvature.optimal_gd(hessian), curvature.polyak(hessian)
    low, high = curvature.eigenvalues(hessian)[[0, -1]]
    nesterov = (math.sqrt(high) - math.sqrt(low)) / (math.sqrt(high) + math.sqrt(low))  # with η = 1/λ_max
    return {
        f"gradient descent, η = {gd.lr:.3g}": runs.bowl_path("gd", gd.lr, steps=steps),
        f"heavy ball, η = {heavy.lr:.3g}, β = {heavy.momentum:.3g}": runs.bowl_path("momentum", heavy.lr,
                                                                                  heavy.momentum, steps),
        f"Nesterov, η = 1/λ_max, γ = {nesterov:.3g}": runs.bowl_path("nesterov", 1 / high, nesterov, steps),
        "Newton": newton_path(bowl, runs.BOWL_START, steps=1),
    }


def write_pictures(out_dir: Path) -> list[str]:
    """The four pictures of Part 4 in ``out_dir``: one line each saying where (or how to get matplotlib)."""
    from ..viz.curvature_plot import plot_contraction, plot_curvature, plot_rates
    from ..viz.plot import INSTALL_HINT, plot_paths_2d

    hessian = curvature.hessian_matrix(bowl, runs.BOWL_START)
    best = runs.best_runs(hessian, [0.0, 0.0])
    errors, rates = {}, {}
    for rule, lr, momentum in (runs.D2L_RUNS[0], runs.D2L_RUNS[2]):
        label = f"{descent.RULES[rule]} η = {lr:g}" + (f", β = {momentum:g}" if momentum else "") + " (d2l)"
        errors[label] = curvature.distances(runs.bowl_path(rule, lr, momentum, 150), [0.0, 0.0])
        rates[label] = curvature.iteration_rate(rule, lr, momentum, curvature.eigenvalues(hessian))
    for rule, run in best.items():
        label = "gradient descent, best η" if rule == "gd" else "heavy ball, Polyak's η and β"
        errors[label], rates[label] = run.errors, run.tuning.rate
    nesterov = runs.quartic_run("nesterov", "true")
    bounds = {runs.RULE_NAMES[group]: largest_stable_step(rule, gamma)
              for group, (rule, gamma) in runs.QUARTIC_RULES.items()}
    drawings = {
        "curvature_bowl.png": lambda path: plot_paths_2d(
            bowl, bowl_paths(), path, minimum=[0.0, 0.0], x_range=(-6.0, 1.0), y_range=(-4.0, 4.0),
            title="The bowl 0.1·x₁² + 2·x₂² (κ = 20): each rule at its best settings, and Newton's one step"),
        "curvature_rates.png": lambda path: plot_rates(
            errors, rates, path, title="Error per step on the bowl, and the rate ρ each setting predicts"),
        "curvature_contraction.png": lambda path: plot_contraction((0.5, 1.0, 1.5, 1.9, 2.1), path=path),
        "curvature_quartic.png": lambda path: plot_curvature(
            descent.quartic, lambda xs: curvature.derivative(descent.quartic, xs, 2), descent.LEARNING_RATE, bounds,
            path, x_range=(-2.5, 2.5), marks={"Nesterov's look-ahead, true derivative": nesterov.points},
            title="The deck's quartic: where η = 0.1 is too large a step for each rule's bound on η·f″"),
    }
    lines = []
    for name, draw in drawings.items():
        try:
            draw(out_dir / name)
        except ImportError:
            return [f"not drawn: {INSTALL_HINT}"]
        lines.append(str(out_dir / name))
    return lines


def report(out_dir: Path | None) -> int:
    """Print every section, then write the pictures to ``out_dir`` (None: none); 0 when every value agrees, else 1.

    An OSError from writing the pictures is the caller's to report.
    """
    write_line(f"tinygrad_edu {__version__}: Part 4, curvature. Every value on the left is computed with the engine's "
               "own second derivatives")
    write_line("(autograd.grad with create_graph=True, autograd.functional.hessian) or measured from a run of optim; "
               "beside it, the closed form")
    write_line(f"it must equal, computed without the engine. {CHECK} means within 1e-9 relative "
               f"(a measured rate: within 2%).")
    sections = bowl_sections() + [quartic_section()] + runs_sections() + [newton_section()]
    agreeing, total = print_sections(sections)
    write_line(f"\n{agreeing}/{total} values agree with their closed forms")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_line("\nPictures")
        for line in write_pictures(out_dir):
            write_line(f"  {line}")
    sys.stdout.flush()
    return 0 if agreeing == total else 1
