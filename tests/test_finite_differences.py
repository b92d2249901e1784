"""The public gradient checkers: gradcheck for the engine's backward, and
check_derivative for a derivative written by hand (the slides' quartic)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.value import Value, apply


class WrongTanh(ops.Tanh):
    """tanh with the derivative 1 − out instead of 1 − out²: a deliberate bug."""

    def backward(self, grad):
        return (grad * (1 - self.out),)


def wrong_tanh(x: Value) -> Value:
    return apply(WrongTanh(), x)


def test_gradcheck_returns_true_for_a_correct_backward():
    assert tg.gradcheck(lambda x, w: (x @ w).tanh().sum(), np.ones((2, 3)) / 3, np.ones(3) / 4) is True


def test_gradcheck_raises_gradcheck_error_for_a_wrong_backward():
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(wrong_tanh, np.array([0.5, -1.0]))


def test_gradcheck_error_names_output_input_element_and_both_values():
    x = np.array([[0.1, 0.2], [0.3, 0.7]])
    with pytest.raises(tg.GradcheckError) as caught:
        tg.gradcheck(lambda a, b: a * wrong_tanh(b), np.ones((2, 2)), Value(x, requires_grad=True, name="b"))
    message = str(caught.value)
    # The first wrong entry is d(output[0, 0])/d(b[0, 0]): analytic 1 − tanh(0.1), numeric 1 − tanh²(0.1).
    analytic, numeric = 1 - np.tanh(0.1), 1 - np.tanh(0.1) ** 2
    assert "output[0, 0]" in message
    assert "input 1 (b)[0, 0]" in message
    found = dict(re.findall(r"(analytic|numeric) (-?[\d.e+-]+)", message))
    assert float(found["analytic"]) == pytest.approx(analytic, abs=1e-8)
    assert float(found["numeric"]) == pytest.approx(numeric, abs=1e-8)


def test_gradcheck_checks_a_non_scalar_output_element_by_element():
    # Output element 1 depends wrongly on input element 1 only: the error must say so.
    with pytest.raises(tg.GradcheckError, match=r"output\[1\].*input 0\[1\]"):
        tg.gradcheck(wrong_tanh, np.array([0.0, 0.8]))  # at 0, 1 − out = 1 − out² = 1


def test_gradcheck_computes_in_float64_for_float32_inputs():
    x = Value([0.3, -0.4], requires_grad=True)  # float32
    assert tg.gradcheck(lambda v: (v * v * v).sum(), x)
    assert x.dtype == np.float32 and x.grad is None  # the caller's Value is not touched


def test_gradcheck_holds_values_without_requires_grad_constant():
    constant = Value([2.0, 3.0])
    assert tg.gradcheck(lambda c, x: (c * x.exp()).sum(), constant, np.array([0.1, 0.2]))


def test_gradcheck_without_any_input_requiring_grad_raises_value_error():
    with pytest.raises(ValueError, match="nothing to check"):
        tg.gradcheck(lambda c: c * 2, Value([1.0]))


def test_gradcheck_of_a_view_returning_function_passes():
    # x.reshape and basic indexing return views of the input's data; the
    # finite differences must not see the next perturbation through them.
    assert tg.gradcheck(lambda x: x.reshape(3, 2)[1:], np.arange(6.0).reshape(2, 3))


# ---------------------------------------------------------------- check_derivative on the deck's quartic

def quartic(x):
    return x ** 4 + x ** 3 - 2 * x ** 2 - 2 * x + 2


def slide_derivative(x):
    return 4 * x ** 3 + 3 * x ** 2 - 4 * x  # the deck's, missing the −2


def true_derivative(x):
    return 4 * x ** 3 + 3 * x ** 2 - 4 * x - 2


def test_check_derivative_finds_the_slides_error_at_minus_2():
    mismatches = tg.check_derivative(quartic, slide_derivative, [-2.0])
    assert len(mismatches) == 1
    found = mismatches[0]
    assert found.x == -2.0
    assert found.given == -12.0
    assert found.numeric == pytest.approx(-14.0, abs=1e-6)


def test_check_derivative_reports_every_point_where_the_slide_derivative_is_off():
    xs = np.linspace(-2, 1, 7)
    assert [m.x for m in tg.check_derivative(quartic, slide_derivative, xs)] == list(xs)


def test_check_derivative_returns_empty_list_for_the_true_derivative():
    assert tg.check_derivative(quartic, true_derivative, np.linspace(-2, 1, 31)) == []


def test_derivative_mismatch_is_frozen_and_reads_well():
    mismatch = tg.check_derivative(quartic, slide_derivative, [-2.0])[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        mismatch.x = 0.0
    assert str(mismatch) == "at x = -2: the given derivative is -12, the numeric derivative is -14"


# ---------------------------------------------------------------- the one central difference

def test_central_differences_has_one_derivative_per_input_and_output_element_and_restores_the_input():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    before = x.tobytes()
    derivatives = tg.finite_differences.central_differences(lambda: np.array([np.sum(x ** 3), x[0, 1] * x[1, 2]]), x)
    assert derivatives.shape == (2, 3, 2) and derivatives.dtype == np.float64
    np.testing.assert_allclose(derivatives[..., 0], 3 * x ** 2, rtol=1e-8)
    expected_product = np.zeros((2, 3))
    expected_product[0, 1], expected_product[1, 2] = x[1, 2], x[0, 1]
    np.testing.assert_allclose(derivatives[..., 1], expected_product, atol=1e-9)
    assert x.tobytes() == before


def test_central_differences_perturbs_a_strided_view_in_place():
    base = np.arange(6.0).reshape(2, 3)
    view = base.T  # not contiguous: a reshaped copy would never reach f
    derivatives = tg.finite_differences.central_differences(lambda: np.sum(base ** 2), view)
    np.testing.assert_allclose(derivatives, 2 * view, rtol=1e-8)


def test_check_derivative_computes_the_textbook_central_difference_bit_for_bit():
    f, eps = (lambda x: x ** 4 - 3 * x), 1e-6
    for x in (-1.3, 0.0, 0.7, 2.5):
        [mismatch] = tg.check_derivative(f, lambda x: 0.0, [x])  # 0 is f'(x) at none of these points
        assert mismatch.numeric == (f(x + eps) - f(x - eps)) / (2 * eps)


def test_within_tolerance_is_pytorchs_test_and_nan_fails():
    from tinygrad_edu.finite_differences import ATOL, RTOL, within_tolerance
    assert (ATOL, RTOL) == (1e-5, 1e-3)
    assert within_tolerance(1.0 + 0.9e-3, 1.0) and not within_tolerance(1.0 + 1.1e-3 + ATOL, 1.0)
    assert not within_tolerance(np.nan, 1.0) and not within_tolerance(1.0, np.nan)
