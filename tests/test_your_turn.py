"""The checks under the notebooks' "your turn" cells: they wait for an answer, accept a right one,
reject a wrong one with a hint and never print the right answer; and the stationary points the
notebooks compute where runs stop."""

import numpy as np
import pytest

from tinygrad_edu.lecture import descent
from tinygrad_edu.lecture.your_turn import (
    check,
    check_iterates,
    check_taming_rate,
    check_zigzag_rate,
    unanswered,
)


def said(capsys) -> str:
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("answer, expected", [(..., True), ([1.0, ...], True), ((..., 2), True), (0.0, False),
                                              ([1.0, 2.0], False), (None, False)])
def test_unanswered_is_an_ellipsis_anywhere_in_the_answer(answer, expected):
    assert unanswered(answer) is expected


def test_check_waits_accepts_and_rejects_without_showing_the_answer(capsys):
    check("dL/dz", ..., np.array([0.5449]), hint="Use ŷ − y.")
    assert said(capsys) == "Your turn: dL/dz is still ... — write it in the cell above, run that cell, then this one."
    check("dL/dz", 0.54488, np.array([0.54489], dtype=np.float32), hint="Use ŷ − y.")
    assert said(capsys) == "✓ dL/dz = 0.5449: right."  # a float matches an array of one, to float32's digits
    check("dL/dz", 0.25, np.array([0.54489]), hint="Use ŷ − y.")
    out = said(capsys)
    assert out == "✗ dL/dz = 0.2500 is not right yet. Use ŷ − y." and "0.5449" not in out
    check("dL/dW", [0.2, 0.2, 0.2], np.array([[0.218, 0.218]]), hint="Scale h.")
    assert said(capsys) == "✗ dL/dW has 3 number(s), the answer has 2. Scale h."
    check("dL/dW", "0.218", np.array([0.218]), hint="")
    assert said(capsys).startswith("✓")  # what numpy reads as a number is one
    check("dL/dW", {"a": 1}, np.array([0.218]), hint="")
    assert said(capsys) == "✗ dL/dW: expected a number or an array of numbers, got dict"


def test_check_iterates_names_the_first_epoch_that_differs(capsys):
    expected = [-0.8, -0.1472, 0.311]
    check_iterates("momentum", [..., ..., ...], expected, hint="h")
    assert said(capsys).startswith("Your turn: momentum is still ...")
    check_iterates("momentum", [], expected, hint="h")
    assert said(capsys).startswith("Your turn:")
    check_iterates("momentum", list(expected), expected, hint="h")
    assert said(capsys) == "✓ momentum: all 3 epochs right."
    check_iterates("momentum", [-0.8, -0.15, 0.311], expected, hint="h")
    assert said(capsys) == "✗ momentum: x after epoch 01 is -0.15000, which is not right yet. h"
    check_iterates("momentum", expected[:2], expected, hint="h")
    assert said(capsys) == "✗ momentum: 2 epochs, expected 3. h"


@pytest.mark.parametrize("lr, verdict", [(0.75, "✓ with η = 0.75 x changes sign at every step"),
                                         (0.55, "✓"), (0.3, "✗ with η = 0.3 x does not change sign"),
                                         (0.5, "✗ with η = 0.5 x does not change sign"),  # lands on 0 at once
                                         (1.0, "✗ with η = 1 x changes sign but grows"),  # flips forever
                                         (1.5, "✗ with η = 1.5 x changes sign but grows"), (..., "Your turn:")])
def test_the_zigzag_rate_is_one_between_a_half_and_one(capsys, lr, verdict):
    check_zigzag_rate(lr)
    assert said(capsys).startswith(verdict)


@pytest.mark.parametrize("lr, verdict", [(0.05, "✓"), (0.03, "✓"),
                                         (0.1, "✗ with η = 0.1 Nesterov still diverges (diverged at epoch 03"),
                                         (0.09, "✗ with η = 0.09 x ends at -1.2322"),  # the left valley
                                         (..., "Your turn: tamed_lr")])
def test_the_taming_rate_must_reach_the_lowest_point(capsys, lr, verdict):
    check_taming_rate(lr)
    assert said(capsys).startswith(verdict)


def test_the_stationary_points_are_the_roots_of_each_derivative():
    # Expected values: the real roots of the two cubics, 4x³ + 3x² − 4x (the deck's) and 4x³ + 3x² − 4x − 2.
    deck = np.sort(np.roots([4.0, 3.0, -4.0, 0.0]).real)
    true = np.sort(np.roots([4.0, 3.0, -4.0, -2.0]).real)
    np.testing.assert_allclose(descent.stationary_points(descent.slide_derivative), deck, atol=1e-12)
    np.testing.assert_allclose(descent.stationary_points(descent.autograd_derivative(descent.quartic)), true,
                               atol=1e-12)
    second = np.polyval([12.0, 6.0, -4.0], true)  # f''
    np.testing.assert_allclose(descent.minimisers(descent.quartic), true[second > 0], atol=1e-12)
    assert descent.stationary_points(lambda x: x * x + 1) == []
