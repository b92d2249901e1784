"""Part 4 of the lecture: curvature explains momentum, the deck's runs, and Newton's method.

Near a minimum x* a smooth f is a bowl, f(x) ≈ f(x*) + ½(x − x*)ᵀH(x − x*), whose Hessian H
holds the second derivatives. Along an eigenvector of H with eigenvalue λ (the curvature in that
direction) the error e = x − x* of each rule follows a linear recurrence:

    gradient descent      e_{t+1} = (1 − ηλ)·e_t
    heavy-ball momentum   e_{t+1} = (1 + β − ηλ)·e_t − β·e_{t−1}
    Nesterov              e_{t+1} = (1 + γ)(1 − ηλ)·e_t − γ(1 − ηλ)·e_{t−1}   (the deck's and PyTorch's form)

A recurrence dies out when every root of z² − b·z + c (its b and c above) lies inside the unit
circle, and the largest |root| is the rate ρ: the error shrinks like ρᵗ. Hence the bounds on ηλ
(``surfaces.largest_stable_step``): 2 for gradient descent, 2 + 2β for the heavy ball,
(2 + 2γ)/(1 + 2γ) for Nesterov. With κ = λ_max/λ_min, the condition number:

- gradient descent's best constant step η = 2/(λ_min + λ_max) balances the two extreme
  directions, 1 − ηλ_min = −(1 − ηλ_max), at the rate (κ − 1)/(κ + 1);
- Polyak's heavy ball, η = (2/(√λ_min + √λ_max))² and β = ((√λ_max − √λ_min)/(√λ_max + √λ_min))²,
  makes every root's modulus √β, the rate (√κ − 1)/(√κ + 1): on κ = 100, 0.82 instead of 0.98.
  At the two extreme curvatures the roots coincide, so there the error is (a + b·t)·ρᵗ and the
  ratio of successive errors approaches ρ only as 1 + 1/t does;
- Newton's method x ← x − H⁻¹∇f rescales every direction by its own curvature: on a quadratic
  it lands on x* in one step, and near a minimum of any smooth f the number of correct digits
  doubles at every step.

Every derivative here comes from the engine (``autograd.grad`` with ``create_graph=True``,
``autograd.functional.hessian``); numpy finds only eigenvalues and roots of polynomials.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import Value, no_grad
from .descent import RULES
from .surfaces import as_points, hessian, largest_stable_step

# ---------------------------------------------------------------- second derivatives, from the engine


def hessian_matrix(objective: Callable[[Value], Value], point: Any) -> np.ndarray:
    """The Hessian of ``objective`` at ``point``, as an n × n float64 matrix (the point flattened), checked:
    the point finite numbers, the objective a scalar. ``surfaces.hessian`` computes it with
    ``autograd.functional.hessian``, the Jacobian of the gradient: autograd takes the gradient with a
    graph of its own (``create_graph=True``), then differentiates each entry again."""
    x = as_points("hessian_matrix", point)
    with no_grad():
        try:
            value = objective(Value(x))
        except (IndexError, ValueError) as error:  # the objective reads more (or other) coordinates than given
            raise ValueError(f"hessian_matrix: objective cannot be evaluated at a point of shape {x.shape} "
                             f"({type(error).__name__}: {error}); give the point the shape it expects") from None
    if not isinstance(value, Value) or value.data.size != 1:
        got = f"a Value of shape {value.shape}" if isinstance(value, Value) else type(value).__name__
        raise ValueError(f"hessian_matrix: objective must return a scalar (a Value with one element) to have a "
                         f"Hessian, got {got}")
    return hessian(objective, x)


def derivative(objective: Callable[[Value], Value], x: Any, order: int = 1) -> float | np.ndarray:
    """dⁿf/dxⁿ of a function of one variable at ``x``: ``autograd.grad`` ``order`` times, each but the
    last with ``create_graph=True`` so that its result can be differentiated again.

    ``x`` may be an array of points at which f acts elementwise (as the quartic does): f(x_j) does
    not depend on x_i for j ≠ i, so the derivative of Σ f(x_j) with respect to x_i is f′(x_i), and
    one pass gives the derivative at every point.
    """
    from ..autograd import grad

    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"derivative: order must be a whole number ≥ 1, got {order!r:.40}")
    points = Value(as_points("derivative", x), requires_grad=True)
    result = objective(points)
    if not isinstance(result, Value) or result.shape != points.shape:
        got = f"shape {result.shape}" if isinstance(result, Value) else type(result).__name__
        raise ValueError(f"derivative: objective must map each point to one number (a Value of shape {points.shape} "
                         f"here), got {got}")
    for done in range(order):
        if not result.requires_grad:  # a constant: every further derivative is 0
            return _shaped(np.zeros(points.shape))
        (result,) = grad(result.sum(), points, create_graph=done < order - 1, allow_unused=True)
        if result is None:
            return _shaped(np.zeros(points.shape))
    return _shaped(np.asarray(result.data, dtype=np.float64))


def _shaped(values: np.ndarray) -> float | np.ndarray:
    """A number for a single point, else the array."""
    return float(values) if values.ndim == 0 else values

# ---------------------------------------------------------------- a Hessian's closed forms


def symmetric_matrix(function: str, hessian: Any) -> np.ndarray:
    """``hessian`` (a Value, an array or nested lists) as a float64 matrix, checked: square, finite, symmetric."""
    try:
        matrix = np.asarray(getattr(hessian, "data", hessian), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{function}: hessian must be a square matrix of numbers, got {type(hessian).__name__}") \
            from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"{function}: hessian must be a square matrix (n × n, n ≥ 1), got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{function}: hessian must be finite, got {matrix.tolist()!r:.200}")
    asymmetry = np.abs(matrix - matrix.T)
    if np.any(asymmetry > 1e-9 * max(1.0, float(np.abs(matrix).max()))):
        i, j = np.unravel_index(int(np.argmax(asymmetry)), asymmetry.shape)
        raise ValueError(f"{function}: hessian must be symmetric (a Hessian is, when f has continuous second "
                         f"derivatives), but H[{i}, {j}] = {matrix[i, j]:.6g} and H[{j}, {i}] = {matrix[j, i]:.6g}")
    return matrix


def eigenvalues(hessian: Any) -> np.ndarray:
    """The curvatures of f along the Hessian's eigenvectors, smallest first: λ_min, …, λ_max."""
    return np.linalg.eigvalsh(symmetric_matrix("eigenvalues", hessian))


