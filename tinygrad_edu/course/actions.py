"""What the child does with the student's code when the grader asks: inputs in, numbers out.

Each action takes the student's code (a ``Student``) and the request's data
(arrays and numbers), runs the code, and returns what it computed: outputs,
gradients, orders as positions, parameters. Nothing here knows the right
answer or compares anything; the grader does that with what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..lecture import computed, mlp
from ..value import Value
from . import examples, swap
from .contract import checked_function

__all__ = ["ACTIONS", "Student"]


@dataclass
class Student:
    """The student's object for the task, the plugs that put it (or every Part 1–4 part) in the engine,
    and the loaded Part 5 module."""

    symbol: str
    obj: Any
    plugs: list = field(default_factory=list)


def _grads(values: list[Value]) -> list[Any]:
    return [None if value.grad is None else np.asarray(value.grad) for value in values]


# ---------------------------------------------------------------- Parts 1 and 3: one operation, one function

def operation_gradients(student: Student, name: str, inputs: list, settings: dict, seed: Any) -> dict:
    """``name``'s graph on ``inputs`` with the student's code plugged in, then backward from ``seed``."""
    with swap.plugged(student.plugs):
        values = examples.leaves(inputs)
        root = examples.OPERATIONS[name](values, settings)
        output = np.array(root.data)
        root.backward(seed)
    return {"output": output, "grads": _grads(values + [root])}


def operation_value(student: Student, name: str, inputs: list, settings: dict) -> dict:
    with swap.plugged(student.plugs):
        return {"output": np.array(examples.OPERATIONS[name]([Value(np.array(a)) for a in inputs], settings).data)}


def function_gradients(student: Student, inputs: list, settings: dict, seed: Any) -> dict:
    """The student's function of Values (log_softmax, cross_entropy) on leaves, then backward from ``seed``."""
    values = examples.leaves(inputs)
    if student.symbol == "log_softmax":
        root = student.obj(values[0], settings["axis"])
    else:
        root = student.obj(values[0], np.array(settings["target"]))
    if not isinstance(root, Value):
        raise TypeError(f"{student.symbol} must return a Value built from its input with Value operations "
                        f"(so that backward can go through it), not a {type(root).__name__}")
    output = np.array(root.data)
    root.backward(seed)
    return {"output": output, "grads": _grads(values)}


def unbroadcast(student: Student, grad: np.ndarray, shape: list) -> dict:
    return {"output": np.asarray(checked_function(student.obj, "unbroadcast")(grad, tuple(shape)))}


# ---------------------------------------------------------------- Part 2

def _positions(order: Any, values: list[Value]) -> list[int]:
    """Each entry of the student's order as its position in ``values`` (-1: not one of them)."""
    index = {id(value): i for i, value in enumerate(values)}
    return [index.get(id(node), -1) for node in order]


def order(student: Student, graph: dict) -> dict:
    root, values = examples.Graph.from_data(graph).build()
    return {"positions": np.array(_positions(list(student.obj(root)), values), dtype=np.int64)}


def walk(student: Student, graph: dict, twice: bool) -> dict:
    """Backward through ``graph`` with the student's walk (or order) plugged in; every Value's gradient."""
    example = examples.Graph.from_data(graph)
    with swap.plugged(student.plugs):
        root, values = example.build()
        root.backward(example.seed)
        first = _grads(values)
        if twice:
            root.backward(example.seed)
    return {"grads": first, "again": _grads(values) if twice else None}


def chain_order(student: Student, length: int) -> dict:
    root, values = examples.chain(length)
    return {"positions": np.array(_positions(list(student.obj(root)), values), dtype=np.int64)}


def chain_walk(student: Student, length: int) -> dict:
    with swap.plugged(student.plugs):
        root, values = examples.chain(length)
        root.backward(np.ones(root.shape))
    return {"grad": values[0].grad}


# ---------------------------------------------------------------- the slides, with the student's part

SLIDES: dict[str, Callable[[], dict]] = {
    "backward": computed.forward_backward_values, "losses": computed.activation_and_loss_values,
    "gd": computed.gradient_descent_values, "momentum": computed.momentum_values, "nesterov": computed.nesterov_values,
}


def slide(student: Student, which: str) -> dict:
    with swap.plugged(student.plugs):
        return {"values": {key: [float(v) for v in numbers] for key, numbers in SLIDES[which]().items()}}


# ---------------------------------------------------------------- Part 4

def iterates(student: Student, run: dict, steps: int) -> dict:
    """x after each of ``steps`` of the student's rule (read-only arguments); the objective is the run's."""
    example = examples.Run.from_data(run)
    step = checked_function(student.obj, student.symbol)
    x, state, xs = example.x0.copy(), None, []
    for _ in range(steps):
        if example.rule == "gd":
            x = step(x, example.gradient(x), example.lr)
        elif example.rule == "momentum":
            x, state = step(x, np.zeros_like(x) if state is None else state, example.gradient(x), example.lr,
                            example.gamma)
        elif example.rule == "nesterov":
            x, state = step(x, np.zeros_like(x) if state is None else state, example.gradient, example.lr,
                            example.gamma)
        else:
            x, state = step(x, example.gradient(x), state, example.lr, example.gamma)
        x = np.array(x, dtype=np.float64)
        state = None if state is None else np.array(state, dtype=np.float64)
        xs.append(x)
    return {"xs": xs}


# ---------------------------------------------------------------- Part 5
# The student's Part 1–4 code is plugged in for the whole child before the Part 5 file is imported
# (child.py), so that even ``from tinygrad_edu.optim import SGD`` at its top gets the student's SGD.

def slide_sgd_step(student: Student) -> dict:
    network = mlp.slide_network()
    loss = student.obj(network.model, network.x, network.target, mlp.LEARNING_RATE)
    state = {name: np.array(array) for name, array in network.model.state_dict().items()}
    loss = loss.data if isinstance(loss, Value) else loss
    return {"loss": np.asarray(loss, dtype=np.float64), "state": state}


MADE: list = []  # every optim.SGD the student's train_iris makes, in order


def recording_sgd(base: type) -> type:
    """``optim.SGD`` (the student's, or the reference) that remembers each instance and counts its steps."""
    class SGD(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.steps = 0
            MADE.append(self)

        def step(self, closure=None):
            self.steps += 1
            return super().step(closure)
    return SGD


def train_iris(student: Student, seed: int) -> dict:
    """The student's ``train_iris(seed)``: its predictions, and the first SGD it made: its parameters
    after training and how many steps it took."""
    predictions = np.asarray(student.obj(seed))
    first = MADE[0] if MADE else None
    parameters = [] if first is None else [np.array(p.data) for g in first.param_groups for p in g["params"]]
    return {"predictions": predictions, "parameters": parameters, "steps": 0 if first is None else first.steps,
            "optimizers": len(MADE)}


def many(student: Student, requests: list) -> list:
    """Several actions in one request: ``[[action, arguments], …]`` → their answers, in order."""
    return [ACTIONS[name](student, **arguments) for name, arguments in requests]


ACTIONS: dict[str, Callable[..., Any]] = {
    "operation_gradients": operation_gradients, "operation_value": operation_value,
    "function_gradients": function_gradients, "unbroadcast": unbroadcast, "order": order, "walk": walk,
    "chain_order": chain_order, "chain_walk": chain_walk, "slide": slide, "iterates": iterates,
    "slide_sgd_step": slide_sgd_step, "train_iris": train_iris, "many": many,
}
