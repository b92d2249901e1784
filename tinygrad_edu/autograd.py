"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

``backward_steps`` is the chain rule applied once per node, in reverse
topological order, so that a node's gradient is complete (every path to the
output has contributed) before it is passed on to the node's inputs;
``backward`` stores the gradients it yields. ``topological_order`` is the one
walk of the graph: backward, the trace, the picture and the page all use it,
and ``node_ids`` names its nodes ``v0, v1, …`` for all of them. Grad mode
(``no_grad``) comes first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether operations record the graph: True unless inside ``no_grad()``."""
    return _grad_enabled


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off.

    Nests, and restores the previous state even when the body raises.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = True

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc_info) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function):
        mode = self.mode

        @functools.wraps(function)
        def with_grad_mode(*args, **kwargs):
            with set_grad_enabled(mode):  # a fresh context per call, so recursion and threads nest
                return function(*args, **kwargs)
        return with_grad_mode


class no_grad(set_grad_enabled):
    """Build no graph: for evaluation and for parameter updates, which must not
    become part of the next step's graph. As in PyTorch, ``with no_grad():``,
    ``@no_grad()`` and ``@no_grad`` all work.
    """

    def __new__(cls, function=None):
        # ``@no_grad`` without parentheses passes the function straight in.
        instance = super().__new__(cls)
        return instance if function is None else set_grad_enabled(False)(function)

    def __init__(self, function=None) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph even inside ``no_grad``: an optimizer's ``step(closure)``
    uses it so that the closure's ``backward()`` works wherever step is called."""

    def __new__(cls, function=None):
        instance = super().__new__(cls)
        return instance if function is None else set_grad_enabled(True)(function)

    def __init__(self, function=None) -> None:
        super().__init__(True)


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
        if node._op is not None:
            # Reversed, so that the first input comes off the stack, and into ``order``, first.
            for parent in reversed(node._op.parents):
                if (parent._requires_grad or every_value) and parent not in seen:
                    stack.append(parent)
    return order


def node_ids(root) -> dict:
    """The names every picture and trace gives the Values of ``root``'s graph:
    ``v0, v1, …`` in ``topological_order(root, every_value=True)``, keyed by the Value.

    The dict's keys are that order, so it is also the list of Values to draw. The
    same graph built twice gets the same ids, so pictures and traces can be compared.
    """
    return {value: f"v{index}" for index, value in enumerate(topological_order(root, every_value=True))}


def backward_steps(root, grad: np.ndarray, pending: dict | None = None) -> Iterator[tuple]:
    """The chain rule, one node at a time: yields ``(node, grad, input_grads)`` for
    every node ``root`` depends on that requires grad, from ``root`` back to the leaves.

    ``grad`` is the whole dL/d(node): the nodes come in reverse topological order,
    so every path from the node to ``root`` has contributed before its turn.
    ``input_grads`` is what the node's operation's ``backward`` returned, one
    gradient (or None) per input, and None for a leaf. After the yield they are
    sent on: a gradient reaching a node along several paths is summed there (the
    multivariable chain rule). ``backward`` stores what this yields;
    ``viz.trace.trace_backward`` writes it out.

    ``pending`` maps a node to the sum of the gradients its consumers have sent
    so far (keyed by the Value itself, which hashes by identity). A caller may
    pass its own dict to watch the sums being made.
    """
    pending = {} if pending is None else pending
    pending[root] = grad
    for node in reversed(topological_order(root)):
        grad = pending.pop(node)
        dtype = node.data.dtype
        # float32 * float64 hands float64 back to the float32 input. (``is`` first: numpy's
        # dtypes are shared objects, and the identity test is cheaper than ``!=``.)
        if grad.dtype is not dtype and grad.dtype != dtype:
            grad = grad.astype(dtype)
        op = node._op
        if op is None:
            yield node, grad, None
            continue
        input_grads = op.backward(grad)
        yield node, grad, input_grads
        for parent, parent_grad in zip(op.parents, input_grads, strict=True):
            if parent_grad is None or not parent._requires_grad:
                continue
            pending[parent] = pending[parent] + parent_grad if parent in pending else parent_grad


def backward(root, grad: np.ndarray) -> None:
    """Propagate ``grad = dL/droot`` to every node ``root`` depends on, and store it.

    A leaf accumulates into ``.grad`` across calls, as in PyTorch, so two
    ``backward()`` calls give twice the gradient. An intermediate node's
    gradient is recomputed by each call and kept on the node for display.
    """
    for node, node_grad, input_grads in backward_steps(root, grad):
        if input_grads is None:
            node._accumulate_grad(node_grad)
        else:
            # Ops on 0-d data compute with numpy scalars (faster, see value.apply); what a
            # learner reads back from ``.grad`` is still an array, 0-d for a scalar.
            node._grad = node_grad if type(node_grad) is np.ndarray else np.asarray(node_grad)
