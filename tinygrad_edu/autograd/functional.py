"""Jacobians, Hessians and their products with vectors, as ``torch.autograd.functional``.

Each function takes ``func`` (Values in, a Value or a tuple of Values out) and ``inputs`` (a
Value or a tuple of Values) and is built on ``autograd.grad``, the way PyTorch builds its own:

- ``vjp``: vᵀJ, one backward pass;
- ``jacobian``: J, one backward pass per output element (a row of J each);
- ``hessian``: the Jacobian of the gradient (computed with ``create_graph=True``);
- ``vhp``: vᵀH, the backward pass of the gradient's graph;
- ``jvp`` and ``hvp``: Jv and Hv by the "double-backward trick": the vector-Jacobian product
  vᵀJ = uᵀ·(∂(uᵀJ)/∂u) is linear in a dummy u, so differentiating it with respect to u gives J v.

The inputs are copied as new leaves that require grad (they keep their graph under
``create_graph=True``, so that the result can be differentiated with respect to them), and
without ``create_graph`` the results are Values that require no grad. An input that the
outputs do not depend on gets zeros, or with ``strict=True`` an error. PyTorch's experimental
``vectorize=True`` and forward-mode strategies are not implemented here: asked for, they are
refused with an error that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..arguments import check_flag
from ..grad_mode import enable_grad
from ..value import Value
from .gradients import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------- the six functions

def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), vᵀ J)``: the product of ``v`` (shaped as the outputs) with the Jacobian of ``func``,
    one Value per input. ``v`` may be left out when ``func`` returns one single-element Value."""
    _check_flags("vjp", create_graph, strict)
    is_inputs_tuple, inputs = _inputs("vjp", inputs, create_graph)
    with enable_grad():
        is_outputs_tuple, outputs = _outputs("vjp", func(*inputs), strict)
    v = _vectors("vjp", v, outputs, is_outputs_tuple, "outputs of func")
    products = _grad(outputs, inputs, v, create_graph)
    products = _filled(products, inputs, strict, create_graph, "the outputs of func do not depend on input {i}")
    return _unpacked(_results(outputs, create_graph), is_outputs_tuple), _unpacked(products, is_inputs_tuple)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian of ``func`` times ``v`` (shaped as the inputs), one Value per
    output. ``v`` may be left out for a single input of one element. Computed by the double-backward trick."""
    _check_flags("jvp", create_graph, strict)
    is_inputs_tuple, inputs = _inputs("jvp", inputs, create_graph)
    v = _vectors("jvp", v, inputs, is_inputs_tuple, "inputs")
    with enable_grad():
        is_outputs_tuple, outputs = _outputs("jvp", func(*inputs), strict)
        dummies = tuple(Value(np.zeros(output.shape, dtype=output.dtype), requires_grad=True) for output in outputs)
        vjps = _grad(outputs, inputs, dummies, True)  # uᵀJ, linear in the dummy u
        if strict and any(product is None or not product.requires_grad for product in vjps):
            raise RuntimeError("jvp: the gradient with respect to an input does not depend on the grad_outputs, "
                           "which the double-backward trick needs; not allowed with strict=True")
    products = _grad(vjps, dummies, v, create_graph)
    products = _filled(products, outputs, strict, create_graph, "the gradient does not depend on output {i}")
    return _unpacked(_results(outputs, create_graph), is_outputs_tuple), _unpacked(products, is_outputs_tuple)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a Value of shape
    ``outputs[i].shape + inputs[j].shape`` (one Value, a tuple, or a tuple of tuples, as the
    arguments were single or tuples). One backward pass per output element, each a row."""
    _check_flags("jacobian", create_graph, strict)
    _reverse_mode_only("jacobian", vectorize, strategy, "strategy")
    is_inputs_tuple, inputs = _inputs("jacobian", inputs, create_graph)
    with enable_grad():
        is_outputs_tuple, outputs = _outputs("jacobian", func(*inputs), strict)
    rows = []
    for i, output in enumerate(outputs):
        per_input: list[list] = [[] for _ in inputs]
        for k in range(output.numel()):
            with enable_grad():  # the element must be recorded, to be differentiated
                element = output.reshape(-1)[k]
                row = _grad([element], inputs, None, create_graph)
            for j, (gradient, collected) in enumerate(zip(row, per_input, strict=True)):
                if gradient is None:
                    if strict:
                        raise RuntimeError(f"jacobian: output {i} of func does not depend on input {j}; "
                                           f"not allowed with strict=True")
                    gradient = _zeros(inputs[j])
                elif strict and create_graph and not gradient.requires_grad:
                    raise RuntimeError(f"jacobian: the Jacobian of func does not depend on input {j}; not allowed "
                                       f"with strict=True and create_graph=True")
                collected.append(gradient)
        rows.append(tuple(_stacked(collected, output.shape, value.shape, create_graph)
                          for collected, value in zip(per_input, inputs, strict=True)))
    return _unpacked(tuple(rows), (is_outputs_tuple, is_inputs_tuple))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the single-element Value ``func`` returns: for inputs i and j a Value of shape
    ``inputs[i].shape + inputs[j].shape`` (one Value for a single input, else a tuple of tuples). It is
    the Jacobian of the gradient, which is computed with ``create_graph=True``."""
    _check_flags("hessian", create_graph, strict)
    _reverse_mode_only("hessian", vectorize, outer_jacobian_strategy, "outer_jacobian_strategy")
    is_inputs_tuple, inputs = _inputs("hessian", inputs, create_graph)

    def gradient(*values):
        output = _scalar_output("hessian", func(*values), strict)
        gradients = grad([output], list(values), create_graph=True, allow_unused=True)
        if strict and any(g is None or not g.requires_grad for g in gradients):
            raise RuntimeError("hessian: the gradient of func does not depend on an input (func is linear in "
                               "it, or does not use it); not allowed with strict=True")
        return tuple(_zeros(value) if g is None else g for g, value in zip(gradients, values, strict=True))

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return _unpacked(result, (is_inputs_tuple, is_inputs_tuple))


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), vᵀ H)``: ``v`` (shaped as the inputs) times the Hessian of the single-element
    Value ``func`` returns: the backward pass of the gradient's graph, seeded with v."""
    is_inputs_tuple, inputs, v, output, gradients = _gradient("vhp", func, inputs, v, create_graph, strict)
    products = _grad(gradients, inputs, v, create_graph)
    products = _filled(products, inputs, strict, create_graph, "the Hessian of func does not depend on input {i}")
    return _results([output], create_graph)[0], _unpacked(products, is_inputs_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), H v)``: the Hessian of the single-element Value ``func`` returns, times ``v``
    (shaped as the inputs), by the double-backward trick, as PyTorch computes it. (H is symmetric
    for a function with continuous second derivatives, where ``vhp`` gives the same, faster.)"""
    is_inputs_tuple, inputs, v, output, gradients = _gradient("hvp", func, inputs, v, create_graph, strict)
    with enable_grad():
        dummies = tuple(Value(np.zeros(value.shape, dtype=value.dtype), requires_grad=True) for value in inputs)
        double_back = _grad(gradients, inputs, dummies, True)  # uᵀH, linear in the dummy u
    products = _grad(double_back, dummies, v, create_graph)
    products = _filled(products, inputs, strict, create_graph, "the Hessian of func does not depend on input {i}")
    return _results([output], create_graph)[0], _unpacked(products, is_inputs_tuple)


# ---------------------------------------------------------------- arguments

def _check_flags(function: str, create_graph: Any, strict: Any) -> None:
    check_flag(function, "create_graph", create_graph)
    check_flag(function, "strict", strict)


def _reverse_mode_only(function: str, vectorize: Any, strategy: Any, strategy_name: str) -> None:
    """PyTorch's experimental vectorized and forward-mode Jacobians are not implemented here."""
    check_flag(function, "vectorize", vectorize)
    if vectorize:
        raise NotImplementedError(f"{function}: vectorize=True (PyTorch's experimental batched gradients) is not "
                                  f"implemented in tinygrad_edu; leave vectorize=False: one backward pass per row")
    if strategy == "forward-mode":
        raise NotImplementedError(f"{function}: {strategy_name}='forward-mode' is not implemented in tinygrad_edu, "
                                  f"which differentiates in reverse mode only; use {strategy_name}='reverse-mode'")
    if strategy != "reverse-mode":
        raise ValueError(f"{function}: {strategy_name} must be 'reverse-mode' (or PyTorch's 'forward-mode', not "
                         f"implemented here), got {strategy!r:.80}")


