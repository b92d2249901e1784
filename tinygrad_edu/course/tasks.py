"""The exercises: every task, the file it lives in, what it teaches and what it is worth.

A task is one top-level function or class of a workspace file (``symbol``),
under a header line ``# === Task 1.6 · Sigmoid.backward ===``. The templates
in ``templates/`` hold each task's solution between ``# BEGIN SOLUTION`` and
``# END SOLUTION``; a student's workspace gets a stub there instead.

``points`` are the defaults a gradebook uses (100 in all); a teacher's points
file overrides them (``points.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

PARTS = {
    1: ("part1_derivatives.py", "Derivatives: the backward of each operation"),
    2: ("part2_engine.py", "The engine: topological order and backward"),
    3: ("part3_losses.py", "The losses: BCE with the clamp, cross-entropy through a stable log-softmax"),
    4: ("part4_optimizers.py", "The optimizers: the slides' GD, momentum, Nesterov, and PyTorch's SGD forms"),
    5: ("part5_training.py", "Training on your own parts: the slides' SGD step and the Iris MLP"),
}

# Workspaces written before a file was renamed keep grading: file name → the names it had.
FORMER_NAMES = {"part4_optimizers.py": ("part4_optimisers.py",)}


@dataclass(frozen=True)
class Task:
    """One exercise: ``id`` "1.6", the workspace ``symbol`` it defines, what it teaches, its default points."""

    id: str
    symbol: str
    title: str
    teaches: str
    points: int

    @property
    def part(self) -> int:
        return int(self.id.partition(".")[0])

    @property
    def filename(self) -> str:
        return PARTS[self.part][0]


TASKS: tuple[Task, ...] = (
    Task("1.1", "Mul", "Mul.backward", "the product rule, and gradients of broadcast inputs", 3),
    Task("1.2", "Div", "Div.backward", "the quotient's two derivatives, −a/b² written with the output", 3),
    Task("1.3", "Pow", "Pow.backward", "a power in the base, an exponential in the exponent", 4),
    Task("1.4", "Exp", "Exp.backward", "reusing the saved output", 2),
    Task("1.5", "Log", "Log.backward", "1/x, and what forward must save", 2),
    Task("1.6", "Sigmoid", "Sigmoid.backward", "σ' = σ(1 − σ) from the saved output; the backward slide's W_h, W_z",
         3),
    Task("1.7", "Tanh", "Tanh.backward", "tanh' = 1 − tanh², again from the output", 3),
    Task("1.8", "Relu", "Relu.backward", "a piecewise derivative: a mask of where x > 0", 2),
    Task("1.9", "MatMul", "MatMul.backward", "dL/da = g bᵀ, dL/db = aᵀ g, and a vector input", 5),
    Task("1.10", "Sum", "Sum.backward", "a reduction's gradient spreads back over the reduced axes", 3),
    Task("1.11", "Mean", "Mean.backward", "the same, divided by the count", 3),
    Task("1.12", "unbroadcast", "unbroadcast", "an input used many times gets the sum of its copies' gradients", 5),
    Task("2.1", "topological_order", "topological_order", "depth-first search with a stack; a reused node is "
         "listed once; a chain of 5,000 Values", 8),
    Task("2.2", "backward", "backward", "the chain rule in reverse order; summing over consumers; leaves "
         "accumulate", 10),
    Task("3.1", "BinaryCrossEntropy", "BinaryCrossEntropy", "BCE and (x − y)/(x(1 − x)); PyTorch's clamp of "
         "ln at −100", 5),
    Task("3.2", "log_softmax", "log_softmax", "the log-sum-exp trick: finite for logits of ±1000", 5),
    Task("3.3", "cross_entropy", "cross_entropy", "−log p of the right class, averaged; the loss slide's 0.8949", 5),
    Task("4.1", "gd_step", "gd_step", "x ← x − ηg; the slides' GD tables", 2),
    Task("4.2", "momentum_step", "momentum_step", "v ← γv + ηg, x ← x − v; the slides' momentum table", 3),
    Task("4.3", "nesterov_step", "nesterov_step", "the gradient at the look-ahead point x + γv; the slides' "
         "Nesterov table", 4),
    Task("4.4", "sgd_momentum_step", "sgd_momentum_step", "PyTorch's buffer of gradients, b ← μb + g", 3),
    Task("4.5", "sgd_nesterov_step", "sgd_nesterov_step", "PyTorch's Nesterov: p ← p − η(g + μb)", 3),
    Task("5.1", "slide_sgd_step", "slide_sgd_step", "one SGD step of the slides' 2-2-1 network on your parts", 6),
    Task("5.2", "train_iris", "train_iris", "the Iris MLP the docstring asks for, on your parts, trained as the "
         "reference trains it", 8),
)

BY_ID = {task.id: task for task in TASKS}

__all__ = ["FORMER_NAMES", "PARTS", "TASKS", "Task", "task_by_id"]


def task_by_id(task_id: str) -> Task:
    """The task called ``task_id`` ("1.6"); ValueError naming the valid ids otherwise."""
    if task_id not in BY_ID:
        raise ValueError(f"unknown task {task_id!r}; the tasks are {', '.join(BY_ID)}")
    return BY_ID[task_id]
