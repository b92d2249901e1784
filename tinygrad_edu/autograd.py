"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

``backward`` is the chain rule applied once per node, in reverse topological
order, so that a node's gradient is complete (every path to the output has
contributed) before it is passed on to the node's inputs.
"""

from __future__ import annotations

import functools

import numpy as np

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``: whether operations record the graph."""
    return _grad_enabled


class no_grad:
    """Context manager and decorator under which operations build no graph.

    Use it for evaluation and for parameter updates, which must not become part
    of the next step's graph. Nests, and restores the previous state even when
    the body raises. As in PyTorch, both ``@no_grad()`` and ``@no_grad`` decorate.
    """

    def __new__(cls, function=None):
        # ``@no_grad`` without parentheses passes the function straight in.
        instance = super().__new__(cls)
        return instance if function is None else instance(function)

    def __init__(self, function=None) -> None:
        self._previous = True

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc_info) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function):
        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)
        return without_grad


def topological_order(root) -> list:
    """Every Value that ``root`` depends on and that requires grad, inputs before outputs.

    A depth-first search with an explicit stack instead of recursion, so that a
    chain of a million operations does not hit Python's recursion limit. A node
    is appended only after everything it depends on has been appended.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._op is not None:
            for parent in node._op.parents:
                if parent._requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def backward(root, grad: np.ndarray) -> None:
    """Propagate ``grad = dL/droot`` to every node ``root`` depends on.

    Gradients from different paths are summed (the multivariable chain rule).
    A leaf accumulates into ``.grad`` across calls, as in PyTorch, so two
    ``backward()`` calls give twice the gradient. An intermediate node's
    gradient is recomputed by each call and kept on the node for display.
    """
    pending = {id(root): grad}
    for node in reversed(topological_order(root)):
        grad = pending.pop(id(node))
        if grad.dtype != node.data.dtype:  # float32 * float64 hands float64 back to the float32 input
            grad = grad.astype(node.data.dtype)
        op = node._op
        if op is None:
            node._accumulate_grad(grad)
            continue
        node._grad = grad
        for parent, parent_grad in zip(op.parents, op.backward(grad), strict=True):
            if parent_grad is None or not parent._requires_grad:
                continue
            key = id(parent)
            pending[key] = pending[key] + parent_grad if key in pending else parent_grad