def _as_tuple(function: str, argument: str, given: Any) -> tuple[bool, tuple]:
    """(whether it was a tuple, the Values as a tuple): a Value or a tuple of Values, as PyTorch's."""
    is_tuple = isinstance(given, tuple)
    values = given if is_tuple else (given,)
    for i, value in enumerate(values):
        if not isinstance(value, Value):
            where = f"the value at index {i} is" if is_tuple else "got"
            raise TypeError(f"{function}: {argument} must be a Value or a tuple of Values; {where} "
                            f"{type(value).__name__} {value!r:.60}")
    return is_tuple, values


def _inputs(function: str, given: Any, create_graph: bool) -> tuple[bool, tuple]:
    """The inputs as new leaves that require grad: detached copies, or under ``create_graph`` (for an input
    that requires grad) a Value computed from it, so that the result can be differentiated with respect to it."""
    is_tuple, values = _as_tuple(function, "inputs", given)
    for i, value in enumerate(values):
        if value.dtype.kind != "f":
            raise TypeError(f"{function}: inputs must be floating-point Values (they are differentiated), but "
                            f"input {i} is {value.dtype}")
    with enable_grad():
        copies = tuple(value.reshape(value.shape) if create_graph and value.requires_grad
                       else Value(value.data, requires_grad=True) for value in values)
    return is_tuple, copies


