"""Check derivatives against finite differences.

The central difference (f(x + ε) − f(x − ε)) / 2ε differs from f'(x) by
O(ε²), so with ε = 1e-6 in float64 it agrees with a correct derivative to
about 1e-9: a mismatch beyond the tolerance is a wrong derivative, not noise.

``central_differences`` is the one numeric derivative here, and ``EPS``,
``ATOL``, ``RTOL`` (PyTorch gradcheck's) with ``within_tolerance`` the one test of
agreement: ``gradcheck`` tests the engine's ``backward`` with them (the whole
Jacobian, every output element against every input element), ``check_derivative``
a derivative written by hand, such as the slides' ``4x³ + 3x² − 4x``, and the
course's graders a student's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import no_grad
from .value import Value

# PyTorch gradcheck's step and tolerances: one set for every check of a derivative.
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3


def central_differences(f: Callable[[], Any], array: np.ndarray, eps: float = EPS) -> np.ndarray:
    """d f()/d x for every element x of ``array``, by (f(x + ε) − f(x − ε)) / 2ε, in float64.

    ``f`` reads ``array``, which is changed in place, one element at a time, and put back
    exactly. The result has shape ``array.shape + f().shape``: one derivative of each of
    f's output elements per element of ``array``.
    """
    rows = []
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = np.array(f(), dtype=np.float64)  # a copy: f's output may be a view of ``array``
        array[index] = original - eps
        minus = np.array(f(), dtype=np.float64)
        array[index] = original
        rows.append((plus - minus) / (2 * eps))
    out_shape = rows[0].shape if rows else np.shape(f())
    return np.array(rows, dtype=np.float64).reshape(array.shape + out_shape)


def within_tolerance(analytic: Any, numeric: Any, atol: float = ATOL, rtol: float = RTOL) -> np.ndarray:
    """|analytic − numeric| ≤ atol + rtol·|numeric|, element by element (PyTorch gradcheck's test; NaN fails)."""
    return np.abs(np.asarray(analytic) - numeric) <= atol + rtol * np.abs(numeric)


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
    """Column j holds d(output)/d(input element j), by central differences."""
    with no_grad():
        derivatives = central_differences(lambda: fn(*inputs).data, inputs[which].data, eps)
    return derivatives.reshape(inputs[which].data.size, out_size).T


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


def gradcheck(fn: Callable[..., Value], *inputs, eps: float = EPS, atol: float = ATOL,
              rtol: float = RTOL) -> bool:
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
        bad = np.argwhere(~within_tolerance(analytic, numeric, atol, rtol))
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
                     eps: float = EPS, atol: float = ATOL, rtol: float = RTOL) -> list:
    """The points of ``xs`` where ``df`` is not the derivative of ``f``.

    Returns a list of ``DerivativeMismatch(x, given, numeric)``, empty when ``df``
    agrees with the central difference everywhere.
    """
    mismatches = []
    for x in xs:
        x = float(x)
        given, numeric = float(df(x)), _numeric_derivative(f, x, eps)
        if not within_tolerance(given, numeric, atol, rtol):
            mismatches.append(DerivativeMismatch(x, given, numeric))
    return mismatches


def _numeric_derivative(f: Callable[[float], float], x: float, eps: float) -> float:
    """f'(x) of a function of one float, by ``central_differences``."""
    point = np.array(x)
    return float(central_differences(lambda: float(f(float(point))), point, eps))
