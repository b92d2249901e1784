"""The classic picture of momentum: two-dimensional surfaces and the paths the slides' rules take on them.

The bowl f(x) = 0.1·x₁² + 2·x₂² is ill-conditioned: its curvature is 0.2 along
x₁ and 4 along x₂ (condition number 20). A gradient step multiplies x₁ by
1 − 0.2η and x₂ by 1 − 4η, so η must stay below 2/4 = 0.5 for the steep
direction, and once η > 1/4 the factor 1 − 4η is negative: x₂ flips sign every
step (the zig-zag) while x₁ crawls. Momentum adds up the gradient's consistent
x₁ part step after step and lets its alternating x₂ part cancel.

Rosenbrock's f(x) = (1 − x₁)² + 100·(x₂ − x₁²)² has a narrow curved valley
along x₂ = x₁², with the minimum at its far end, (1, 1).

The paths are taken by ``tinygrad_edu.optim`` on a 2-element float64 Value,
with autograd's gradient; the pictures are drawn by ``tinygrad_edu.viz.plot``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import Value, no_grad, optim
from .descent import DIVERGENCE_LIMIT, RULES, make_optimizer


def bowl(x: Value) -> Value:
    """f(x) = 0.1·x₁² + 2·x₂²; ``x``'s first axis holds (x₁, x₂), so a grid of points works too."""
    return 0.1 * x[0] ** 2 + 2 * x[1] ** 2


def rosenbrock(x: Value) -> Value:
    """f(x) = (1 − x₁)² + 100·(x₂ − x₁²)²; ``x``'s first axis holds (x₁, x₂)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def gradient(objective: Callable, point: np.ndarray) -> np.ndarray:
    """∇f at ``point``, by backward() on a float64 Value."""
    x = Value(point, dtype=np.float64, requires_grad=True)
    objective(x).backward()
    return x.grad


def hessian(objective: Callable, point: np.ndarray) -> np.ndarray:
    """The matrix of second derivatives ∂²f/∂xᵢ∂xⱼ at ``point``, by ``autograd.functional.hessian``:
    autograd takes the gradient with a graph of its own, then differentiates each entry again."""
    from ..autograd import functional  # the engine's second derivatives load when first needed

    point = np.asarray(point, dtype=np.float64)
    return np.asarray(functional.hessian(objective, Value(point)).data, dtype=np.float64).reshape(point.size,
                                                                                                   point.size)


def as_points(function: str, point: Any, argument: str = "the point") -> np.ndarray:
    """``point`` (a number, a sequence, an array or a Value) as a float64 array of finite numbers; a
    TypeError or ValueError naming ``function`` and ``argument`` otherwise."""
    try:
        points = np.array(getattr(point, "data", point), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{function}: {argument} must be a number or an array of numbers, got {point!r:.80}") \
            from None
    if points.size == 0 or not np.all(np.isfinite(points)):
        raise ValueError(f"{function}: {argument} must be finite numbers, got {points.tolist()!r:.80}")
    return points


def newton_path(objective: Callable, start: Any, steps: int = 50, damping: float = 0.0,
                lr: float = 1.0) -> np.ndarray:
    """Newton's iterates x₀, x₁, … (rows for a point of several numbers), x ← x − (H + λI)⁻¹∇f(x) taken
    by ``optim.Newton`` from ``start``; stops early once a step leaves x where it was (∇f = 0 to rounding).

    On a quadratic one step lands on the minimiser; near a minimum of any smooth f the number of
    correct digits doubles at every step.
    """
    x = Value(as_points("newton_path", start, "start"), requires_grad=True)
    optimizer = optim.Newton([x], lr=lr, damping=damping)
    points = [x.data.copy()]
    for _ in range(steps):
        optimizer.step(lambda: objective(x))
        points.append(x.data.copy())
        if np.array_equal(points[-1], points[-2]):
            break
    return np.array(points)


def newton_minimiser(objective: Callable, start: tuple[float, float], steps: int = 50) -> np.ndarray:
    """Where ∇f = 0, by Newton's method from ``start``: the last of ``newton_path``'s iterates."""
    return newton_path(objective, start, steps)[-1]


def largest_stable_step(rule: str, momentum: float = 0.0) -> float:
    """The bound on η·λ below which ``rule`` converges on a quadratic of curvature λ.

    On f = λx²/2 each rule is a linear recurrence. GD: x ← (1 − ηλ)x, stable
    while |1 − ηλ| < 1, so ηλ < 2. Momentum: x_{t+1} = (1 + γ − ηλ)x_t − γx_{t−1};
    its roots stay inside the unit circle while ηλ < 2(1 + γ). Nesterov takes
    the gradient at x_t + γ(x_t − x_{t−1}), so x_{t+1} = (1 − ηλ)(1 + γ)x_t −
    (1 − ηλ)γx_{t−1}; for z² − bz + c the condition is |c| < 1 and |b| < 1 + c,
    which for ηλ > 1 reads (ηλ − 1)(1 + γ) < 1 − (ηλ − 1)γ: ηλ < 2(1 + γ)/(1 + 2γ).
    """
    bounds = {"gd": 2.0, "momentum": 2 * (1 + momentum), "nesterov": 2 * (1 + momentum) / (1 + 2 * momentum)}
    if rule not in bounds:
        raise ValueError(f"largest_stable_step: unknown rule {rule!r}; choose one of {sorted(bounds)}")
    return bounds[rule]


@dataclass(frozen=True)
class Surface:
    """An objective of two variables, the box its picture shows, and the settings of the paths on it."""

    name: str
    objective: Callable[[Value], Value]
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    lr: float
    momentum: float
    steps: int

    @property
    def minimiser(self) -> np.ndarray:
        """The point where ∇f = 0, found by Newton's method from the start."""
        return newton_minimiser(self.objective, self.start)