def _outputs(function: str, given: Any, strict: bool) -> tuple[bool, tuple]:
    is_tuple, outputs = _as_tuple(function, "the outputs of func", given)
    if strict:
        for i, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(f"{function}: output {i} of func does not require grad (it does not depend on "
                                   f"the inputs by recorded operations); not allowed with strict=True")
    return is_tuple, outputs


def _scalar_output(function: str, given: Any, strict: bool) -> Value:
    """The one single-element Value a function whose Hessian is taken must return."""
    if not isinstance(given, Value):
        raise RuntimeError(f"{function}: func must return a single Value, got {type(given).__name__}")
    _outputs(function, given, strict)
    if given.numel() != 1:
        raise RuntimeError(f"{function}: func must return a Value with a single element, got shape {given.shape}")
    return given


def _vectors(function: str, v: Any, like: tuple, is_tuple: bool, of: str) -> tuple:
    """``v`` as one Value per Value of ``like`` (shaped as it), or 1 when ``like`` is one single element."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{function}: v can be left out only when the {of} are a single Value with a single "
                               f"element; pass v, shaped as the {of}")
        return (Value(np.ones(like[0].shape, dtype=like[0].dtype)),)
    _, v = _as_tuple(function, "v", v)
    if len(v) != len(like):
        raise RuntimeError(f"{function}: v must hold one Value per {of[:-1] if of.endswith('s') else of}: "
                           f"{len(like)}, got {len(v)}")
    for i, (vector, value) in enumerate(zip(v, like, strict=True)):
        if vector.shape != value.shape:
            prefix = f"entry {i} of " if is_tuple else ""
            raise RuntimeError(f"{function}: {prefix}v has shape {vector.shape}, but it must have the shape "
                               f"{value.shape} of the {of}")
    return v


# ---------------------------------------------------------------- computing

def _grad(outputs, inputs, grad_outputs, create_graph: bool) -> tuple:
    """``grad`` over the outputs that exist and require grad (None for every input if none does), with
    allow_unused: PyTorch's ``_autograd_grad``."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    kept = [(output, given) for output, given in zip(outputs, grad_outputs, strict=True)
            if output is not None and output.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    with enable_grad():
        return grad([output for output, _ in kept], list(inputs), [given for _, given in kept],
                    create_graph=create_graph, allow_unused=True)


