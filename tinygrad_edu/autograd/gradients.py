"""Gradients as Values: ``grad`` (``torch.autograd.grad``) and ``backward`` with ``create_graph`` or ``inputs``.

A plain ``backward()`` computes with numpy arrays (``reverse_mode.backward``) and builds
nothing. Here the walk is ``backpropagate``; with ``create_graph=True`` it starts from a
Value and runs each operation's ``backward`` on Values (``reverse_mode.on_values``), so the
gradient is a Value whose graph is the backward computation itself, made of the same
operations as any other graph: it can be drawn, traced and differentiated again (a Hessian,
a Newton step, a gradient penalty).

As in PyTorch, that graph is recorded whatever the grad mode around the call (the walk runs
inside ``set_grad_enabled(create_graph)``), and a Value that it read, changed in place before
it is differentiated, is refused then with the usual message (``check_versions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arguments import check_flag
from ..grad_mode import set_grad_enabled
from ..value import Value, initial_grad
from .reverse_mode import backpropagate


def grad(outputs: Value | Sequence[Value], inputs: Value | Sequence[Value], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``: a tuple
    with one Value per input, Σᵢ grad_outputsᵢ · d(outputsᵢ)/d(input). Nothing is stored in ``.grad``.

    ``grad_outputs`` holds dL/d(output) for each output (a Value, an array or a number of its
    shape); it may be left out, or None, for an output of one element (then it is 1). An input
    that no output depends on is an error, or None with ``allow_unused=True``. With
    ``create_graph=True`` each gradient is a Value with a graph, which can be differentiated
    again, to any order; otherwise it is a Value that requires no grad. The graph is always
    kept (``retain_graph`` is accepted, as in ``backward``).
    """
    outputs, inputs = _values("outputs", outputs), _values("inputs", inputs)
    grad_outputs = _grad_outputs(grad_outputs, len(outputs))
    for flag, name in ((create_graph, "create_graph"), (allow_unused, "allow_unused")):
        check_flag("grad", name, flag)
    if retain_graph is not None:
        check_flag("grad", "retain_graph", retain_graph)
    for i, value in enumerate(inputs):
        if not value.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad, so no gradient is computed for it; "
                               f"create it with requires_grad=True")
    seeds = [initial_grad(output, given, create_graph, "grad", f"outputs[{i}]", f"grad_outputs[{i}]")
             for i, (output, given) in enumerate(zip(outputs, grad_outputs, strict=True))]
    found = _gradients(outputs, seeds, create_graph, set(inputs))
    results = []
    for i, value in enumerate(inputs):
        if value not in found and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] was not used to compute the outputs, so it has no gradient; "
                               f"pass allow_unused=True to get None for it")
        results.append(_as_value(found[value], value) if value in found else None)
    return tuple(results)


def accumulate_grads(root: Value, gradient: Any, create_graph: bool, inputs: Any) -> None:
    """``root.backward(gradient, create_graph=…, inputs=…)``: add dL/d(input) to each input's ``.grad``
    (every leaf's, without ``inputs``). With ``create_graph`` what is added is a Value with a graph."""
    check_flag("backward", "create_graph", create_graph)
    seed = initial_grad(root, gradient, create_graph, "backward", "this Value", "gradient")
    if inputs is None:
        with set_grad_enabled(create_graph):
            backpropagate(root, seed, create_graph)
        return
    inputs = _values("inputs", inputs, function="backward")
    if not inputs:
        raise ValueError("backward: inputs must name at least one Value (or be None, for every leaf)")
    for i, value in enumerate(inputs):
        if not value.requires_grad:
            raise RuntimeError(f"backward: inputs[{i}] does not require grad, so it gets no gradient")
    found = _gradients([root], [seed], create_graph, set(inputs))
    for value in dict.fromkeys(inputs):  # each Value once, in order (the same Value twice gets one gradient)
        if value in found:
            value._accumulate_grad(found[value])


def _gradients(outputs: list, seeds: list, create_graph: bool, inputs: set) -> dict:
    """{input: its gradient}, summed over the outputs, for the inputs that some output depends on."""
    found: dict = {}
    with set_grad_enabled(create_graph):
        for output, seed in zip(outputs, seeds, strict=True):
            for value, value_grad in backpropagate(output, seed, create_graph, inputs).items():
                found[value] = found[value] + value_grad if value in found else value_grad
    return found


def _values(argument: str, given: Any, function: str = "grad") -> list:
    """A Value or a sequence of Values, as a list."""
    values = [given] if isinstance(given, Value) else given
    if not isinstance(values, (list, tuple)) or not all(isinstance(value, Value) for value in values):
        raise TypeError(f"{function}: {argument} must be a Value or a sequence of Values, got {given!r:.80}")
    return list(values)


def _grad_outputs(given: Any, count: int) -> list:
    """One dL/d(output) per output (None where it is 1)."""
    if given is None:
        return [None] * count
    if isinstance(given, (Value, np.ndarray)) or not isinstance(given, (list, tuple)):
        given = [given]
    if len(given) != count:
        raise ValueError(f"grad: grad_outputs must hold one gradient per output: got {len(given)} for {count} "
                         f"output{'s' if count != 1 else ''}")
    return list(given)


def _as_value(gradient: Any, like: Value) -> Value:
    """A gradient the walk found, as the Value ``grad`` returns: itself if it is a Value (it has a graph),
    else a new Value of the input's dtype, its own copy of the numbers."""
    if isinstance(gradient, Value):
        return gradient
    return Value(gradient, dtype=like.dtype)
