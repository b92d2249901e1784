"""The reference implementations hidden from a student's code while their task is graded.

The stubs subclass the reference operations (for ``forward`` and what it
saves), so ``return super().backward(grad)`` would pass every backward task
in one line; the engine's own ``ops.Mul.backward``, ``autograd.chain_rule`` or
``lecture.iris.train_iris`` would pass others. In the child that grades a task,
before the student's file is imported, each reference of that task is
replaced by a stub that records the attempt and raises. Nothing in the child
keeps the original (it is freed), so it cannot be found again by walking the
garbage collector's objects. The grader turns a recorded attempt into an
``error`` that names what was used.

This hides the cheap routes. The engine's source stays readable (a student
can copy a formula out of ops.py): docs/exercises.md says so plainly.
"""

from __future__ import annotations

import importlib
from typing import Any

from .swap import everywhere

__all__ = ["HIDDEN", "ReferenceHidden", "attempts", "hide"]

OPTIMIZER_RULES = ("tinygrad_edu.optim:GD._update", "tinygrad_edu.optim:Momentum._update",
                   "tinygrad_edu.optim:Nesterov._update", "tinygrad_edu.optim:Nesterov.step",
                   "tinygrad_edu.optim:SGD._update")


def _backward(name: str) -> str:
    return f"tinygrad_edu.ops:{name}.backward"


OPERATIONS = {"1.1": "Mul", "1.2": "Div", "1.3": "Pow", "1.4": "Exp", "1.5": "Log", "1.6": "Sigmoid", "1.7": "Tanh",
              "1.8": "Relu", "1.9": "MatMul", "1.10": "Sum", "1.11": "Mean"}
# The backward slide, which Tasks 1.6 and 1.9 also check, runs the slide network's other operation.
SLIDE_NEEDS = {"1.6": ("MatMul",), "1.9": ("Sigmoid",)}


def _operations_hidden_from(task: str) -> tuple[str, ...]:
    """Every Part 1 operation's backward: a task's own, and the others' too (``ops.Sum.backward(self, g)``
    would be a one-line Mean.backward), but those its check runs."""
    return tuple(_backward(name) for name in OPERATIONS.values() if name not in SLIDE_NEEDS.get(task, ()))


HIDDEN: dict[str, tuple[str, ...]] = {  # task → "module:attribute path" of each reference it must not use
    **{task: _operations_hidden_from(task) for task in OPERATIONS},
    "1.12": ("tinygrad_edu.ops:unbroadcast",),
    "2.1": ("tinygrad_edu.autograd:topological_order",),
    "2.2": ("tinygrad_edu.autograd:backward", "tinygrad_edu.autograd:chain_rule",
            "tinygrad_edu.autograd:backpropagate", "tinygrad_edu.autograd.gradients:grad",
            "tinygrad_edu.autograd.gradients:accumulate_grads"),
    "3.1": ("tinygrad_edu.ops:BinaryCrossEntropy.forward", "tinygrad_edu.ops:BinaryCrossEntropy.backward",
            "tinygrad_edu.ops:BinaryCrossEntropyWithLogits.forward",
            "tinygrad_edu.ops:BinaryCrossEntropyWithLogits.backward"),
    "3.2": ("tinygrad_edu.value:Value.log_softmax", "tinygrad_edu.ops:LogSoftmax.forward",
            "tinygrad_edu.ops:LogSoftmax.backward", "tinygrad_edu.nn.functional:log_softmax"),
    "3.3": ("tinygrad_edu.nn.functional:cross_entropy", "tinygrad_edu.nn.functional:nll_loss",
            "tinygrad_edu.ops:NllLoss.forward", "tinygrad_edu.ops:NllLoss.backward"),
    **{task: OPTIMIZER_RULES for task in ("4.1", "4.2", "4.3", "4.4", "4.5")},
    "5.1": ("tinygrad_edu.lecture.mlp:sgd_step", "tinygrad_edu.lecture.computed:sgd_values",
            "tinygrad_edu.lecture.computed:forward_backward_values"),
    "5.2": ("tinygrad_edu.lecture.iris:train_iris", "tinygrad_edu.lecture.iris:_train"),
}

_attempts: list[str] = []


class ReferenceHidden(Exception):
    """The student's code called a reference implementation hidden while its task is graded."""


def attempts() -> list[str]:
    """The hidden references the student's code has called so far (each once, in order)."""
    return list(dict.fromkeys(_attempts))


def resolve(path: str) -> tuple[Any, str]:
    """``"tinygrad_edu.ops:Mul.backward"`` → (the class ops.Mul, "backward")."""
    module, _, attributes = path.partition(":")
    owner: Any = importlib.import_module(module)
    *chain, name = attributes.split(".")
    for attribute in chain:
        owner = getattr(owner, attribute)
    if not hasattr(owner, name):
        raise AttributeError(f"hidden.py names {path}, which does not exist")
    return owner, name


def _stub(path: str, task: str) -> Any:
    shown = path.replace(":", ".")

    def hidden(*args, **kwargs):
        _attempts.append(shown)
        raise ReferenceHidden(f"{shown} is a reference implementation, hidden while Task {task} is graded: "
                              "write it yourself")
    hidden.__name__ = path.rpartition(".")[2]
    return hidden


def hide(task: str) -> None:
    """Replace every reference of ``task`` by a stub that records the call and raises, under every
    name the engine holds it (``swap.everywhere``)."""
    for path in HIDDEN.get(task, ()):
        for owner, name, stub in everywhere(*resolve(path), _stub(path, task)):
            setattr(owner, name, stub)