def _gradient(function: str, func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool) -> tuple:
    """What vhp and hvp start from: the inputs (as a tuple, and whether they were one), v, func's one output,
    and its gradient with respect to each input, with a graph (None for an input it does not use)."""
    _check_flags(function, create_graph, strict)
    is_inputs_tuple, inputs = _inputs(function, inputs, create_graph)
    v = _vectors(function, v, inputs, is_inputs_tuple, "inputs")
    with enable_grad():
        output = _scalar_output(function, func(*inputs), strict)
        gradients = _grad([output], inputs, None, True)
    if strict and any(g is None or not g.requires_grad for g in gradients):
        raise RuntimeError(f"{function}: the gradient of func does not depend on every input (func is linear "
                           f"in it, or does not use it); not allowed with strict=True")
    return is_inputs_tuple, inputs, v, output, gradients


def _filled(products: tuple, like: tuple, strict: bool, create_graph: bool, independent: str) -> tuple:
    """Zeros where a product is None (the mathematically right value), or with ``strict`` an error."""
    filled = []
    for i, (product, value) in enumerate(zip(products, like, strict=True)):
        if product is None:
            if strict:
                raise RuntimeError(f"{independent.format(i=i)}; not allowed with strict=True")
            product = _zeros(value)
        elif strict and create_graph and not product.requires_grad:
            raise RuntimeError(f"{independent.format(i=i)} (the result requires no grad); not allowed with "
                               f"strict=True and create_graph=True")
        filled.append(_results([product], create_graph)[0])
    return tuple(filled)


def _zeros(like: Value) -> Value:
    return Value(np.zeros(like.shape, dtype=like.dtype))


def _stacked(rows: list, output_shape: tuple, input_shape: tuple, create_graph: bool) -> Value:
    """One Jacobian block, of shape output_shape + input_shape, from its rows (one per output element)."""
    if not create_graph:
        data = np.stack([np.asarray(row.data) for row in rows]) if rows else np.zeros((0,) + input_shape)
        return Value(data.reshape(output_shape + input_shape))
    flat = [row.reshape(1, -1) for row in rows]
    return _concatenated(flat, output_shape + input_shape)


def _concatenated(rows: list, shape: tuple) -> Value:
    """Rows of shape (1, n), recorded, as one Value of ``shape``: each put into zeros at its row and added."""
    if not rows:
        return Value(np.zeros(shape))
    count, width = len(rows), rows[0].shape[1]
    total = None
    with enable_grad():
        for k, row in enumerate(rows):
            placed = row.new_zeros(count, width).index_put((slice(k, k + 1),), row)
            total = placed if total is None else total + placed
        return total.reshape(shape)


def _results(values, create_graph: bool) -> tuple:
    """What the functions return: the Values themselves with ``create_graph``, else copies outside any graph."""
    return tuple(value if create_graph else value.detach() for value in values)


def _unpacked(results: tuple, is_tuple: Any) -> Any:
    """A tuple, or its one element, as the arguments were given (PyTorch's ``_tuple_postprocess``)."""
    if isinstance(is_tuple, tuple):
        is_outer, is_inner = is_tuple
        if not is_inner:
            results = tuple(row[0] for row in results)
        return results if is_outer else results[0]
    return results if is_tuple else results[0]
