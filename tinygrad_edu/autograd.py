"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

``chain_rule`` is the chain rule applied once per node, in reverse
topological order, so that a node's gradient is complete (every path to the
output has contributed) before it is passed on to the node's inputs;
``backward`` runs it storing the gradients, ``backward_steps`` running it
without storing them, for the trace. ``topological_order`` is the one
walk of the graph: backward, the trace, the picture and the page all use it,
and ``node_ids`` names its nodes ``v0, v1, …`` for all of them. Grad mode
(``no_grad``) lives in ``grad_mode.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Grad mode has a module of its own; its names are part of autograd's, as in torch.autograd.
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401


def topological_order(root, every_value: bool = False) -> list:
    """Every Value that ``root`` depends on, inputs before outputs, ``root`` last.

    By default only the Values that require grad: what backward visits. With
    ``every_value=True`` also those that do not (the input x, the constant 1 in
    ``1 - y``), which the pictures draw. A Value that does not require grad is
    always a leaf (an operation's output requires grad), so the short order is the
    long one with those leaves left out, and both number the nodes alike
    (``node_ids``).

    A depth-first search with an explicit stack instead of recursion, so that a
    chain of a million operations does not hit Python's recursion limit. A node
    is seen twice: first its inputs are pushed above it, and when it is back on
    top of the stack, everything it depends on is in ``order``, so it joins.
    (In a graph without cycles, an input that is already seen is already in
    ``order``.) The stack holds bare Values, and the sets hold the Values
    themselves, which hash by identity: see benchmarks/README.md for what each
    choice saves.
    """
    order, seen, done = [], set(), set()
    stack = [root]
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
            # The second input is pushed first, so that the first comes off the stack, and
            # into ``order``, first. (The two slots, not ``op.parents``: no tuple per node.)
            second, first = op._second_input, op._first_input
            if second is not None and (second._requires_grad or every_value) and second not in seen:
                stack.append(second)
            if (first._requires_grad or every_value) and first not in seen:
                stack.append(first)
    return order


def check_versions(node, op) -> None:
    """Raise if a Value whose data ``op.backward`` reads was changed in place after ``op`` was recorded.

    Each in-place change bumps the Value's ``_version`` (value.py's ``+=``, the
    optimizers' steps), and ``op.versions`` holds its first and last input's
    versions from when it was recorded (``first << 64 | last``, see recording.py);
    an output is born at version 0. The gradient of an input
    that does not require grad is not computed, so what only it reads may change.
    """
    for needed, reads in zip(op.needs_input_grad, op.saved, strict=True):
        if not needed:
            continue
        for position in reads:
            value = node if position < 0 else op.parents[position]
            expected = 0 if position < 0 else (op.versions >> 64, op.versions & (1 << 64) - 1)[position]
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


def chain_rule(root, grad: np.ndarray, pending: dict | None = None, visit: Callable | None = None) -> None:
    """The chain rule, one node at a time, for every node ``root`` depends on that
    requires grad, from ``root`` back to the leaves.

    Each node's ``grad`` is the whole dL/d(node): the nodes come in reverse
    topological order, so every path from the node to ``root`` has contributed
    before its turn. Its operation's ``backward`` turns it into one gradient (or
    None) per input, which are sent on: a gradient reaching a node along several
    paths is summed there (the multivariable chain rule).

    With ``visit`` None the gradients are stored, which is ``backward``. Otherwise
    nothing is stored and ``visit(node, grad, input_grads)`` is called for each
    node instead, before its gradients are sent on (``input_grads`` None for a
    leaf): ``backward_steps`` collects those calls for ``viz.trace``. One loop
    for both, and no generator: ``backward`` runs it once per node, and a yield
    per node cost a fifth of a small backward (benchmarks/README.md).

    ``pending`` maps a node to the sum of the gradients its consumers have sent
    so far (keyed by the Value itself, which hashes by identity). A caller may
    pass its own dict to watch the sums being made.
    """
    pending = {} if pending is None else pending
    pending[root] = grad
    for node in reversed(topological_order(root)):
        grad = pending.pop(node, None)
        if grad is None:  # given requires_grad after it was used: no operation sends it a gradient
            continue
        dtype = node.data.dtype
        # float32 * float64 hands float64 back to the float32 input. (``is`` first: numpy's
        # dtypes are shared objects, and the identity test is cheaper than ``!=``.)
        if grad.dtype is not dtype and grad.dtype != dtype:
            grad = grad.astype(dtype)
        op = node._op
        if op is None:
            if visit is None:
                node._accumulate_grad(grad)
            else:
                visit(node, grad, None)
            continue
        # The versions now against those recorded, inline: this runs for every node, and
        # almost always nothing has changed (check_versions then finds what has, and raises).
        # (``op.parents`` written out from its two slots: a property call less per node.)
        first, second = op._first_input, op._second_input
        parents = (first,) if second is None else (first, second)
        if op.saved and (node._version or op.versions != first._version << 64 | parents[-1]._version):
            check_versions(node, op)  # as value.apply records them (recording.py)
        input_grads = op.backward(grad)
        if visit is None:
            # Ops on 0-d data compute with numpy scalars (faster, see value.apply); what a
            # learner reads back from ``.grad`` is still an array, 0-d for a scalar.
            node._grad = grad if type(grad) is np.ndarray else np.asarray(grad)
        else:
            visit(node, grad, input_grads)
        for parent, parent_grad, needed in zip(parents, input_grads, op.needs_input_grad, strict=True):
            # Only where the operation recorded that a gradient is needed (an input given
            # requires_grad later gets none, as in PyTorch) and still is (one that dropped it, neither).
            if parent_grad is None or not needed or not parent._requires_grad:
                continue
            pending[parent] = pending[parent] + parent_grad if parent in pending else parent_grad


def backward_steps(root, grad: np.ndarray, pending: dict | None = None) -> list[tuple]:
    """``chain_rule``'s steps without storing anything: ``(node, grad, input_grads)``
    for each node, in the order they are taken (``input_grads`` None for a leaf).
    ``viz.trace.trace_backward`` writes them out."""
    steps: list[tuple] = []
    chain_rule(root, grad, pending, lambda node, node_grad, input_grads: steps.append((node, node_grad, input_grads)))
    return steps


def backward(root, grad: np.ndarray) -> None:
    """Propagate ``grad = dL/droot`` to every node ``root`` depends on, and store it.

    A leaf accumulates into ``.grad`` across calls, as in PyTorch, so two
    ``backward()`` calls give twice the gradient. An intermediate node's
    gradient is recomputed by each call and kept on the node for display.
    """
    chain_rule(root, grad)
