"""The chain rule one edge at a time: what ``backward()`` computes, written out.

``trace_backward(loss)`` runs the walk ``backward()`` runs
(``autograd.backward_steps``: the same order, the same ``op.backward`` calls,
the same sums), but stores no ``.grad``. For every
edge from an operation's output back to one of its inputs it records the three
numbers a lecture writes by hand::

    dL/d(input)  =  dL/d(output)  ·  d(output)/d(input)
      product         upstream         local_derivative

``print_trace(steps)`` prints one line per step. The engine itself never prints.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import numpy as np

from .. import ops
from ..autograd import backward_steps, node_ids
from ..printing import format_array
from ..terminal import write_line
from ..value import Value
from .formulas import Formula, formula_of

# How upstream and local combine into product, per kind of operation (str.format templates).
ELEMENTWISE = "{upstream} · {local}"
MATMUL_FIRST = "{upstream} @ {local}ᵀ"  # out = a @ b: dL/da = dL/dout @ bᵀ
MATMUL_SECOND = "{local}ᵀ @ {upstream}"  # dL/db = aᵀ @ dL/dout
JACOBIAN = "Σ over outputs of {upstream} · {local}"
REARRANGED = "{upstream} put back in the input's layout"


@dataclass(frozen=True)
class TraceStep:
    """One edge of the chain rule: the share of dL/d(node) that arrives from ``output``.

    ``local_derivative`` is d(output)/d(node) as a learner writes it: element by
    element for elementwise operations and reductions (σ(z)(1 − σ(z)) for
    sigmoid, 1/n for mean); for matmul the other operand; for softmax and
    log_softmax the Jacobian, shape ``output.shape + node.shape``. ``rule`` says
    how ``upstream`` (dL/d(output)) and it combine into ``product``, which is
    what the operation's own ``backward`` returned. ``sum_so_far`` is dL/d(node)
    summed over this edge and the ones before it, as backward sums it: at the
    node's last edge, its whole gradient.
    """

    node: Value
    local_derivative: np.ndarray
    upstream: np.ndarray
    product: np.ndarray
    output: Value
    op: str
    argument: int  # which input of the operation ``node`` is: 0 for a in a @ b
    rule: str
    node_id: str  # the ids draw_graph gives the Values, such as "v3"
    output_id: str
    input_ids: tuple[str, ...]  # every input of the operation, node_id among them
    grad_fn: ops.Function  # the operation object itself (output.grad_fn), constructor arguments and all
    sum_so_far: np.ndarray

    def to_dict(self) -> dict:
        """The step as JSON-ready Python values (ids, names, op, nested lists of numbers)."""
        return {
            "node": self.node_id, "node_name": self.node.name, "output": self.output_id,
            "output_name": self.output.name, "op": self.op, "argument": self.argument,
            "inputs": list(self.input_ids), "rule": self.rule,
            "local_derivative": self.local_derivative.tolist(), "upstream": self.upstream.tolist(),
            "product": self.product.tolist(),
        }


def jacobian(op: ops.Function, argument: int, output_shape: tuple) -> np.ndarray:
    """d(output)/d(input) for every pair of elements: row k is ``op.backward`` of the k-th unit vector."""
    unit = np.zeros(output_shape, dtype=op.parents[argument].dtype)
    rows = []
    for k in range(unit.size):
        unit.reshape(-1)[k] = 1
        rows.append(op.backward(unit)[argument])
        unit.reshape(-1)[k] = 0
    return np.stack(rows).reshape(output_shape + op.parents[argument].shape)


def local_derivative(op: ops.Function, argument: int, output: Value) -> tuple[np.ndarray, str]:
    """d(output)/d(input ``argument``) and the rule that combines it with the upstream gradient."""
    if isinstance(op, ops.MatMul):
        return op.parents[1 - argument].data, (MATMUL_FIRST, MATMUL_SECOND)[argument]
    if isinstance(op, (ops.Softmax, ops.LogSoftmax)):
        return jacobian(op, argument, output.shape), JACOBIAN
    ones = np.ones(output.shape, dtype=output.dtype)
    if isinstance(op, (ops.Transpose, ops.Reshape, ops.Index, ops.IndexPut)):
        return op.backward(ones)[argument], REARRANGED
    if isinstance(op, ops.Expand):  # each copy's derivative is 1; the copies' gradients are summed back
        return ones, ELEMENTWISE
    if len(op.parents) == 1:
        # An upstream gradient of 1 leaves exactly the local derivative, element by element.
        return op.backward(ones)[0], ELEMENTWISE
    if op.parents[0].shape == op.parents[1].shape:
        return op.backward(ones)[argument], ELEMENTWISE
    # A binary elementwise op whose inputs were broadcast: a copy of it (its constructor's arguments
    # too, such as a loss's reduction) runs again on the inputs broadcast to one shape, so that the
    # local derivative has one element per output element instead of being summed over copies.
    broadcast = copy.copy(op)
    shape = output.shape if isinstance(op, ops.Where) else np.broadcast_shapes(*(p.shape for p in op.parents))
    broadcast.forward(*(np.broadcast_to(parent.data, shape) for parent in op.parents))
    return broadcast.backward(ones)[argument], ELEMENTWISE


class PathSums(dict):
    """``backward_steps``'s pending sums, which also keep each sum as it is made: after
    root's own gradient, one per edge, dL/d(node) over the paths seen so far."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[np.ndarray] = []

    def __setitem__(self, node: Value, total: np.ndarray) -> None:
        super().__setitem__(node, total)
        self.made.append(total)


