"""Part 6's checks: H·v against the engine's double backward, and the Hessian's closed forms.

Task 6.1 gets a function whose Hessian changes from point to point
(``examples.Curved``) and must match ``autograd.functional.hvp`` to rounding
(rtol 1e-12): differentiating the gradient is exact to rounding (1e-15), while a
finite difference of the gradient is off by 1e-11 or more on most examples, at
any step size, and is told so. Tasks 6.2–6.4 get
symmetric positive definite matrices with κ between 2 and 1,000, turned so
that their diagonal is not their eigenvalues, and must match the lecture's
``largest_stable_lr``, ``optim.newton``'s direction and ``polyak`` (rtol 1e-8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..autograd import functional
from ..lecture import curvature
from ..optim.newton import newton_direction
from ..value import Value
from .checks_derivatives import EXAMPLES
from .examples import Curved, text
from .runner import Child
from .strategies import arrays, curved, floats, hessians, off_zero
from .toolkit import Mismatch, Question, close, expect_close, search

EXACT_RTOL = 1e-12  # a second backward is exact to rounding; a finite difference of the gradient is not
RTOL = 1e-8  # the closed forms: numpy's eigvalsh or solve against the same, or against inv(H) @ g


@dataclass(frozen=True)
class Matrix:
    """A Part 6 example: a Hessian and the other arguments of the task's function, by name."""

    hessian: np.ndarray
    others: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        eigenvalues = text(np.linalg.eigvalsh(self.hessian))
        parts = [f"hessian = {text(self.hessian)} (eigenvalues {eigenvalues})"]
        return ", ".join(parts + [f"{name} = {text(value)}" for name, value in self.others])

    def value(self, name: str) -> Any:
        return dict(self.others)[name]


def single(what: str, example: Any, answer: dict, count: int) -> list[np.ndarray]:
    """The ``count`` numbers (arrays) the student's function returned; Mismatch when it returned another count."""
    got = answer["result"]
    if len(got) != count:
        wanted = "one number (or array)" if count == 1 else f"a tuple of {count} numbers"
        raise Mismatch(f"{what} must return {wanted}, got {len(got)} values", example)
    return got


# ---------------------------------------------------------------- 6.1

def judge_hvp(example: Curved, answer: dict) -> None:
    (got,) = single("hvp", example, answer, 1)
    _, expected = functional.hvp(example.function(), Value(example.x), Value(example.v))
    expected = np.asarray(expected.data, dtype=np.float64)
    atol = EXACT_RTOL * max(1.0, float(np.abs(expected).max()))
    if got.shape == expected.shape and not close(expected, got, EXACT_RTOL, atol) and close(expected, got, 1e-4, 1e-6):
        raise Mismatch("H·v is close, but not to rounding (rtol 1e-12): a finite difference of the gradient? "
                       "Differentiate the gradient itself: autograd.grad(f(x), x, create_graph=True), then "
                       "autograd.grad of (gradient · v).sum()", example, expected, got, label="H·v")
    expect_close("H·v differs from the engine's double backward (autograd.functional.hvp, rtol 1e-12)", example,
                 expected, got, EXACT_RTOL, atol, label="H·v",
                 hint="Return H·v with x's shape: the gradient of (∇f(x) · v).sum() with respect to x.")


def check_hvp(child: Child) -> None:
    question = Question(lambda example: ("hessian_vector", {"curved": example.to_data()}), judge_hvp)
    search(child, curved(), question, str, EXAMPLES)


# ---------------------------------------------------------------- 6.2

MOMENTA = st.one_of(st.just(0.0), floats(0.05, 0.95))  # 0 is plain gradient descent


@st.composite
def stable_examples(draw) -> Matrix:
    return Matrix(draw(hessians()), (("momentum", draw(MOMENTA)),))


def judge_stable_lr(example: Matrix, answer: dict) -> None:
    (got,) = single("largest_stable_lr", example, answer, 1)
    momentum = example.value("momentum")
    expected = curvature.largest_stable_lr(example.hessian, "momentum", momentum)
    steepest = float(np.linalg.eigvalsh(example.hessian)[-1])
    expect_close("the largest stable learning rate differs from (2 + 2·momentum)/λ_max, λ_max the largest "
                 f"eigenvalue ({steepest:.8g} here)", example, expected, got, RTOL, 1e-12, label="η",
                 hint="Return one number.")


def check_stable_lr(child: Child) -> None:
    question = Question(lambda example: ("call", {"arguments": [example.hessian, example.value("momentum")]}),
                        judge_stable_lr)
    search(child, stable_examples(), question, str, EXAMPLES)


# ---------------------------------------------------------------- 6.3

DAMPINGS = st.one_of(st.just(0.0), floats(0.1, 3))


@st.composite
def newton_examples(draw) -> Matrix:
    hessian = draw(hessians())
    n = len(hessian)
    return Matrix(hessian, (("x", draw(arrays((n,), floats(-2, 2)))), ("grad", draw(arrays((n,), off_zero(0.1, 3)))),
                            ("damping", draw(DAMPINGS))))


def judge_newton(example: Matrix, answer: dict) -> None:
    (got,) = single("newton_step", example, answer, 1)
    x, gradient, damping = (example.value(name) for name in ("x", "grad", "damping"))
    step = newton_direction(example.hessian, gradient, damping)
    expected = x - step
    atol = RTOL * (float(np.abs(x).max()) + float(np.abs(step).max()))
    expect_close("x − (H + damping·I)⁻¹·grad differs from the reference (rtol 1e-8)", example, expected, got,
                 RTOL, atol, label="next x", hint="Return the new x, an array of x's shape.")


def check_newton(child: Child) -> None:
    question = Question(lambda example: ("call", {"arguments": [example.value("x"), example.value("grad"),
                                                               example.hessian, example.value("damping")]}),
                        judge_newton)
    search(child, newton_examples(), question, str, EXAMPLES)


# ---------------------------------------------------------------- 6.4

def judge_polyak(example: Matrix, answer: dict) -> None:
    lr, momentum = single("polyak_momentum", example, answer, 2)
    tuning = curvature.polyak(example.hessian)
    low, high = curvature.extreme_curvatures("polyak", example.hessian)
    for name, expected, got in (("lr", tuning.lr, lr), ("momentum", tuning.momentum, momentum)):
        expect_close(f"Polyak's {name} differs from the formula with λ_min = {low:.8g}, λ_max = {high:.8g} "
                     "(rtol 1e-8)", example, expected, got, RTOL, 1e-12, label=name,
                     hint="Return (lr, momentum), two numbers.")


def check_polyak(child: Child) -> None:
    question = Question(lambda example: ("call", {"arguments": [example.hessian]}), judge_polyak)
    search(child, hessians().map(Matrix), question, str, EXAMPLES)


CHECKS = {"6.1": check_hvp, "6.2": check_stable_lr, "6.3": check_newton, "6.4": check_polyak}
