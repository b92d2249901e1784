"""Part 4's checks: a few steps of each rule against tinygrad_edu's optimizer, and the slides' tables.

hypothesis draws a start x₀, a learning rate, a momentum and a curved
objective, f'(x) = c·(x − t) + x³/10 elementwise (its gradient changes from
point to point, so a Nesterov step that looks in the wrong place shows), and
compares three steps with the reference's iterates at rtol 1e-6. The slide
rules then recompute the slides' 20-epoch tables through optim.GD,
optim.Momentum and optim.Nesterov with the student's step plugged in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import optim
from ..lecture import computed
from ..lecture.expected import EXPECTED
from ..value import Value
from . import plugin
from .checks_derivatives import EXAMPLES, arrays, floats
from .grading import Mismatch, check_slide_values, close, search, text

STEPS = 3
# The reference classes, taken before any check swaps a name of optim.
REFERENCE = {"gd": optim.GD, "momentum": optim.Momentum, "nesterov": optim.Nesterov, "sgd": optim.SGD}


@dataclass
class Run:
    """A start, the objective's f'(x) = c·(x − t) + x³/10, and the rule's settings."""

    x0: np.ndarray
    c: np.ndarray
    t: np.ndarray
    lr: float
    gamma: float

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self.c * (x - self.t) + x ** 3 / 10

    def __str__(self) -> str:
        return (f"x₀ = {text(self.x0)}, f'(x) = c·(x − t) + x³/10 with c = {text(self.c)}, t = {text(self.t)}, "
                f"lr = {self.lr:.8g}, momentum = {self.gamma:.8g}, {STEPS} steps")


@st.composite
def runs(draw) -> Run:
    shape = (draw(st.integers(1, 3)),)
    return Run(draw(arrays(shape, floats(-2, 2))), draw(arrays(shape, floats(0.5, 3))),
               draw(arrays(shape, floats(-1, 1))), draw(floats(0.01, 0.3)), draw(floats(0.1, 0.95)))


def reference_iterates(run: Run, rule: str) -> list[np.ndarray]:
    """x after each step of the reference optimizer, the gradient set by hand in the closure."""
    x = Value(run.x0.copy(), requires_grad=True)
    if rule in ("gd", "momentum", "nesterov"):
        optimizer = REFERENCE[rule]([x], run.lr, *(() if rule == "gd" else (run.gamma,)))
    else:
        optimizer = REFERENCE["sgd"]([x], lr=run.lr, momentum=run.gamma, nesterov=rule == "sgd_nesterov")

    def closure():
        optimizer.zero_grad()
        x.grad = run.gradient(x.data)

    iterates = []
    for _ in range(STEPS):
        optimizer.step(closure)
        iterates.append(x.data.copy())
    return iterates


def student_iterates(run: Run, rule: str, step: Callable) -> list[np.ndarray]:
    """x after each of the student's steps, each given copies, so that nothing is shared."""
    x, state, iterates = run.x0.copy(), None, []
    for _ in range(STEPS):
        if rule == "gd":
            x = step(x.copy(), run.gradient(x), run.lr)
        elif rule == "momentum":
            x, state = step(x.copy(), np.zeros_like(x) if state is None else state.copy(), run.gradient(x), run.lr,
                            run.gamma)
        elif rule == "nesterov":
            x, state = step(x.copy(), np.zeros_like(x) if state is None else state.copy(), run.gradient, run.lr,
                            run.gamma)
        else:
            x, state = step(x.copy(), run.gradient(x), None if state is None else state.copy(), run.lr, run.gamma)
        x = np.asarray(x, dtype=np.float64)
        iterates.append(x.copy())
    return iterates


def compare_runs(run: Run, rule: str, step: Callable) -> None:
    expected, got = reference_iterates(run, rule), student_iterates(run, rule, step)
    for number, (want, have) in enumerate(zip(expected, got, strict=True), start=1):
        if not close(want, have, 1e-6, 1e-12):
            raise Mismatch(f"x after step {number} differs from the reference optimizer (rtol 1e-6)", str(run),
                           text(expected[:number]), text(got[:number]))


def slide_keys(*groups: str) -> tuple[str, ...]:
    return tuple(entry.key for entry in EXPECTED if entry.group in groups)


SLIDES = {  # rule → (the optimizer class the student's step goes into, how the lecture computes it, keys)
    "gd": ("GD", plugin.gd_adapter, computed.gradient_descent_values, slide_keys("gd_parabola", "gd_quartic")),
    "momentum": ("Momentum", plugin.momentum_adapter, computed.momentum_values, slide_keys("momentum")),
    "nesterov": ("Nesterov", plugin.nesterov_adapter, computed.nesterov_values, slide_keys("nesterov")),
}


def rule_check(rule: str) -> Callable[[Callable, Any], None]:
    def check(step: Callable, directory: Any) -> None:
        search(runs(), lambda run: compare_runs(run, rule, step), str, EXAMPLES)
        if rule in SLIDES:
            name, adapter, lecture, keys = SLIDES[rule]
            with plugin.plugged([(optim, name, adapter(step))]):
                values = lecture()
            check_slide_values(keys, values, f"the slides' tables with optim.{name} taking your steps")
    return check


CHECKS = {task_id: rule_check(rule) for task_id, rule in (
    ("4.1", "gd"), ("4.2", "momentum"), ("4.3", "nesterov"), ("4.4", "sgd_momentum"), ("4.5", "sgd_nesterov"))}
