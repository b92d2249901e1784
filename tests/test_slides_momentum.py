"""Parts 2–3 of the lecture, computed by tinygrad_edu.lecture.descent, against the slides' printed numbers."""

import math

import numpy as np
import pytest

from tinygrad_edu.lecture import descent, expected


@pytest.mark.parametrize("rule, objective, derivative, momentum, printed", [
    ("gd", descent.parabola, descent.parabola_derivative, 0.0, expected.GD_PARABOLA_TABLE),
    ("gd", descent.quartic, descent.slide_derivative, 0.0, expected.GD_QUARTIC_TABLE),
    ("momentum", descent.quartic, descent.slide_derivative, 0.8, expected.MOMENTUM_QUARTIC_TABLE),
    ("nesterov", descent.quartic, descent.slide_derivative, 0.9, expected.NESTEROV_QUARTIC_TABLE),
])
def test_run_with_the_slides_derivative_prints_the_slides_table(rule, objective, derivative, momentum, printed):
    result = descent.run(rule, objective, derivative, momentum=momentum)
    assert result.rows() == printed.splitlines()
    assert result.diverged_at is None


def test_table_row_uses_the_slides_format():
    assert descent.table_row(9, 0.32749, 1.177734) == "Epoch: 09 -- f(0.327) = 1.17773"


def test_run_keeps_the_start_and_one_iterate_per_epoch():
    result = descent.run("gd", descent.parabola, descent.parabola_derivative, epochs=3)
    assert result.xs[0] == -2.0 and len(result.xs) == 4 and len(result.scores) == 4
    assert result.scores[0] == 4.0


def test_five_epoch_costs_are_the_slides():
    gd = descent.run("gd", descent.quartic, descent.slide_derivative, epochs=5)
    heavy = descent.run("momentum", descent.quartic, descent.slide_derivative, momentum=0.8, epochs=5)
    assert (f"{gd.scores[-1]:.2f}", f"{heavy.scores[-1]:.2f}") == ("2.05", "0.12")


def test_check_derivative_catches_the_slides_derivative_at_minus_two():
    mismatch = descent.first_mismatch()
    assert (mismatch.x, mismatch.given) == (-2.0, -12.0)
    assert mismatch.numeric == pytest.approx(-14.0, abs=1e-6)


def test_autograd_derivative_is_the_true_one_and_the_slides_misses_minus_two():
    true = descent.autograd_derivative(descent.quartic)
    for x in np.linspace(-2, 2, 9):
        assert true(x) == pytest.approx(4 * x**3 + 3 * x**2 - 4 * x - 2)
        assert descent.slide_derivative(x) - true(x) == pytest.approx(2.0)


def test_parabola_derivative_is_correct():
    assert descent.first_mismatch(descent.parabola, descent.parabola_derivative) is None


@pytest.mark.parametrize("rule, momentum, last_row", [
    ("gd", 0.0, "Epoch: 19 -- f(-1.232) = 1.86218"),
    ("momentum", 0.8, "Epoch: 19 -- f(1.025) = 0.02997"),
])
def test_true_derivative_runs_end_where_the_notes_say(rule, momentum, last_row):
    result = descent.run(rule, descent.quartic, momentum=momentum)
    assert result.rows()[-1] == last_row


def test_nesterov_with_the_true_derivative_diverges_at_epoch_three():
    result = descent.run("nesterov", descent.quartic, momentum=0.9)
    assert [f"{x:.3f}" for x in result.xs[1:]] == ["-0.600", "0.878", "-2.482", "50.168"]
    assert result.diverged_at == 3
    assert descent.divergence_note(result).startswith("diverged at epoch 03: x = 50.17")


def test_without_a_limit_nesterov_overflows_at_epoch_seven():
    result = descent.run("nesterov", descent.quartic, momentum=0.9, limit=math.inf)
    assert result.diverged_at == 7 and not math.isfinite(result.scores[-1])


def test_a_finite_run_has_no_divergence_note():
    assert descent.divergence_note(descent.run("gd", descent.parabola, descent.parabola_derivative)) == ""


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown rule 'adam'"):
        descent.run("adam", descent.quartic)