# η = 0.4: GD's factor on x₂ is 1 − 4η = −0.6, so it zig-zags across the valley, and 1 − 0.2η = 0.92 on
# x₁. Momentum with γ = 0.5 has the real factors 0.77 and 0.65 on x₁ and runs down the valley. Nesterov
# needs η·4 < 2(1 + γ)/(1 + 2γ) = 1.5 (docs/tutorial.md derives it); at η·4 = 1.6 it zig-zags ever wider.
BOWL = Surface("0.1·x₁² + 2·x₂²", bowl, start=(-9.0, 1.5), x_range=(-10.0, 10.0), y_range=(-3.0, 3.0),
               lr=0.4, momentum=0.5, steps=30)
# At the start (-1.5, 2) the Hessian's largest eigenvalue is about 2092, so GD needs η < 2/2092; with
# η = 0.0008 it crawls along the valley floor, where the curvature is small, while momentum runs down it.
ROSENBROCK = Surface("Rosenbrock (1 − x₁)² + 100·(x₂ − x₁²)²", rosenbrock, start=(-1.5, 2.0),
                     x_range=(-2.0, 2.0), y_range=(-1.0, 3.0), lr=0.0008, momentum=0.9, steps=400)
SURFACES = {"bowl": BOWL, "rosenbrock": ROSENBROCK}


def descent_path(rule: str, objective: Callable, start: tuple[float, float], lr: float, momentum: float,
                 steps: int, limit: float = DIVERGENCE_LIMIT) -> np.ndarray:
    """The iterates x₀, x₁, … of ``rule`` ('gd', 'momentum', 'nesterov') as rows of an array.

    Stops early, after the step where |f(x)| exceeds ``limit`` or overflows.
    """
    x = Value(np.asarray(start, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer(rule, [x], lr, momentum)

    def closure():
        optimizer.zero_grad()
        loss = objective(x)
        loss.backward()
        return loss

    points = [x.detach().numpy().copy()]  # x requires grad: numpy() alone refuses, as in PyTorch
    with np.errstate(over="ignore", invalid="ignore"):  # a run-away is detected below, not warned about
        for _ in range(steps):
            optimizer.step(closure)
            points.append(x.detach().numpy().copy())
            with no_grad():
                fx = objective(x).item()
            if not (math.isfinite(fx) and abs(fx) <= limit):
                break
    return np.array(points)


def paths(surface: Surface, lr: float | None = None, momentum: float | None = None,
          steps: int | None = None) -> dict[str, np.ndarray]:
    """GD, momentum and Nesterov on ``surface`` from its start: the rule's name → its iterates.

    ``lr``, ``momentum`` and ``steps`` default to the surface's own; GD has no momentum.
    """
    lr = surface.lr if lr is None else lr
    momentum = surface.momentum if momentum is None else momentum
    steps = surface.steps if steps is None else steps
    return {RULES[rule]: descent_path(rule, surface.objective, surface.start, lr,
                                      0.0 if rule == "gd" else momentum, steps)
            for rule in RULES}
