"""Reverse-mode differentiation: the chain rule, from the output back to the leaves.

``backpropagate`` is the algorithm as the lesson writes it. ``topological_order`` is the
one walk of the graph that it, the trace, the picture and the page all share, and
``node_ids`` names its nodes ``v0, v1, …`` for all of them. ``on_values`` is what lets the
same walk build a graph of the gradient itself (``create_graph``: derivatives of
derivatives). Below the fence, ``backward`` (what a plain ``Value.backward()`` calls) runs
the first-order walk tuned, with the same gradients bit for bit (tests/test_backward_walks.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ..arrays_or_values import cast
from ..ops import Function


def backpropagate(root, grad, create_graph: bool = False, inputs=None) -> dict:
    """Give every node ``root`` depends on its gradient dL/d(node), starting from ``grad`` = dL/d(root).

    The nodes come in reverse topological order, so a node's gradient is complete (every
    path from it to ``root`` has sent its share) before its operation's ``backward`` turns
    it into one gradient per input; gradients reaching a node along several paths add up.
    A leaf adds its gradient to ``.grad``; any other node keeps its own, for display.

    ``autograd.grad`` names ``inputs`` (a set of Values): their gradients are returned, and
    nothing is stored; its outputs are the roots (``root`` and ``grad`` are tuples then: one walk
    for all). With ``create_graph``, the gradients are Values and every operation's ``backward``
    computes on Values (``on_values``), so each gradient is a Value with a graph.
    """
    roots, seeds = (root, grad) if isinstance(root, tuple) else ((root,), (grad,))
    grads = {}  # dL/d(node), summed over the paths seen so far
    for node, seed in zip(roots, seeds, strict=True):
        grads[node] = grads[node] + seed if node in grads else seed
    wanted = {}
    for node in reversed(topological_order(*roots)):
        if node not in grads:  # given requires_grad after it was used: no operation sends it one
            continue
        grad, op = cast(grads.pop(node), node.dtype), node._op  # float32 · float64 sends float64 back
        if inputs is not None:
            if node in inputs:
                wanted[node] = grad
        elif op is None:
            node._accumulate_grad(grad)  # a leaf: .grad adds up over backward() calls
        else:
            node._keep_grad(grad)
        if op is None:
            continue
        check_versions(node, op)
        if create_graph:
            op = on_values(op, node)
        for parent, parent_grad, needed in zip(op.parents, op.backward(grad), op.needs_input_grad, strict=True):
            if parent_grad is not None and needed and parent.requires_grad:  # as recorded, and still
                grads[parent] = grads[parent] + parent_grad if parent in grads else parent_grad
    return wanted


def on_values(op: Function, output) -> Function:
    """``op`` made ready to differentiate its own derivative: a copy in which each attribute that
    ``op.keeps`` names holds the input Value (by position) or the output Value (-1) instead of its
    array, so that ``backward`` computes with Values and records what it computes.

    Only the class that writes ``backward`` may say what it keeps: a subclass that writes its own
    ``backward`` (a learner's numpy operation, a student's Part 1 answer) may compute with arrays
    alone, and would drop the second-order terms without a word. It is refused instead.
    """
    writer = next(cls for cls in type(op).__mro__ if "backward" in vars(cls))
    if "keeps" not in vars(writer):
        raise RuntimeError(
            f"create_graph: the operation {type(op).__name__} ({op.name}) cannot be differentiated twice: "
            f"{writer.__name__}.backward does not declare which of its attributes hold its inputs and output "
            f"(keeps), so it may compute on numpy arrays only. Write its backward with operators and ops' "
            f"functions (exp, log, where, …) and declare keeps, as every operation in tinygrad_edu.ops does")
    values = copy.copy(op)
    for attribute, position in op.keeps.items():
        setattr(values, attribute, output if position < 0 else op.parents[position])
    return values


def topological_order(*roots, every_value: bool = False) -> list:
    """Every Value that ``root`` depends on, inputs before outputs, ``root`` last: those that require
    grad (what backward visits) or, with ``every_value=True``, also the constants the pictures draw.
    A Value that does not require grad is a leaf, so both orders number the nodes alike (``node_ids``).
    (Given several roots, every Value that one of them depends on, for ``autograd.grad``.)

    A depth-first search with a stack, not recursion, so that a chain of a million operations does
    not hit Python's recursion limit. A node is seen twice: first it pushes its inputs; back on top
    of the stack, with everything it depends on in ``order``, it joins.
    """
    order, seen, done = [], set(), set()
    stack = list(roots)
    while stack:
        node = stack[-1]
        if node in seen:  # the second time: its inputs are done
            stack.pop()
            if node not in done:  # a node pushed by two consumers joins once
                done.add(node)
                order.append(node)
            continue
        seen.add(node)
        op = node._op
        if op is not None:
            # The second input is pushed first, so that the first comes off the stack, and into ``order``,
            # first. speed: the two input slots (recording.py), not ``op.parents``; see benchmarks/README.md.
            second, first = op._second_input, op._first_input
            if op.versions != first._version << 64 | (first if second is None else second)._version:
                first, second = (*op.parents, None)[:2]  # an input given new history since (recording.py)
            if second is not None and (second._requires_grad or every_value) and second not in seen:
                stack.append(second)
            if (first._requires_grad or every_value) and first not in seen:
                stack.append(first)
    return order


def check_versions(node, op) -> None:
    """Raise if ``op.backward`` would read a Value changed in place since ``op`` was recorded: one whose
    ``_version`` (bumped by every in-place change) is not the recorded one (recording.py; an output is
    born at version 0). Only what the needed gradients read is checked; add's backward reads nothing.
    """
    for needed, reads in zip(op.needs_input_grad, op.saved or ((),) * len(op.needs_input_grad), strict=True):
        if not needed:
            continue
        for position in reads:
            value = node if position < 0 else op.parents[position]
            expected = 0 if position < 0 else op.recorded_version(position)
            if value._version != expected:
                role = "output" if position < 0 else f"input {position + 1}"
                name = f" {value.name!r}" if value.name else ""
                raise RuntimeError(
                    f"backward: one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: the {role} of {op.name}, a Value{name} of shape {value.shape} and dtype "
                    f"{value.dtype}, is at version {value._version}, expected version {expected}. Compute the "
                    f"graph again after changing it, or change a copy (x = x + 1 instead of x += 1)")


def node_ids(root) -> dict:
    """The names every picture and trace gives the Values of ``root``'s graph:
    ``v0, v1, …`` in ``topological_order(root, every_value=True)``, keyed by the Value.

    The dict's keys are that order, so it is also the list of Values to draw. The
    same graph built twice gets the same ids, so pictures and traces can be compared.
    """
    return {value: f"v{index}" for index, value in enumerate(topological_order(root, every_value=True))}


# speed: ``backpropagate`` with no tuple or method call per node and one loop for the trace; see benchmarks/README.md

def backward(root, grad: np.ndarray) -> None:
    """``backpropagate(root, grad)``, tuned: what ``Value.backward`` runs."""
    chain_rule(root, grad)


def backward_steps(root, grad: np.ndarray, pending: dict | None = None) -> list[tuple]:
    """``chain_rule``'s steps without storing anything: ``(node, grad, input_grads)``
    for each node, in the order they are taken (``input_grads`` None for a leaf).
    ``viz.trace.trace_backward`` writes them out."""
    steps: list[tuple] = []
    chain_rule(root, grad, pending, lambda node, node_grad, input_grads: steps.append((node, node_grad, input_grads)))
    return steps


def chain_rule(root, grad: np.ndarray, pending: dict | None = None, visit: Callable | None = None) -> None:
    """``backpropagate``'s walk, the same steps in the same order, for ``backward`` and the trace.

    With ``visit`` None the gradients are stored, as ``backpropagate`` stores them.
    Otherwise nothing is stored and ``visit(node, grad, input_grads)`` is called for each
    node instead, before its gradients are sent on (``input_grads`` None for a leaf):
    ``backward_steps`` collects those calls for ``viz.trace``. ``pending`` is
    ``backpropagate``'s ``grads``; a caller may pass its own dict to watch the sums being made.

    What it does that ``backpropagate`` does not write out, for speed: the node's dtype
    tested by identity first; the two input slots and the version stamp read directly
    (recording.py), so ``check_versions`` and ``op.parents`` run only when a version has
    changed; one loop, not a generator, for ``backward`` and the trace.
    """
    pending = {} if pending is None else pending
    pending[root] = grad
    for node in reversed(topological_order(root)):
        grad = pending.pop(node, None)
        if grad is None:  # given requires_grad after it was used: no operation sends it a gradient
            continue
        dtype = node.data.dtype
        if grad.dtype is not dtype and grad.dtype != dtype:  # float32 · float64 sends float64 back
            grad = grad.astype(dtype)
        op = node._op
        if op is None:
            if visit is None:
                node._accumulate_grad(grad)
            else:
                visit(node, grad, None)
            continue
        first, second = op._first_input, op._second_input
        parents = (first,) if second is None else (first, second)
        if op.versions != first._version << 64 | parents[-1]._version or (op.saved and node._version):
            check_versions(node, op)  # something changed in place: raise if backward reads it,
            parents = op.parents  # and follow an input given new history since back (recording.py)
        input_grads = op.backward(grad)
        if visit is None:
            node._grad = grad if type(grad) is np.ndarray else np.asarray(grad)  # as Value._keep_grad keeps it
        else:
            visit(node, grad, input_grads)
        for parent, parent_grad, needed in zip(parents, input_grads, op.needs_input_grad, strict=True):
            # Only where the operation recorded that a gradient is needed (an input given
            # requires_grad later gets none, as in PyTorch) and still is (one that dropped it, neither).
            if parent_grad is None or not needed or not parent._requires_grad:
                continue
            pending[parent] = pending[parent] + parent_grad if parent in pending else parent_grad
