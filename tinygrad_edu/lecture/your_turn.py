"""The checks of the notebooks' "your turn" cells (docs/notebooks/).

A "your turn" cell ships with ``...`` where the learner's answer goes, so the
notebook still runs top to bottom; the check cell under it calls one function
here, which prints one line: not answered yet, ✓ right, or ✗ with a hint. A
wrong answer never shows the right one: the hint says where to look.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import Value, optim
from ..terminal import write_line
from . import descent

__all__ = ["check", "check_damping", "check_iterates", "check_taming_rate", "check_zigzag_rate", "unanswered"]

RIGHT, WRONG = "✓", "✗"


def unanswered(answer: Any) -> bool:
    """Is ``...`` still where the answer goes (on its own, or inside a list or tuple)?"""
    if answer is Ellipsis:
        return True
    return isinstance(answer, list | tuple) and any(unanswered(item) for item in answer)


def say_waiting(name: str) -> None:
    write_line(f"Your turn: {name} is still ... — write it in the cell above, run that cell, then this one.")


def numbers(value: Any) -> np.ndarray:
    """A float, a list, a numpy array or a Value, as a flat float64 array."""
    value = getattr(value, "data", value)  # a Value holds its numbers in .data
    return np.asarray(value, dtype=np.float64).reshape(-1)


def shown(values: np.ndarray) -> str:
    return ", ".join(f"{v:.4f}" for v in values)


def check(name: str, answer: Any, expected: Any, hint: str, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Is ``answer`` the number (or numbers) ``expected``? Shapes may differ: 0.25 matches [0.25]."""
    if unanswered(answer):
        return say_waiting(name)
    try:
        mine = numbers(answer)
    except (TypeError, ValueError):
        return write_line(f"{WRONG} {name}: expected a number or an array of numbers, got {type(answer).__name__}")
    want = numbers(expected)
    if mine.size != want.size:
        return write_line(f"{WRONG} {name} has {mine.size} number(s), the answer has {want.size}. {hint}")
    if np.allclose(mine, want, rtol=rtol, atol=atol):
        return write_line(f"{RIGHT} {name} = {shown(mine)}: right.")
    write_line(f"{WRONG} {name} = {shown(mine)} is not right yet. {hint}")


def check_iterates(name: str, xs: Sequence[Any], expected: Sequence[float], hint: str) -> None:
    """Are the iterates ``xs`` (x after each epoch) those of ``expected``? Names the first epoch that differs."""
    if unanswered(list(xs)) or len(xs) == 0:
        return say_waiting(name)
    mine, want = numbers(list(xs)), numbers(list(expected))
    for epoch, (a, b) in enumerate(zip(mine, want, strict=False)):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return write_line(f"{WRONG} {name}: x after epoch {epoch:02d} is {a:.5f}, which is not right yet. {hint}")
    if mine.size != want.size:
        return write_line(f"{WRONG} {name}: {mine.size} epochs, expected {want.size}. {hint}")
    write_line(f"{RIGHT} {name}: all {mine.size} epochs right.")


def gradient_descent(derivative: Callable[[float], float], lr: float, x: float = descent.START,
                     epochs: int = descent.EPOCHS) -> list[float]:
    """x after each of ``epochs`` steps x ← x − η·f'(x), stopping once x is no longer finite."""
    xs = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            x = x - lr * derivative(x)
            xs.append(x)
            if not math.isfinite(x):
                break
    return xs


def check_zigzag_rate(lr: Any) -> None:
    """Part 2: a learning rate with which GD on x² flips x's sign every step and still converges."""
    if unanswered(lr):
        return say_waiting("zigzag_lr")
    xs = gradient_descent(descent.parabola_derivative, float(lr))
    if not all(a * b < 0 for a, b in zip([descent.START, *xs], xs, strict=False)):
        return write_line(f"{WRONG} with η = {lr:g} x does not change sign at every step: the step is too short "
                          f"to cross 0. Try a larger η.")
    if not abs(xs[-1]) < abs(descent.START):
        return write_line(f"{WRONG} with η = {lr:g} x changes sign but grows (x after epoch 19: {xs[-1]:.4g}): "
                          f"each step overshoots 0 by more than x was from it. Try a smaller η.")
    write_line(f"{RIGHT} with η = {lr:g} x changes sign at every step and still converges "
               f"(x after epoch 19: {xs[-1]:.5f}).")


def check_taming_rate(lr: Any, momentum: float = 0.9, epochs: int = 100) -> None:
    """Part 3: a learning rate with which Nesterov (γ 0.9) and the true derivative reach f's lowest point."""
    if unanswered(lr):
        return say_waiting("tamed_lr")
    run = descent.run("nesterov", descent.quartic, lr=float(lr), momentum=momentum, epochs=epochs)
    if run.diverged_at is not None:
        return write_line(f"{WRONG} with η = {lr:g} Nesterov still diverges ({descent.divergence_note(run)}). "
                          f"Try a smaller η.")
    lowest = min(descent.minimisers(descent.quartic), key=descent.quartic)
    if not math.isclose(run.xs[-1], lowest, abs_tol=1e-3):
        return write_line(f"{WRONG} with η = {lr:g} x ends at {run.xs[-1]:.4f} after {epochs} epochs, not at f's "
                          f"lowest point: it stopped in the other valley, or is still on its way. Try another η.")
    write_line(f"{RIGHT} with η = {lr:g} Nesterov with the true derivative reaches f's lowest point, "
               f"x = {run.xs[-1]:.4f}, in {epochs} epochs.")


def check_damping(damping: Any, x: float = 0.0) -> None:
    """Part 4: a damping λ with which Newton's first step on the quartic from ``x`` (where f″ < 0) goes downhill."""
    if unanswered(damping):
        return say_waiting("damping")
    point = Value(x, dtype=np.float64, requires_grad=True)
    try:
        optim.Newton([point], damping=damping).step(lambda: descent.quartic(point))
    except (TypeError, ValueError) as error:
        return write_line(f"{WRONG} damping = {damping!r} is refused: {error}. Try a number ≥ 0.")
    before, after = descent.quartic(x), descent.quartic(point.item())
    if after < before:
        return write_line(f"{RIGHT} with λ = {damping:g} the step goes from x = {x:g} to {point.item():.4f}, downhill: "
                          f"f goes from {before:.4f} to {after:.4f}.")
    write_line(f"{WRONG} with λ = {damping:g} the step goes from x = {x:g} to {point.item():.4f}, and f goes from "
               f"{before:.4f} up to {after:.4f}: f″ + λ is not above 0 yet. Try a larger λ.")