def extreme_curvatures(function: str, hessian: Any) -> tuple[float, float]:
    """(λ_min, λ_max), both > 0: the closed forms are about a minimum, where the bowl curves up every way."""
    curvatures = np.linalg.eigvalsh(symmetric_matrix(function, hessian))
    if curvatures[0] <= 0:
        raise ValueError(f"{function}: hessian must be positive definite (every eigenvalue > 0, as at a minimum), "
                         f"got the eigenvalues {np.round(curvatures, 6).tolist()}")
    return float(curvatures[0]), float(curvatures[-1])


def condition_number(hessian: Any) -> float:
    """κ = λ_max/λ_min: how much steeper the bowl is across than along."""
    low, high = extreme_curvatures("condition_number", hessian)
    return high / low


def largest_stable_lr(hessian: Any, rule: str = "gd", momentum: float = 0.0) -> float:
    """The learning rate below which ``rule`` converges on the quadratic with this Hessian.

    The steepest direction goes first: η·λ_max must stay under the rule's bound (2, 2 + 2β,
    (2 + 2γ)/(1 + 2γ)), so η < bound/λ_max.
    """
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum < 1:
        raise ValueError(f"largest_stable_lr: momentum must be a number in [0, 1), got {momentum!r:.40}")
    return largest_stable_step(rule, momentum) / extreme_curvatures("largest_stable_lr", hessian)[1]


