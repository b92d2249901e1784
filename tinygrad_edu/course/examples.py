"""What a check's example is, as plain data, and how it becomes Values.

Both sides use this module. The grader draws an example (hypothesis), sends
it to the child as data, and builds the same graph with the reference engine;
the child builds it with the student's code plugged in. Since both build it
with the same function, the two graphs pair up node for node, and a list of
gradients in creation order is all the child sends back.

Nothing here compares or judges: that happens only in the grader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..nn import functional
from ..value import Value

__all__ = ["CHAIN_LENGTH", "OPERATIONS", "Graph", "Run", "chain", "leaves", "text"]


# ---------------------------------------------------------------- Part 1 and 3.1: one operation

OPERATIONS: dict[str, Callable[[list, dict], Value]] = {
    "Mul": lambda v, s: v[0] * v[1],
    "Div": lambda v, s: v[0] / v[1],
    "Pow": lambda v, s: v[0] ** v[1],
    "Exp": lambda v, s: v[0].exp(),
    "Log": lambda v, s: v[0].log(),
    "Sigmoid": lambda v, s: v[0].sigmoid(),
    "Tanh": lambda v, s: v[0].tanh(),
    "Relu": lambda v, s: v[0].relu(),
    "MatMul": lambda v, s: v[0] @ v[1],
    "Sum": lambda v, s: v[0].sum(axis=s["axis"], keepdims=s["keepdims"]),
    "Mean": lambda v, s: v[0].mean(axis=s["axis"], keepdims=s["keepdims"]),
    "BinaryCrossEntropy": lambda v, s: functional.binary_cross_entropy(v[0], s["y"]),
}


def leaves(arrays: list[np.ndarray], names: list[str] | None = None) -> list[Value]:
    """Leaves that require grad, on copies of ``arrays`` (so that nothing is shared with the caller)."""
    names = names or [None] * len(arrays)
    return [Value(np.array(a, copy=True), requires_grad=True, name=n) for a, n in zip(arrays, names, strict=True)]


# ---------------------------------------------------------------- Part 2: small graphs and a long chain

BINARY = {"add": "+", "sub": "-", "mul": "*"}
UNARY = ("tanh", "sigmoid")


@dataclass
class Graph:
    """Leaves (data, requires grad), then steps (operation, second operand's index), then L = sum.

    Each step's first operand is the Value made just before it; the second,
    any earlier Value, so that Values are reused (x * x, diamonds). The Values
    are named v0, v1, … in the order they are made, L last.
    """

    leaves: list[tuple[np.ndarray, bool]]
    steps: list[tuple[str, int]]
    seed: np.ndarray

    def build(self, arrays: list[np.ndarray] | None = None) -> tuple[Value, list[Value]]:
        """L and every Value, v0 first and L last; ``arrays`` replaces the leaves' data (for finite differences)."""
        values = [Value(np.array(data if arrays is None else arrays[i], copy=True), requires_grad=grad, name=f"v{i}")
                  for i, (data, grad) in enumerate(self.leaves)]
        for kind, other in self.steps:
            last = values[-1]
            out = getattr(last, kind)() if kind in UNARY else getattr(last, f"__{kind}__")(values[other])
            out.name = f"v{len(values)}"
            values.append(out)
        root = values[-1].sum()
        root.name = "L"
        return root, values + [root]

    def to_data(self) -> dict:
        return {"leaves": [[data, grad] for data, grad in self.leaves], "steps": [list(s) for s in self.steps],
                "seed": self.seed}

    @classmethod
    def from_data(cls, data: dict) -> Graph:
        return cls([(np.asarray(a, dtype=np.float64), bool(g)) for a, g in data["leaves"]],
                   [(str(kind), int(other)) for kind, other in data["steps"]], np.asarray(data["seed"]))

    def __str__(self) -> str:
        lines = [f"v{i} = {text(data)}" + (" (requires grad)" if grad else " (a constant)")
                 for i, (data, grad) in enumerate(self.leaves)]
        for number, (kind, other) in enumerate(self.steps, start=len(self.leaves)):
            last = f"v{number - 1}"
            made = f"{kind}({last})" if kind in UNARY else f"{last} {BINARY[kind]} v{other}"
            lines.append(f"v{number} = {made}")
        last = len(self.leaves) + len(self.steps) - 1
        return "; ".join(lines + [f"L = sum(v{last})", f"L.backward({text(self.seed)}) (the gradient the walk "
                                                        "starts from at L; 1 when L is the loss itself)"])


CHAIN_LENGTH = 5000  # Values in the chain: Python's recursion limit is about 1,000 calls


def chain(length: int = CHAIN_LENGTH) -> tuple[Value, list[Value]]:
    """x, then ``length − 1`` operations each on the one before (× 1.0001, + 0.5 in turn); the last is the root.

    dL/dx = 1.0001 ** (the number of products): about 1.28, a number a wrong walk does not hit by chance.
    """
    values = [Value(np.array([0.5, -0.25]), requires_grad=True, name="v0")]
    for index in range(1, length):
        values.append(values[-1] * 1.0001 if index % 2 else values[-1] + 0.5)
        values[-1].name = f"v{index}"
    return values[-1], values


# ---------------------------------------------------------------- Part 4: a few steps of an update rule

@dataclass
class Run:
    """A start x₀, the objective's gradient f'(x) = c·(x − t) + x³/10 elementwise, and the rule's settings.

    The gradient changes from point to point, so a Nesterov step that looks in
    the wrong place shows.
    """

    rule: str
    x0: np.ndarray
    c: np.ndarray
    t: np.ndarray
    lr: float
    gamma: float

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self.c * (np.asarray(x, dtype=np.float64) - self.t) + np.asarray(x, dtype=np.float64) ** 3 / 10

    def to_data(self) -> dict:
        return {"rule": self.rule, "x0": self.x0, "c": self.c, "t": self.t, "lr": self.lr, "gamma": self.gamma}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Run:
        return cls(str(data["rule"]), *(np.asarray(data[k], dtype=np.float64) for k in ("x0", "c", "t")),
                   float(data["lr"]), float(data["gamma"]))


def text(value: Any) -> str:
    """An array or number on one line, with enough digits to tell the difference."""
    if isinstance(value, str):
        return value
    if value is None:
        return "None"
    array = np.asarray(value)
    if not array.ndim:
        return f"{array.item():.8g}"
    return "".join(np.array2string(array, separator=", ", precision=8, max_line_width=10_000).splitlines())
