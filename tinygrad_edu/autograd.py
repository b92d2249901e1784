"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

``backward`` is the chain rule applied once per node, in reverse topological
order, so that a node's gradient is complete (every path to the output has
contributed) before it is passed on to the node's inputs.
"""

from __future__ import annotations

import numpy as np

# Grad mode has a module of its own; its names are part of autograd's, as in torch.autograd.
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401


def topological_order(root) -> list:
    """Every Value that ``root`` depends on through inputs that required grad when recorded,
    inputs before outputs.

    A depth-first search with an explicit stack instead of recursion, so that a
    chain of a million operations does not hit Python's recursion limit. A node
    is seen twice: first its inputs are pushed above it, and when it is back on
    top of the stack, everything it depends on is in ``order``, so it joins.
    (In a graph without cycles, an input that is already seen is already in
    ``order``.) The stack holds bare Values, not (node, flag) pairs: a million
    live tuples would keep Python's cyclic garbage collector busy.

    The sets hold the Values themselves: a Value hashes by identity, and that
    is twice as fast as keying by ``id(node)`` (this loop runs once per node).
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
        if node._op is not None:
            # What the operation recorded, not today's flag: an input that had no
            # requires_grad then gets no gradient now (PyTorch's rule, too).
            for parent, needed in zip(node._op.parents, node._op.needs_input_grad, strict=True):
                if needed and parent not in seen:
                    stack.append(parent)
    return order


def check_versions(node, op) -> None:
    """Raise if a Value whose data ``op.backward`` reads was changed in place after ``op`` was recorded.

    Each in-place change bumps the Value's ``_version`` (value.py's ``+=``, the
    optimizers' steps), and ``op.versions`` holds its inputs' versions from when
    it was recorded; an output is born at version 0. The gradient of an input
    that does not require grad is not computed, so what only it reads may change.
    """
    for needed, reads in zip(op.needs_input_grad, op.saved, strict=True):
        if not needed:
            continue
        for position in reads:
            value = node if position < 0 else op.parents[position]
            expected = 0 if position < 0 else op.versions[position]
            if value._version != expected:
                role = "output" if position < 0 else f"input {position + 1}"
                name = f" {value.name!r}" if value.name else ""
                raise RuntimeError(
                    f"backward: one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: the {role} of {op.name}, a Value{name} of shape {value.shape} and dtype "
                    f"{value.dtype}, is at version {value._version}, expected version {expected}. Compute the "
                    f"graph again after changing it, or change a copy (x = x + 1 instead of x += 1)")


def backward(root, grad: np.ndarray) -> None:
    """Propagate ``grad = dL/droot`` to every node ``root`` depends on.

    Gradients from different paths are summed (the multivariable chain rule).
    A leaf accumulates into ``.grad`` across calls, as in PyTorch, so two
    ``backward()`` calls give twice the gradient. An intermediate node's
    gradient is recomputed by each call and kept on the node for display.

    ``pending`` maps a node to the sum of the gradients its consumers have sent
    so far (keyed by the Value itself, which hashes by identity).
    """
    pending = {root: grad}
    for node in reversed(topological_order(root)):
        grad = pending.pop(node)
        dtype = node.data.dtype
        # float32 * float64 hands float64 back to the float32 input. (``is`` first: numpy's
        # dtypes are shared objects, and the identity test is cheaper than ``!=``.)
        if grad.dtype is not dtype and grad.dtype != dtype:
            grad = grad.astype(dtype)
        op = node._op
        if op is None:
            node._accumulate_grad(grad)
            continue
        # The versions now against those recorded, inline: this runs for every node, and
        # almost always nothing has changed (check_versions then finds what has, and raises).
        if op.saved:
            first, second = op._first_input, op._second_input
            last = first if second is None else second  # value.apply records (first, last) likewise
            if node._version or op.versions != (first._version, last._version):
                check_versions(node, op)
        # Ops on 0-d data compute with numpy scalars (faster, see value.apply); what a
        # learner reads back from ``.grad`` is still an array, 0-d for a scalar.
        node._grad = grad if type(grad) is np.ndarray else np.asarray(grad)
        for parent, parent_grad, needed in zip(op.parents, op.backward(grad), op.needs_input_grad, strict=True):
            if parent_grad is None or not needed:
                continue
            pending[parent] = pending[parent] + parent_grad if parent in pending else parent_grad
