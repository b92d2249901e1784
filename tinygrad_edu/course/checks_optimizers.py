"""Part 4's checks: a few steps of each rule against tinygrad_edu's optimizer, and the slides' tables.

hypothesis draws a start x₀, a learning rate, a momentum and a curved
objective (``examples.Run``); the child runs three of the student's steps on
read-only copies of the arrays, and here they are compared with the reference
optimizer's iterates at rtol 1e-6. The slide rules then recompute the slides'
20-epoch tables through optim.GD, optim.Momentum and optim.Nesterov with the
student's step plugged in (in the child).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import optim
from ..lecture.expected import EXPECTED
from ..value import Value
from .checks_derivatives import EXAMPLES
from .examples import Run, text
from .runner import Child
from .strategies import runs
from .toolkit import Mismatch, Question, check_slide_values, close, search

STEPS = 3
SLIDE_RULES = {"gd": ("GD", ("gd_parabola", "gd_quartic")), "momentum": ("Momentum", ("momentum",)),
               "nesterov": ("Nesterov", ("nesterov",))}


def describe(run: Run) -> str:
    """The run in words; plain gradient descent has no momentum to show."""
    settings = f"lr = {run.lr:.8g}" + ("" if run.rule == "gd" else f", momentum = {run.gamma:.8g}")
    return (f"x₀ = {text(run.x0)}, f'(x) = c·(x − t) + x³/10 with c = {text(run.c)}, t = {text(run.t)}, "
            f"{settings}, {STEPS} steps")


def reference_iterates(run: Run) -> list:
    """x after each step of the reference optimizer, the gradient set by hand in the closure."""
    x = Value(run.x0.copy(), requires_grad=True)
    if run.rule in ("gd", "momentum", "nesterov"):
        cls = {"gd": optim.GD, "momentum": optim.Momentum, "nesterov": optim.Nesterov}[run.rule]
        optimizer = cls([x], run.lr, *(() if run.rule == "gd" else (run.gamma,)))
    else:
        optimizer = optim.SGD([x], lr=run.lr, momentum=run.gamma, nesterov=run.rule == "sgd_nesterov")

    def closure():
        optimizer.zero_grad()
        x.grad = run.gradient(x.data)

    iterates = []
    for _ in range(STEPS):
        optimizer.step(closure)
        iterates.append(x.data.copy())
    return iterates


def labelled_steps(xs: list) -> str:
    return ", ".join(f"x{'₁₂₃₄₅'[i]} = {text(x)}" for i, x in enumerate(xs))


def judge_run(run: Run, answer: dict) -> None:
    got, expected = answer["xs"], reference_iterates(run)
    for number, (want, have) in enumerate(zip(expected, got, strict=True), start=1):
        if not close(want, have, 1e-6, 1e-12):
            raise Mismatch(f"x after step {number} differs from the reference optimizer (rtol 1e-6)", describe(run),
                           labelled_steps(expected[:number]), labelled_steps(got[:number]))


RUN = Question(lambda run: ("iterates", {"run": run.to_data(), "steps": STEPS}), judge_run)


def rule_check(rule: str) -> Callable[[Child], None]:
    def check(child: Child) -> None:
        search(child, runs(rule), RUN, describe, EXAMPLES)
        if rule in SLIDE_RULES:
            name, groups = SLIDE_RULES[rule]
            values = child.call("slide", which=rule)["values"]
            keys = tuple(entry.key for entry in EXPECTED if entry.group in groups)
            check_slide_values(keys, values, f"the slides' tables with optim.{name} taking your steps")
    return check


CHECKS = {task_id: rule_check(rule) for task_id, rule in (
    ("4.1", "gd"), ("4.2", "momentum"), ("4.3", "nesterov"), ("4.4", "sgd_momentum"), ("4.5", "sgd_nesterov"))}
