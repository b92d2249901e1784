"""The chain rule one edge at a time: what ``backward()`` computes, written out.

``trace_backward(loss)`` walks the graph in the order ``autograd.backward``
does and calls the same ``op.backward``, but stores no ``.grad``. For every
edge from an operation's output back to one of its inputs it records the three
numbers a lecture writes by hand::

    dL/d(input)  =  dL/d(output)  ·  d(output)/d(input)
      product         upstream         local_derivative

``print_trace(steps)`` prints one line per step. The engine itself never prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from ..autograd import topological_order
from ..printing import format_array
from ..value import Value
from .graph import graph_values, value_ids

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
    what the operation's own ``backward`` returned.
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
    if isinstance(op, (ops.Transpose, ops.Reshape, ops.Index)):
        return op.backward(ones)[0], REARRANGED
    if len(op.parents) == 1:
        # An upstream gradient of 1 leaves exactly the local derivative, element by element.
        return op.backward(ones)[0], ELEMENTWISE
    # A binary elementwise op, run again on inputs broadcast to the output's shape, so that the
    # local derivative has one element per output element instead of being summed over copies.
    fresh = type(op)()
    fresh.needs_input_grad = op.needs_input_grad
    fresh.forward(*np.broadcast_arrays(*(parent.data for parent in op.parents)))
    return fresh.backward(ones)[argument], ELEMENTWISE


def trace_backward(root: Value, grad: np.ndarray | None = None) -> list[TraceStep]:
    """Every chain-rule step of ``root.backward(grad)``, in the order backward takes them.

    Gradients reaching a node along several edges are summed before the node
    passes them on, as in ``autograd.backward``; no ``.grad`` is changed.
    """
    if grad is None:
        grad = np.ones(root.shape, dtype=root.dtype)
    ids = value_ids(graph_values(root))
    pending, steps = {id(root): np.asarray(grad, dtype=root.dtype)}, []
    for output in reversed(topological_order(root)):
        upstream = pending.pop(id(output))
        if upstream.dtype != output.dtype:  # as backward does: a float32 Value gets a float32 gradient
            upstream = upstream.astype(output.dtype)
        op = output._op
        if op is None:
            continue
        input_ids = tuple(ids[id(parent)] for parent in op.parents)
        for argument, (node, product) in enumerate(zip(op.parents, op.backward(upstream), strict=True)):
            if product is None or not node.requires_grad:
                continue
            local, rule = local_derivative(op, argument, output)
            steps.append(TraceStep(node, np.asarray(local), upstream, np.asarray(product), output, op.name,
                                   argument, rule, ids[id(node)], ids[id(output)], input_ids))
            key = id(node)
            pending[key] = pending[key] + product if key in pending else product
    return steps


def numbers(array: np.ndarray, precision: int) -> str:
    """An array as the repr prints it, on one line."""
    return " ".join(line.strip() for line in format_array(array, precision=precision).splitlines())


def step_text(step: TraceStep, precision: int = 4) -> str:
    """``sigmoid: dL/dv10 = dL/dv11 · dv11/dv10 = [2.1972] · [0.2480] = [0.5449]``."""
    node, output = step.node.name or step.node_id, step.output.name or step.output_id
    local = f"d{output}/d{node}"
    if step.op == "matmul":  # the local derivative is the other operand: name it
        other = 1 - step.argument
        local = step.output._op.parents[other].name or step.input_ids[other]
    symbols = step.rule.format(upstream=f"dL/d{output}", local=local)
    values = step.rule.format(upstream=numbers(step.upstream, precision),
                              local=numbers(step.local_derivative, precision))
    return f"{step.op}: dL/d{node} = {symbols} = {values} = {numbers(step.product, precision)}"


def print_trace(steps: list[TraceStep], precision: int = 4) -> None:
    """Print the chain rule, one step a line, as a lecture works it by hand."""
    for step in steps:
        print(step_text(step, precision))
