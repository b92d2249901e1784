"""Part 2's checks: the walk's order and the walk, on random graphs.

hypothesis draws small graphs: a few leaves (the last requires grad, the
others may be constants), then a chain of operations whose second operand is
any earlier Value, so that Values are reused (x * x, diamonds), and a sum at
the end. Values are named v0, v1, … in the order they are made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import autograd
from ..autograd import no_grad
from ..value import Value
from . import plugin
from .checks_derivatives import arrays, check_backward_slide, floats
from .grading import FD_ATOL, FD_RTOL, Mismatch, expect_close, first_wrong_step, numeric_gradients, search, text

EXAMPLES = 40
BINARY = {"add": "+", "sub": "-", "mul": "*"}
UNARY = ("tanh", "sigmoid")


@dataclass
class Graph:
    """Leaves (data, requires grad), then steps (operation, second operand's index), then L = sum.

    Each step's first operand is the Value made just before it."""

    leaves: list[tuple[np.ndarray, bool]]
    steps: list[tuple[str, int]]
    seed: np.ndarray

    def build(self, arrays: list[np.ndarray] | None = None) -> tuple[Value, list[Value]]:
        """L and every Value, v0 first; ``arrays`` replaces the leaves' data (for finite differences)."""
        values = [Value((data if arrays is None else arrays[i]).copy(), requires_grad=grad, name=f"v{i}")
                  for i, (data, grad) in enumerate(self.leaves)]
        for kind, other in self.steps:
            last = values[-1]
            out = getattr(last, kind)() if kind in UNARY else getattr(last, f"__{kind}__")(values[other])
            out.name = f"v{len(values)}"
            values.append(out)
        root = values[-1].sum()
        root.name = "L"
        return root, values

    def __str__(self) -> str:
        lines = [f"v{i} = {text(data)}" + (" (requires grad)" if grad else " (constant)")
                 for i, (data, grad) in enumerate(self.leaves)]
        for number, (kind, other) in enumerate(self.steps, start=len(self.leaves)):
            last = f"v{number - 1}"
            made = f"{kind}({last})" if kind in UNARY else f"{last} {BINARY[kind]} v{other}"
            lines.append(f"v{number} = {made}")
        return "; ".join(lines + [f"L = sum(v{len(self.leaves) + len(self.steps) - 1})",
                                  f"L.backward({text(self.seed)})"])


@st.composite
def graphs(draw) -> Graph:
    count = draw(st.integers(1, 3))
    # The last leaf requires grad and starts the chain of operations, so L always depends on it.
    leaves = [(draw(arrays((2,), floats(-2, 2))), i == count - 1 or draw(st.booleans())) for i in range(count)]
    steps = []
    for number in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from((*BINARY, *UNARY)))
        steps.append((kind, draw(st.integers(0, count + number - 1))))
    return Graph(leaves, steps, np.array(draw(floats(-2, 2))))


# ---------------------------------------------------------------- 2.1

def check_order(student: Callable, graph: Graph) -> None:
    root, _ = graph.build()
    reference = plugin.REFERENCE["topological_order"](root)
    order = list(student(root))
    names = [getattr(node, "name", repr(node)) for node in order]
    expected = text([node.name for node in reference])

    def wrong(what: str) -> Mismatch:
        return Mismatch(what, str(graph), f"any order of {expected} with each Value after its inputs",
                        text(names))

    # Values compare elementwise (==), so membership is tested by identity.
    counts = {}
    for node in order:
        counts[id(node)] = counts.get(id(node), 0) + 1
        if counts[id(node)] > 1:
            raise wrong(f"{node.name} appears more than once in your order")
    for node in reference:
        if id(node) not in counts:
            raise wrong(f"{node.name} is missing from your order")
    needed = {id(node) for node in reference}
    for node in order:
        if id(node) not in needed:
            raise wrong(f"{node.name} is in your order, but backward never needs it (it requires no grad)")
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node._op.parents if node._op is not None else ():
            if id(parent) in position and position[id(parent)] > position[id(node)]:
                raise wrong(f"{node.name} comes before its input {parent.name}")


def check_topological_order(student: Callable, directory: Any) -> None:
    search(graphs(), lambda graph: check_order(student, graph), str, EXAMPLES)
    plugs = [(autograd, "topological_order", plugin.order_adapter(student))]
    search(graphs(), lambda graph: check_walk(graph, plugs, twice=False), str, EXAMPLES // 3)
    check_backward_slide(plugs, "your topological_order")


# ---------------------------------------------------------------- 2.2

def check_walk(graph: Graph, plugs: list, twice: bool) -> None:
    """Every gradient of ``graph``'s L with ``plugs`` in, against finite differences and the reference."""
    description = str(graph)
    with plugin.plugged(plugs):
        root, values = graph.build()
        root.backward(graph.seed)
    reference_root, reference_values = graph.build()
    reference_root.backward(graph.seed)

    def trace() -> list[str]:
        return first_wrong_step(lambda: graph.build()[0], graph.seed, root)

    # The leaves that require grad and that L depends on (the others keep grad None, as in PyTorch).
    trainable = [i for i in range(len(graph.leaves)) if reference_values[i].grad is not None]

    def loss(leaf_arrays: list) -> float:
        with no_grad():
            return float(graph.seed * graph.build(leaf_arrays)[0].data)

    numeric = numeric_gradients(loss, [data.copy() for data, _ in graph.leaves])
    for i in trainable:
        expect_close(f"dL/dv{i} disagrees with central finite differences", description, numeric[i],
                     values[i].grad, FD_RTOL, FD_ATOL, trace)
    for value, reference in zip(values, reference_values, strict=True):
        if reference.grad is not None:
            expect_close(f"dL/d{value.name} differs from the reference (rtol 1e-6)", description, reference.grad,
                         value.grad, more=trace)
        elif value.grad is not None:
            raise Mismatch(f"{value.name} got a gradient, but it requires no grad or L does not depend on it",
                           description, "None", text(value.grad))
    if twice:
        with plugin.plugged(plugs):
            root.backward(graph.seed)
        for i in trainable:
            expect_close(f"after a second L.backward(), dL/dv{i} is not twice the gradient (leaves accumulate)",
                         description, 2 * reference_values[i].grad, values[i].grad)


def check_backward(student: Callable, directory: Any) -> None:
    plugs = [(autograd, "backward", student)]
    search(graphs(), lambda graph: check_walk(graph, plugs, twice=True), str, EXAMPLES)
    check_backward_slide(plugs, "your backward")


CHECKS = {"2.1": check_topological_order, "2.2": check_backward}