def trace_backward(root: Value, grad: np.ndarray | None = None) -> list[TraceStep]:
    """Every chain-rule step of ``root.backward(grad)``, in the order backward takes them.

    The steps come from backward's own walk, so gradients reaching a node along
    several edges are summed exactly as backward sums them; no ``.grad`` is changed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward: root must be a tinygrad_edu Value (the output whose backward to "
                        f"trace, such as the loss), got {type(root).__name__}")
    grad = np.ones(root.shape, dtype=root.dtype) if grad is None else np.asarray(grad, dtype=root.dtype)
    if grad.shape != root.shape:
        raise ValueError(f"trace_backward: grad must have root's shape {root.shape}, got {grad.shape}")
    ids, sums, edges = node_ids(root), PathSums(), []
    for output, upstream, products in backward_steps(root, grad, sums):
        if products is None:  # a leaf: nothing to pass on
            continue
        needed = output._op.needs_input_grad
        for argument, (node, product) in enumerate(zip(output._op.parents, products, strict=True)):
            if product is not None and needed[argument] and node.requires_grad:  # where backward sends one
                edges.append((output, upstream, argument, node, product))
    # sums.made[0] is root's own gradient; then one sum per edge, in the edges' order.
    return [trace_step(ids, *edge, so_far) for edge, so_far in zip(edges, sums.made[1:], strict=True)]


def trace_step(ids: dict, output: Value, upstream: np.ndarray, argument: int, node: Value, product: np.ndarray,
               so_far: np.ndarray) -> TraceStep:
    """One edge as a TraceStep, with its local derivative and the node ids ``draw_graph`` uses."""
    op = output._op
    local, rule = local_derivative(op, argument, output)
    return TraceStep(node, np.asarray(local), np.asarray(upstream), np.asarray(product), output, op.name,
                     argument, rule, ids[node], ids[output], tuple(ids[parent] for parent in op.parents), op,
                     np.asarray(so_far))


# What a picture, a page or a terminal must not get raw: controls (NUL, newline, …), the line and
# paragraph separators, lone surrogates (no UTF-8 has them) and U+FFFE/U+FFFF (not allowed in XML,
# so not in an SVG).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def shown(text: str) -> str:
    """``text`` with each unprintable character as its Python escape: a NUL as ``\\x00``."""
    return UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def label(value: Value, value_id: str) -> str:
    """What the graph calls a Value: its name (``shown``), or its node id when it has none."""
    return shown(str(value.name)) if value.name else value_id


def symbol(value: Value, value_id: str) -> str:
    """The label as it goes into a formula: a name made of others (``x·0.weightᵀ``) in parentheses,
    so that ``dL/d(x·0.weightᵀ)`` reads as one derivative."""
    name = label(value, value_id)
    return name if re.fullmatch(r"[\w.]+ᵀ?", name) else f"({name})"


def gradient_symbol(value: Value, value_id: str) -> str:
    """dL/d(value): the gradient, what backward carries (upstream and product)."""
    return f"dL/d{symbol(value, value_id)}"


def local_symbol(step: TraceStep) -> str:
    """How the local derivative is written: ∂(output)/∂(node), or for matmul the other operand's name."""
    if step.op == "matmul":
        other = 1 - step.argument
        name = symbol(step.grad_fn.parents[other], step.input_ids[other])
        return f"({name})" if name.endswith("ᵀ") else name  # (1.weightᵀ)ᵀ, not 1.weightᵀᵀ
    return f"∂{symbol(step.output, step.output_id)}/∂{symbol(step.node, step.node_id)}"


def local_formula(step: TraceStep) -> Formula | None:
    """The local derivative of this edge as a formula in the Values' names (``formulas.py``);
    None for an operation the table does not know, such as a learner's own."""
    parents = step.grad_fn.parents
    names = tuple(symbol(parent, parent_id) for parent, parent_id in zip(parents, step.input_ids, strict=True))
    return formula_of(step.grad_fn, step.argument, symbol(step.output, step.output_id), names)


def starts(step: TraceStep, root_id: str) -> bool:
    """Does the step leave the root, where the upstream gradient is backward's seed dL/dL = 1?"""
    return step.output_id == root_id and bool(np.all(step.upstream == 1))


def numbers(array: np.ndarray, precision: int) -> str:
    """An array as the repr prints it, on one line."""
    return " ".join(line.strip() for line in format_array(array, precision=precision).splitlines())


def product_formula(step: TraceStep, root_id: str) -> str:
    """dL/d(node) in symbols: upstream and local combined by the step's rule, the re-layout
    written as one (``(dL/d0.weightᵀ)ᵀ``), or at the root the local derivative alone."""
    formula = local_formula(step)
    if formula is not None and formula.value is None:
        return formula.formula
    if starts(step, root_id) and step.rule == ELEMENTWISE:
        return local_symbol(step)  # dL/dL = 1: no tautology dL/dŷ = dL/dL · dL/dŷ
    return step.rule.format(upstream=gradient_symbol(step.output, step.output_id), local=local_symbol(step))


def step_text(step: TraceStep, precision: int = 4, root_id: str | None = None) -> str:
    """``sigmoid: dL/dz = dL/dŷ · ∂ŷ/∂z = [2.1972] · [0.2480] = [0.5449]``: the step in symbols,
    in numbers (when it multiplies), and its product."""
    symbols = product_formula(step, root_id)
    text = f"{step.op}: {gradient_symbol(step.node, step.node_id)} = {symbols}"
    if step.rule != REARRANGED and symbols != local_symbol(step):
        text += " = " + step.rule.format(upstream=numbers(step.upstream, precision),
                                         local=numbers(step.local_derivative, precision))
    return f"{text} = {numbers(step.product, precision)}"


def print_trace(steps: list[TraceStep], precision: int = 4) -> None:
    """Print the chain rule, one step a line, as a lecture works it by hand."""
    root_id = steps[0].output_id if steps else None
    for step in steps:
        write_line(step_text(step, precision, root_id))
