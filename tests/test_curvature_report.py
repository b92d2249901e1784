"""``tinygrad-edu curvature``: every value agrees with its closed form (exit 0), and a wrong value, a wrong
closed form or a wrong second derivative is caught (✗, exit 1); an --out-dir that cannot be a folder is
exit 2 with one line; the pictures are written."""

import contextlib
import io
import re

import numpy as np
import pytest
from support import run_tinygrad_edu

from tinygrad_edu import cli
from tinygrad_edu.lecture import curvature, curvature_report, curvature_runs

CHECK_LINE = re.compile(r"  (✓|✗)$")


def report() -> tuple[int, str]:
    """``curvature_report.report(None)``: its exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = curvature_report.report(None)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def printed():
    return report()


def marks(text: str) -> list[str]:
    return [match.group(1) for line in text.splitlines() if (match := CHECK_LINE.search(line))]


def test_every_value_agrees_with_its_closed_form(printed):
    code, text = printed
    found = marks(text)
    assert code == 0 and found and set(found) == {"✓"}
    assert f"\n{len(found)}/{len(found)} values agree with their closed forms\n" in text


def test_the_sections_cover_the_bowl_the_quartics_six_runs_and_newton(printed):
    _, text = printed
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    for name in ("The bowl", "d2l's runs", "Best settings", "The deck's quartic", "Newton's method"):
        assert any(heading.startswith(name) for heading in headings), name
    for rule in curvature_runs.RULE_NAMES.values():
        assert sum(heading.startswith(f"{rule} on the quartic") for heading in headings) == 2
    assert "what breaks it: the overshoot, not the curvature at the minimum" in text


def test_the_measured_rates_are_within_2_percent_and_the_polyak_remark_is_there(printed):
    _, text = printed
    rates = re.findall(r"rate, measured at t = (\d+)\s+([\d.]+)\s+.* = ([\d.]+)  ✓", text)
    assert len(rates) == 2
    for _, measured, predicted in rates:
        assert float(measured) == pytest.approx(float(predicted), rel=0.02)
    assert "(a + b·t)·ρᵗ" in text


def test_the_decks_runs_agree_with_the_tours_tables(printed):
    _, text = printed
    assert text.count("the tour's table: Epoch: 19") == 5  # Nesterov with the true derivative stops at epoch 03
    assert "the tour's table: diverged at epoch 03" in text


# ---------------------------------------------------------------- the checks can fail

POLYAK, DERIVATIVE = curvature.polyak, curvature.derivative


def polyak_with_too_much_momentum(hessian):
    tuning = POLYAK(hessian)
    return curvature.Tuning(tuning.lr, tuning.momentum * 1.1, tuning.rate)


def second_derivative_off_by_one(objective, x, order=1):
    return DERIVATIVE(objective, x, order) + (1.0 if order == 2 else 0.0)


WRONG = {
    "a closed form of the bowl": (curvature_runs, "BOWL_COEFFICIENTS", (0.1, 2.5)),
    "Polyak's momentum": (curvature, "polyak", polyak_with_too_much_momentum),
    "a second derivative": (curvature, "derivative", second_derivative_off_by_one),
    "the quartic's closed form": (curvature_runs, "QUARTIC", np.polynomial.Polynomial((2.0, -2.0, -2.0, 1.1, 1.0))),
    "the floor under a measured ratio": (curvature, "ERROR_FLOOR", 1e-3),
}


@pytest.mark.parametrize("module, name, wrong", WRONG.values(), ids=WRONG.keys())
def test_a_wrong_value_or_closed_form_is_marked_and_exits_1(monkeypatch, module, name, wrong):
    monkeypatch.setattr(module, name, wrong)
    code, text = report()
    assert code == 1
    assert "✗" in marks(text)


# ---------------------------------------------------------------- the command

def test_the_command_prints_the_report_and_draws_four_pictures(tmp_path):
    pytest.importorskip("matplotlib", reason="the pictures need matplotlib: pip install '.[plot]'")
    result = run_tinygrad_edu("curvature", "--out-dir", str(tmp_path / "pictures"))
    assert result.returncode == 0, result.stderr
    names = sorted(path.name for path in (tmp_path / "pictures").iterdir())
    assert names == ["curvature_bowl.png", "curvature_contraction.png", "curvature_quartic.png",
                     "curvature_rates.png"]
    assert all(str(tmp_path / "pictures" / name) in result.stdout for name in names)


def test_no_pictures_draws_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["curvature", "--no-pictures"]) == 0
    assert "Pictures" not in out.getvalue() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out_dir, words", [("", r"--out-dir must name a directory, got ''"),
                                            ("{file}/pictures", r"cannot write --out-dir '.*file/pictures'")])
def test_an_out_dir_that_cannot_be_a_folder_is_exit_2_in_one_line(tmp_path, capsys, out_dir, words):
    (tmp_path / "file").write_text("not a folder")
    assert cli.main(["curvature", "--out-dir", out_dir.format(file=tmp_path / "file")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and re.fullmatch(rf"tinygrad-edu curvature: error: {words}.*\n", captured.err)
