"""The local derivatives as a lecture writes them beside the chain rule: a table of formulas by operation.

``ops.py`` computes each derivative; this table writes it for people, in the Values' names
and with their numbers, for the trace and the backward page (``∂ŷ/∂z = ŷ·(1 − ŷ)``). Each
entry is a function ``(op, argument, out, inputs) -> Formula`` of an operation that has run
``forward``: ``argument`` is which input, ``out`` and ``inputs`` the Values' names as they go
into a formula. ``formula_of`` finds the entry for an operation's class or for the nearest
class it inherits from, so a student's ``class Mul(ops.Mul)`` gets Mul's formula; an operation
of a learner's own (a subclass of ``ops.Function`` alone) gets None, and the page shows the
chain rule's numbers only. ``tests/test_op_formulas.py`` checks every formula's numbers against
the local derivative the trace computes from ``backward``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import ops
from ..printing import format_array

FORMULA_ELEMENTS = 12  # a formula prints arrays up to this many elements; bigger ones only as a summary


class Formula(NamedTuple):
    """One operation's local derivative d(out)/d(input), as a lecture writes it beside the chain rule.

    ``formula`` is written in the Values' names (``ŷ·(1 − ŷ)``), ``numbers`` is
    the same with their numbers put in (empty when the formula is a constant,
    such as ``1``), and ``value`` is what it comes to: one element per output
    element for elementwise operations (per pair of elements for softmax), the
    other operand for matmul. A re-layout (transpose, reshape, index) does no
    arithmetic: its ``value`` is None and its ``formula`` says how dL/d(output)
    is put back into the input's layout.
    """

    formula: str
    numbers: str
    value: np.ndarray | None


def formula_of(op: ops.Function, argument: int, out: str, inputs: tuple[str, ...]) -> Formula | None:
    """d(out)/d(input ``argument``) of ``op`` (after its ``forward``) as a Formula, or None for an
    operation the table does not know (a learner's own)."""
    for cls in type(op).__mro__:
        if cls in FORMULAS:
            return FORMULAS[cls](op, argument, out, inputs)
    return None


def _numbers(array) -> str:
    """An array on one line as the repr prints it, or "" when it is too long to read in a formula."""
    array = np.asarray(array)
    if array.size > FORMULA_ELEMENTS:
        return ""
    return " ".join(line.strip() for line in format_array(array, precision=4).splitlines())


def _filled(template: str, *arrays) -> str:
    """``template`` with the arrays' numbers in its ``{}``, or "" when one of them is too long to print."""
    texts = [_numbers(array) for array in arrays]
    return template.format(*texts) if all(texts) else ""


def _spread(value, shape: tuple) -> np.ndarray:
    """``value`` broadcast to the output's shape: one local derivative per output element."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), shape)


def _constant(text: str, shape: tuple) -> Formula:
    """A local derivative that is the same number everywhere, such as 1 for add."""
    return Formula(text, "", _spread(float(text.replace("−", "-")), shape))


def _softmax_jacobian(p: np.ndarray, axis: int, log: bool) -> np.ndarray:
    """d(out)/d(x) of softmax (pᵢ(δᵢⱼ − pⱼ)) or log_softmax (δᵢⱼ − pⱼ) from p = softmax(x), shape
    out.shape + x.shape: along ``axis`` a c × c block per position, 0 between different positions."""
    p = np.asarray(p, dtype=np.float64)
    moved = np.moveaxis(p, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])  # one row of c probabilities per position
    eye = np.eye(rows.shape[1])
    blocks = eye - rows[:, np.newaxis, :] if log else rows[:, :, np.newaxis] * (eye - rows[:, np.newaxis, :])
    jacobian = np.zeros((len(rows), rows.shape[1], len(rows), rows.shape[1]))
    positions = np.arange(len(rows))
    jacobian[positions, :, positions, :] = blocks
    jacobian = jacobian.reshape(moved.shape + moved.shape)
    return np.moveaxis(jacobian, (p.ndim - 1, 2 * p.ndim - 1), (axis % p.ndim, p.ndim + axis % p.ndim))


def _shared(formula: str, numbers: str, reduction: str, total) -> tuple[str, str]:
    """A loss's formula with its 'mean' share, ``/ n``, written in (only when n is not 1)."""
    if reduction != "mean" or total == 1:
        return formula, numbers
    return f"({formula}) / {total:g}", f"({numbers}) / {total:g}" if numbers else ""


# ---------------------------------------------------------------- the table, in ops.py's order

def _add(op, argument, out, inputs):
    return _constant("1", np.broadcast_shapes(op.a_shape, op.b_shape))


def _sub(op, argument, out, inputs):
    return _constant(("1", "−1")[argument], np.broadcast_shapes(op.a_shape, op.b_shape))


def _mul(op, argument, out, inputs):
    other = (op.b, op.a)[argument]
    shape = np.broadcast_shapes(op.a.shape, op.b.shape)
    return Formula(inputs[1 - argument], _numbers(other), _spread(other, shape))


def _div(op, argument, out, inputs):
    shape = op.out.shape
    if argument == 0:
        return Formula(f"1/{inputs[1]}", _filled("1/{}", op.b), _spread(1 / op.b, shape))
    return Formula(f"−{out}/{inputs[1]}", _filled("−{}/{}", op.out, op.b), _spread(-op.out / op.b, shape))


def _neg(op, argument, out, inputs):
    return _constant("−1", ())  # nothing saved, nothing needed: the same −1 for every element


def _pow(op, argument, out, inputs):
    a, b, shape = op.a, op.b, np.shape(op.out)
    with np.errstate(divide="ignore", invalid="ignore"):  # the limits of backward, chosen by np.where
        if argument == 0:
            return Formula(f"{inputs[1]}·{inputs[0]}^({inputs[1]} − 1)", _filled("{0}·{1}^({0} − 1)", b, a),
                        _spread(np.where(b == 0, 0, b * a ** (b - 1)), shape))
        edge = (a == 0) & (b >= 0)
        return Formula(f"{out}·ln {inputs[0]}", _filled("{}·ln {}", op.out, a),
                    _spread(np.where(edge, 0, op.out * np.log(a)), shape))


def _matmul(op, argument, out, inputs):
    # Each element of dL/da sums dL/dout times b over the shared axis: the local factor is b itself.
    other = (op.b, op.a)[argument]
    return Formula(inputs[1 - argument], _numbers(other), np.asarray(other))


def _exp(op, argument, out, inputs):
    return Formula(f"e^{inputs[0]} = {out}", "", np.asarray(op.out))


def _log(op, argument, out, inputs):
    return Formula(f"1/{inputs[0]}", _filled("1/{}", op.x), np.asarray(1 / op.x))


def _relu(op, argument, out, inputs):  # 1 at NaN too, as in backward
    return Formula(f"1 where {inputs[0]} > 0, else 0", "", np.asarray(~(op.out <= 0), dtype=np.float64))


def _sigmoid(op, argument, out, inputs):
    return Formula(f"{out}·(1 − {out})", _filled("{0} · (1 − {0})", op.out),
                np.asarray(op.out * (1 - op.out)))


def _tanh(op, argument, out, inputs):
    return Formula(f"1 − {out}²", _filled("1 − {}²", op.out),
                np.asarray(1 - op.out * op.out))


def _cast(op, argument, out, inputs):
    return _constant("1", ())  # the gradient is only cast back to the input's dtype


def _where(op, argument, out, inputs):
    chosen = op.condition if argument == 0 else ~np.asarray(op.condition)
    shape = np.broadcast_shapes(np.shape(op.condition), op.x_shape, op.y_shape)
    where = ("holds", "does not hold")[argument]
    return Formula(f"1 where the condition {where}, else 0", "", _spread(chosen, shape))


def _sum(op, argument, out, inputs):
    return _constant("1", op.x_shape)


def _mean(op, argument, out, inputs):
    return Formula(f"1/n = 1/{op.count}", "", _spread(1 / op.count, op.x_shape))


def _max(op, argument, out, inputs):
    return Formula(f"1 where {inputs[0]} is the maximum (shared among ties), else 0", "",
                op.backward(np.ones(op.kept_shape))[0])


def _reshape(op, argument, out, inputs):
    return Formula(f"dL/d{out} reshaped back to {op.x_shape}", "", None)


def _transpose(op, argument, out, inputs):
    if op.axes == tuple(range(len(op.axes) - 1, -1, -1)):
        return Formula(f"(dL/d{out})ᵀ", "", None)
    inverse = tuple(sorted(range(len(op.axes)), key=op.axes.__getitem__))
    return Formula(f"dL/d{out} with its axes permuted by {inverse}", "", None)


def _expand(op, argument, out, inputs):
    return _constant("1", op.shape)  # each copy's derivative is 1; the copies' gradients are summed back


def _index(op, argument, out, inputs):
    return Formula(f"dL/d{out} put back where {inputs[0]}[…] took it from, 0 elsewhere", "", None)


def _index_put(op, argument, out, inputs):
    if argument == 1:
        return Formula(f"dL/d{out}[…] where {inputs[1]} was put", "", None)
    replaced = "" if op.accumulate else f", 0 where {inputs[1]} replaced it"
    return Formula(f"dL/d{out}{replaced}", "", None)


def _log_softmax(op, argument, out, inputs):
    return Formula(f"δᵢⱼ − softmax({inputs[0]})ⱼ", "", _softmax_jacobian(np.exp(op.out), op.axis, log=True))


def _softmax(op, argument, out, inputs):
    return Formula(f"{out}ᵢ·(δᵢⱼ − {out}ⱼ)", "", _softmax_jacobian(op.out, op.axis, log=False))


def _binary_cross_entropy(op, argument, out, inputs):
    x, y, total = op.x, op.y, math.prod(op.losses_shape)
    share = 1 / total if op.reduction == "mean" else 1
    if argument == 0:
        formula = f"({inputs[0]} − {inputs[1]}) / ({inputs[0]}·(1 − {inputs[0]}))"
        numbers = _filled("({0} − {1}) / ({0} · (1 − {0}))", x, y)
        value = share * (x - y) / np.maximum(x * (1 - x), np.float32(1e-12))
    else:
        formula, numbers = f"ln(1 − {inputs[0]}) − ln {inputs[0]}", ""
        with np.errstate(divide="ignore"):
            value = share * (np.log1p(-x) - np.log(x))
    return Formula(*_shared(formula, numbers, op.reduction, total), _spread(value, op.losses_shape))


def _binary_cross_entropy_with_logits(op, argument, out, inputs):
    x, y, total = op.x, op.y, math.prod(op.losses_shape)
    share = 1 / total if op.reduction == "mean" else 1
    if argument == 0:
        formula, value = f"σ({inputs[0]}) − {inputs[1]}", np.exp(-np.logaddexp(0, -x)) - y
    else:
        formula, value = f"−{inputs[0]}", -x
    return Formula(*_shared(formula, "", op.reduction, total), _spread(share * value, op.losses_shape))


def _nll_loss(op, argument, out, inputs):
    formula = f"−w at each sample's target class of {inputs[0]}, 0 elsewhere"
    grad = np.ones(op.target.shape if op.reduction == "none" else ())
    return Formula(*_shared(formula, "", op.reduction, op.total), op.backward(grad)[0])


# Each operation's formula, by class; a subclass (a student's ``class Mul(ops.Mul)``) finds its base's.
FORMULAS: dict[type, Callable[..., Formula]] = {
    ops.Add: _add,
    ops.Sub: _sub,
    ops.Mul: _mul,
    ops.Div: _div,
    ops.Neg: _neg,
    ops.Pow: _pow,
    ops.MatMul: _matmul,
    ops.Exp: _exp,
    ops.Log: _log,
    ops.Relu: _relu,
    ops.Sigmoid: _sigmoid,
    ops.Tanh: _tanh,
    ops.Cast: _cast,
    ops.Where: _where,
    ops.Sum: _sum,
    ops.Mean: _mean,
    ops.Max: _max,
    ops.Reshape: _reshape,
    ops.Transpose: _transpose,
    ops.Expand: _expand,
    ops.Index: _index,
    ops.IndexPut: _index_put,
    ops.LogSoftmax: _log_softmax,
    ops.Softmax: _softmax,
    ops.BinaryCrossEntropy: _binary_cross_entropy,
    ops.BinaryCrossEntropyWithLogits: _binary_cross_entropy_with_logits,
    ops.NllLoss: _nll_loss,
}
