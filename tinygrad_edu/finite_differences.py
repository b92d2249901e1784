"""Check derivatives against finite differences.

The central difference (f(x + ε) − f(x − ε)) / 2ε differs from f'(x) by
O(ε²), so with ε = 1e-6 in float64 it agrees with a correct derivative to
about 1e-9: a mismatch beyond the tolerance is a wrong derivative, not noise.

``gradcheck`` tests the engine's ``backward`` (the whole Jacobian, every output
element against every input element). ``check_derivative`` tests a derivative
written by hand, such as the slides' ``4x³ + 3x² − 4x``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .autograd import no_grad
from .value import Value


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when backward disagrees with finite differences."""


def _float64_inputs(inputs: tuple) -> list:
    """Float64 copies of the inputs. Values keep their ``requires_grad`` (those
    without it are held constant); arrays, lists and numbers are checked."""
    copies = []
    for given in inputs:
        if isinstance(given, Value):
            floating = given.dtype.kind == "f"
            copies.append(Value(given.data, dtype=np.float64 if floating else None,
                                requires_grad=given.requires_grad, name=given.name))
        else:
            copies.append(Value(given, dtype=np.float64, requires_grad=True))
    return copies


def _numeric_jacobian(fn: Callable, inputs: list, which: int, eps: float, out_size: int) -> np.ndarray:
    """Column j holds d(output)/d(input element j) by central differences."""
    data = inputs[which].data.reshape(-1)  # a view: perturbing it perturbs the input
    jacobian = np.empty((out_size, data.size))
    with no_grad():
        for j in range(data.size):
            original = data[j]
            data[j] = original + eps
            # np.array copies: an output such as x.reshape(...) is a view of the
            # input, and would change under the next perturbation.
            plus = np.array(fn(*inputs).data, dtype=np.float64).reshape(-1)
            data[j] = original - eps
            minus = np.array(fn(*inputs).data, dtype=np.float64).reshape(-1)
            data[j] = original
            jacobian[:, j] = (plus - minus) / (2 * eps)
    return jacobian


def _analytic_jacobians(output: Value, inputs: list, checked: list) -> dict:
    """For each checked input, row i holds the gradient of output element i.
    One backward pass per output element fills the rows of every input at once."""
    jacobians = {which: np.zeros((output.data.size, inputs[which].data.size)) for which in checked}
    for i in range(output.data.size):
        for value in inputs:
            value.grad = None
        seed = np.zeros(output.data.size)
        seed[i] = 1.0
        output.backward(seed.reshape(output.shape))
        for which in checked:
            if inputs[which].grad is not None:
                jacobians[which][i] = inputs[which].grad.reshape(-1)
    return jacobians


def gradcheck(fn: Callable[..., Value], *inputs, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> bool:
    """Compare ``fn``'s backward with central differences on float64 copies of ``inputs``.

    Every output element is checked against every element of every input that
    requires grad. Returns True, or raises ``GradcheckError`` naming the output
    element, the input, its element and both values. The test is
    ``|analytic − numeric| ≤ atol + rtol·|numeric|`` (PyTorch's tolerances).
    """
    inputs = _float64_inputs(inputs)
    checked = [i for i, value in enumerate(inputs) if value.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    output = fn(*inputs)
    if not isinstance(output, Value) or output.dtype.kind != "f":
        raise TypeError(f"gradcheck: fn must return a floating Value, got {output!r:.80}")
    analytic_jacobians = _analytic_jacobians(output, inputs, checked)
    for which in checked:
        analytic = analytic_jacobians[which]
        numeric = _numeric_jacobian(fn, inputs, which, eps, output.data.size)
        bad = np.argwhere(~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)))
        if bad.size:
            out_index, in_index = bad[0]
            out_at = [int(i) for i in np.unravel_index(out_index, output.shape)]
            in_at = [int(i) for i in np.unravel_index(in_index, inputs[which].shape)]
            name = f" ({inputs[which].name})" if inputs[which].name else ""
            raise GradcheckError(
                f"gradcheck: d(output{out_at})/d(input {which}{name}{in_at}): "
                f"analytic {analytic[out_index, in_index]:.10g}, numeric {numeric[out_index, in_index]:.10g} "
                f"({len(bad)} of {analytic.size} Jacobian entries differ)")
    return True


@dataclass(frozen=True)
class DerivativeMismatch:
    """A point where a hand-written derivative disagrees with the numeric one."""

    x: float
    given: float
    numeric: float

    def __str__(self) -> str:
        return (f"at x = {self.x:g}: the given derivative is {self.given:.6g}, "
                f"the numeric derivative is {self.numeric:.6g}")


def check_derivative(f: Callable[[float], float], df: Callable[[float], float], xs: Iterable[float],
                     eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> list:
    """The points of ``xs`` where ``df`` is not the derivative of ``f``.

    Returns a list of ``DerivativeMismatch(x, given, numeric)``, empty when ``df``
    agrees with the central difference everywhere.
    """
    mismatches = []
    for x in xs:
        x = float(x)
        given = float(df(x))
        numeric = (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)
        if not abs(given - numeric) <= atol + rtol * abs(numeric):
            mismatches.append(DerivativeMismatch(x, given, numeric))
    return mismatches
