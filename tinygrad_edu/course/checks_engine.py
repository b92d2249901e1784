"""Part 2's checks: the walk's order and the walk, on random graphs and on a chain of 5,000 Values.

hypothesis draws small graphs in which Values are reused (x * x, diamonds)
and some leaves are constants (``examples.Graph``). The child sends back the
student's order as positions in the list of the graph's Values, or every
Value's gradient after the student's walk; here they are checked against the
reference's and central differences. The chain is longer than Python's
recursion limit allows a recursive walk to go, as a real network's graph is.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import autograd
from ..finite_differences import ATOL, RTOL, central_differences
from ..grad_mode import no_grad
from .checks_derivatives import check_backward_slide
from .examples import CHAIN_LENGTH, Graph, chain, text
from .runner import Child, StudentRaised
from .strategies import graphs
from .toolkit import (
    Lazy,
    Mismatch,
    Question,
    StudentError,
    expect_close,
    first_wrong_step,
    search,
)

EXAMPLES = 40
CHAIN = f"a chain of {CHAIN_LENGTH:,} Values, v0 → v1 → … → v{CHAIN_LENGTH - 1}, each made from the one before"


# ---------------------------------------------------------------- 2.1

def judge_order(positions: list[int], graph: Graph) -> None:
    """The student's order (positions in the graph's list of Values; -1 for anything else) against the rules."""
    root, values = graph.build()
    reference = autograd.topological_order(root)
    def wrong(what: str) -> Mismatch:
        names = [values[i].name if 0 <= i < len(values) else "a Value that is not one of v0 … L" for i in positions]
        expected = Lazy(lambda: f"any order of {text([node.name for node in reference])} with each Value after "
                                "its inputs")
        return Mismatch(what, graph, expected, Lazy(lambda: text(names)))

    if any(i < 0 for i in positions):
        raise wrong("your order holds a Value that is none of the graph's v0 … L (a constant, such as the 2 in "
                    "x * 2, requires no grad and is not listed)")
    seen: set[int] = set()
    for i in positions:
        if i in seen:
            raise wrong(f"{values[i].name} appears more than once in your order (a Value reached along two paths "
                        "is listed once: remember the visited ones in a set)")
        seen.add(i)
    index = {id(value): i for i, value in enumerate(values)}
    needed = {index[id(node)] for node in reference}
    for i in sorted(needed - seen):
        raise wrong(f"{values[i].name} is missing from your order")
    for i in sorted(seen - needed):
        raise wrong(f"{values[i].name} is in your order, but backward never needs it (it requires no grad)")
    place = {i: n for n, i in enumerate(positions)}
    for i in positions:
        for parent in values[i]._op.parents if values[i]._op is not None else ():
            if index.get(id(parent)) in place and place[index[id(parent)]] > place[i]:
                raise wrong(f"{values[i].name} comes before its input {parent.name}")


ORDER = Question(lambda graph: ("order", {"graph": graph.to_data()}),
                 lambda graph, got: judge_order([int(i) for i in got["positions"]], graph))


def check_chain_order(child: Child) -> None:
    try:
        positions = child.call("chain_order", length=CHAIN_LENGTH)["positions"]
    except StudentRaised as raised:
        raise StudentError(raised.info, CHAIN) from None
    if not np.array_equal(positions, np.arange(CHAIN_LENGTH)):
        raise Mismatch("on a long chain your order is not v0, v1, …, each Value once after its input", CHAIN,
                       f"v0, v1, …, v{CHAIN_LENGTH - 1}", f"{len(positions)} entries: "
                       f"{text(np.asarray(positions)[:8])} …")


def check_topological_order(child: Child) -> None:
    search(child, graphs(), ORDER, str, EXAMPLES)
    search(child, graphs(), walk_question(twice=False), str, EXAMPLES // 3)
    check_chain_order(child)
    check_backward_slide(child, "your topological_order")


# ---------------------------------------------------------------- 2.2

def walk_question(twice: bool) -> Question:
    return Question(lambda graph: ("walk", {"graph": graph.to_data(), "twice": twice}),
                    lambda graph, got: judge_walk(graph, got, twice))


def judge_walk(graph: Graph, got: dict, twice: bool) -> None:
    """Every gradient of ``graph``'s L after the student's walk (or order), against finite differences
    and the reference; with ``twice``, leaves must hold twice theirs after a second backward."""
    description = graph
    grads = got["grads"]
    root, values = graph.build()
    root.backward(graph.seed)

    def trace() -> list[str]:
        fresh_root, fresh = graph.build()
        return first_wrong_step(fresh_root, fresh, graph.seed, grads)

    # The leaves that require grad and that L depends on (the others keep grad None, as in PyTorch).
    trainable = [i for i in range(len(graph.leaves)) if values[i].grad is not None]

    def loss(leaf_arrays: list) -> float:
        with no_grad():
            return float(graph.seed * graph.build(leaf_arrays)[0].data)

    arrays = [np.array(data, dtype=np.float64) for data, _ in graph.leaves]
    numeric = [central_differences(lambda: loss(arrays), array) for array in arrays]
    for i in trainable:
        expect_close(f"dL/dv{i} disagrees with central finite differences", description, numeric[i], grads[i],
                     RTOL, ATOL, trace, label=f"dL/dv{i}")
    for value, got_grad in zip(values, grads, strict=True):
        if value.grad is not None:
            expect_close(f"dL/d{value.name} differs from the reference (rtol 1e-6)", description, value.grad,
                         got_grad, more=trace, label=f"dL/d{value.name}")
        elif got_grad is not None:
            raise Mismatch(f"{value.name} got a gradient, but it requires no grad or L does not depend on it",
                           description, f"dL/d{value.name} = None", f"dL/d{value.name} = {text(got_grad)}")
    if twice:
        for i in trainable:
            expect_close(f"after a second L.backward(), dL/dv{i} is not twice the gradient (leaves accumulate)",
                         description, 2 * values[i].grad, got["again"][i], label=f"dL/dv{i}")


@functools.cache
def chain_gradient() -> np.ndarray:
    root, values = chain()
    root.backward(np.ones(root.shape))
    return values[0].grad


def check_chain_walk(child: Child) -> None:
    try:
        got = child.call("chain_walk", length=CHAIN_LENGTH)["grad"]
    except StudentRaised as raised:
        raise StudentError(raised.info, CHAIN + "; L.backward(ones)") from None
    expect_close("on a long chain dL/dv0 differs from the reference (rtol 1e-6)", CHAIN + "; L.backward(ones)",
                 chain_gradient(), got, label="dL/dv0")


def check_backward(child: Child) -> None:
    search(child, graphs(), walk_question(twice=True), str, EXAMPLES)
    check_chain_walk(child)
    check_backward_slide(child, "your backward")


CHECKS = {"2.1": check_topological_order, "2.2": check_backward}