@dataclass(frozen=True)
class Tuning:
    """A rule's settings for a quadratic, and the rate ρ they give: the error shrinks like ρᵗ."""

    lr: float
    momentum: float
    rate: float


def optimal_gd(hessian: Any) -> Tuning:
    """Gradient descent's best constant step η = 2/(λ_min + λ_max), rate (κ − 1)/(κ + 1)."""
    low, high = extreme_curvatures("optimal_gd", hessian)
    kappa = high / low
    return Tuning(lr=2 / (low + high), momentum=0.0, rate=(kappa - 1) / (kappa + 1))


def polyak(hessian: Any) -> Tuning:
    """Polyak's heavy ball: η = (2/(√λ_min + √λ_max))², β = ((√λ_max − √λ_min)/(√λ_max + √λ_min))²,
    rate √β = (√κ − 1)/(√κ + 1)."""
    low, high = (math.sqrt(curvature) for curvature in extreme_curvatures("polyak", hessian))
    return Tuning(lr=(2 / (low + high)) ** 2, momentum=((high - low) / (high + low)) ** 2,
                  rate=(high - low) / (high + low))


def recurrence(rule: str, lr: float, momentum: float, curvature: float) -> tuple[float, float]:
    """(b, c) of the error's recurrence e_{t+1} = b·e_t − c·e_{t−1} along a direction of curvature λ."""
    if rule not in RULES:
        raise ValueError(f"recurrence: unknown rule {rule!r}; choose one of {sorted(RULES)}")
    shrink = 1 - lr * curvature
    if rule == "gd":
        return shrink, 0.0
    if rule == "momentum":
        return 1 + momentum - lr * curvature, momentum
    return (1 + momentum) * shrink, momentum * shrink


def iteration_rate(rule: str, lr: float, momentum: float, curvatures: Sequence[float]) -> float:
    """ρ: the largest |root| of z² − b·z + c over the curvatures, the factor the error shrinks by
    per step late in the run (it grows when ρ > 1)."""
    if len(curvatures) == 0:
        raise ValueError("iteration_rate: curvatures must hold at least one curvature (a Hessian's eigenvalues)")
    return max(float(np.max(np.abs(np.roots([1.0, -b, c])))) if c else abs(b)
               for b, c in (recurrence(rule, lr, momentum, curvature) for curvature in curvatures))


# ---------------------------------------------------------------- measuring a run

# Below this, an error measures rounding, not the rule: x_t − x* cannot be smaller than about 1e-16·|x*|.
ERROR_FLOOR = 1e-12


def distances(points: np.ndarray, minimum: Sequence[float]) -> np.ndarray:
    """‖x_t − x*‖ for each iterate (a row of ``points``, or a number for a function of one variable)."""
    points, minimum = np.asarray(points, dtype=np.float64), np.asarray(minimum, dtype=np.float64)
    if minimum.shape != points.shape[1:]:
        raise ValueError(f"distances: minimum must be a point of the iterates' shape {points.shape[1:]}, got shape "
                         f"{minimum.shape}")
    gaps = points - minimum
    return np.abs(gaps) if gaps.ndim == 1 else np.linalg.norm(gaps, axis=1)


def measured_rate(errors: Sequence[float], floor: float = ERROR_FLOOR) -> tuple[int, float]:
    """(t, e_{t+1}/e_t) for the last two errors of the run before one falls below ``floor`` (or overflows).

    Late in a run the slowest direction is all that is left, so this ratio approaches the
    rate ρ; below the floor it would measure rounding instead.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1:
        raise ValueError(f"measured_rate: errors must be a sequence of numbers, got shape {errors.shape}")
    below = np.flatnonzero(~(np.isfinite(errors) & (errors >= floor)))  # a run that overflowed stops there too
    end = int(below[0]) if below.size else errors.size
    if end < 2:
        raise ValueError(f"measured_rate: need two errors of at least {floor:g} before the first one below it, "
                         f"got {errors[:3].tolist()}…")
    return end - 2, float(errors[end - 1] / errors[end - 2])
