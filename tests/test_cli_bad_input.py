"""The command line's exit codes, for every command: 0 done; 1 the check ran and found something
wrong; 2 a usage or I/O error, said in one line on stderr, never a traceback.

Each row: the arguments, the exit code, and a regex for the one error line. Most rows run
``main`` in this process (an uncaught exception would fail the test, as a traceback would);
``test_a_few_rows_end_to_end`` runs some as a user would, in a fresh interpreter.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from support import run_tinygrad_edu

from tinygrad_edu import cli
from tinygrad_edu.lecture import descent, iris

TWENTY_ONE_DIGITS = "1" * 21

USAGE_ERRORS = {  # argparse's: the usage line, then one error line naming the argument and what was expected
    "unknown command": (["bogus"], r"argument command: invalid choice: 'bogus'"),
    "epochs 21 digits": (["optimize", "--rule", "gd", "--epochs", TWENTY_ONE_DIGITS],
                         r"argument --epochs: must be from 1 to 1,000,000, got 1{21}$"),
    "epochs 0": (["optimize", "--rule", "gd", "--epochs", "0"], r"argument --epochs: must be from 1 to 1,000,000"),
    "epochs 1.5": (["optimize", "--rule", "gd", "--epochs", "1.5"], r"argument --epochs: not a whole number: '1\.5'"),
    "lr inf": (["optimize", "--rule", "gd", "--lr", "inf"], r"argument --lr: must be a finite number, got inf"),
    "lr nan": (["optimize", "--rule", "gd", "--lr", "nan"], r"argument --lr: must be a finite number, got nan"),
    "lr 0": (["optimize", "--rule", "gd", "--lr", "0"], r"argument --lr: must be in \(0, 10\], got 0"),
    "lr 10.5": (["optimize", "--rule", "gd", "--lr", "10.5"], r"argument --lr: must be in \(0, 10\], got 10\.5"),
    "lr 1e300": (["optimize", "--rule", "gd", "--lr", "1e300"], r"argument --lr: must be in \(0, 10\]"),
    "start 1e308": (["optimize", "--rule", "gd", "--start", "1e308"],
                    r"argument --start: must be between -1,000,000 and 1,000,000, got 1e308"),
    "start -1e7": (["optimize", "--rule", "gd", "--start=-1e7"], r"argument --start: must be between"),
    "start nan": (["optimize", "--rule", "gd", "--start", "nan"], r"argument --start: must be a finite number"),
    "start -inf": (["optimize", "--rule", "gd", "--start=-inf"], r"argument --start: must be a finite number"),
    "momentum -0.1": (["optimize", "--rule", "momentum", "--momentum", "-0.1"],
                      r"argument --momentum: must be in \[0, 1\), got -0\.1$"),
    "momentum 1": (["optimize", "--rule", "nesterov", "--momentum", "1"], r"argument --momentum: must be in \[0, 1\)"),
    "momentum nan": (["optimize", "--rule", "momentum", "--momentum", "nan"],
                     r"argument --momentum: must be a finite number"),
    "momentum with gd": (["optimize", "--rule", "gd", "--momentum", "0.5"], r"--momentum does not apply to --rule gd"),
    "rule adam": (["optimize", "--rule", "adam"], r"argument --rule: invalid choice: 'adam'"),
    "hidden 2e9": (["train-iris", "--hidden", "2000000000"],
                   r"argument --hidden: must be from 1 to 4,096, got 2000000000"),
    "hidden 0": (["train-iris", "--hidden", "0"], r"argument --hidden: must be from 1 to 4,096"),
    "iris epochs 21 digits": (["train-iris", "--epochs", TWENTY_ONE_DIGITS], r"argument --epochs: must be from 1 to"),
    "iris lr inf": (["train-iris", "--lr", "inf"], r"argument --lr: must be a finite number"),
    "iris lr 1e300": (["train-iris", "--lr", "1e300"], r"argument --lr: must be in \(0, 10\]"),
    "iris momentum -0.1": (["train-iris", "--momentum", "-0.1"], r"argument --momentum: must be in \[0, 1\)"),
    "seed -1": (["train-iris", "--seed", "-1"], r"argument --seed: must be from 0 to 4,294,967,295, got -1"),
    "seed 2**32": (["train-iris", "--seed", str(2**32)], r"argument --seed: must be from 0 to 4,294,967,295"),
    "points 1e300": (["check-derivative", "--points", "1", "1e300"],
                     r"argument --points: must be between -1,000,000 and 1,000,000, got 1e300"),
    "points nan": (["check-derivative", "--points", "nan"], r"argument --points: must be a finite number, got nan"),
    "points inf": (["check-derivative", "--points", "inf"], r"argument --points: must be a finite number, got inf"),
    "points two": (["check-derivative", "--points", "two"], r"argument --points: not a number: 'two'"),
    "points none": (["check-derivative", "--points"], r"argument --points: expected at least one argument"),
    "graph format": (["graph", "--format", "gif"], r"argument --format: invalid choice: 'gif'"),
    "page model": (["page", "--model", "resnet"], r"argument --model: invalid choice: 'resnet'"),
    "curvature out-dir missing": (["curvature", "--out-dir"], r"argument --out-dir: expected one argument"),
    "curvature unknown option": (["curvature", "--rate", "2"], r"unrecognized arguments: --rate 2"),
}


def run_main(argv: list, capsys) -> tuple[int, str, str]:
    """``main(argv)`` in this process: (exit code, stdout, stderr)."""
    try:
        code = cli.main(argv)
    except SystemExit as exit:  # argparse's usage errors, --help
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(stderr: str, message: str):
    lines = stderr.splitlines()
    assert "Traceback" not in stderr
    assert sum("error:" in line for line in lines) == 1, stderr
    assert re.search(message, lines[-1]), lines[-1]


@pytest.mark.parametrize("argv, message", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_a_bad_argument_exits_2_with_one_line_naming_it(argv, message, capsys):
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("usage: tinygrad-edu")
    assert_one_error_line(err, message)
    assert "never forgets" not in err


IO_ERRORS = {  # one line on stderr, no usage line: the arguments were right, the file system said no
    "graph inside a file": ["graph", "--out", "{tmp}/a_file/mlp"],
    "page into a missing folder": ["page", "--out", "{tmp}/no_such_folder/backward.html"],
}


@pytest.mark.parametrize("argv", IO_ERRORS.values(), ids=IO_ERRORS.keys())
def test_an_io_error_exits_2_with_one_line_naming_the_path(argv, tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    code, _, err = run_main([part.format(tmp=tmp_path) for part in argv], capsys)
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert re.search(r"error: .*(a_file|no_such_folder)", err), err


def test_an_os_error_of_any_command_is_one_line_and_exit_2(monkeypatch, capsys):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(descent, "run", disk_full)
    code, _, err = run_main(["optimize", "--rule", "gd"], capsys)
    assert code == 2 and err == "tinygrad-edu optimize: error: [Errno 28] No space left on device\n"


# ---------------------------------------------------------------- results: 0 done, 1 the check found something wrong

def test_check_derivative_exits_1_when_a_point_disagrees(capsys):
    code, out, err = run_main(["check-derivative", "--points", "0.5"], capsys)
    assert code == 1 and err == ""
    assert out.splitlines()[-1].startswith("1 of 1 points disagree.")


def test_check_derivative_exits_0_only_when_every_point_agrees(monkeypatch, capsys):
    monkeypatch.setattr(descent, "slide_derivative", descent.autograd_derivative(descent.quartic))
    code, out, _ = run_main(["check-derivative", "--points", "-2", "0.5", "1"], capsys)
    assert code == 0 and out.splitlines()[-1] == "f' agrees with the central difference at all 3 points."


@pytest.mark.parametrize("rule, title", [("gd", "Gradient descent"), ("momentum", "GD with momentum"),
                                         ("nesterov", "Nesterov momentum")])
def test_optimize_names_each_rule_as_the_slides_do(rule, title, capsys):
    code, out, _ = run_main(["optimize", "--rule", rule, "--epochs", "1"], capsys)
    assert code == 0 and out.startswith(f"{title} on f(x) = ")


def test_optimize_at_the_largest_start_and_lr_diverges_in_one_line_and_exits_0(capsys):
    code, out, err = run_main(["optimize", "--rule", "momentum", "--objective", "quartic", "--start=-1e6",
                               "--lr", "10", "--momentum", "0.99", "--epochs", "1000000"], capsys)
    assert code == 0 and err == ""  # no overflow warning either
    last = out.splitlines()[-1]
    assert re.fullmatch(r"diverged at epoch \d\d: x = .*, f\(x\) = .*", last), last


def test_optimize_converging_from_far_away_is_not_called_divergent(capsys):
    code, out, _ = run_main(["optimize", "--rule", "gd", "--objective", "parabola", "--start", "1e6",
                             "--epochs", "3"], capsys)
    assert code == 0 and "diverged" not in out
    assert out.splitlines()[-1].startswith("Epoch: 02 -- f(512000.000) = 26214400000")


def test_train_iris_that_diverges_says_so_in_one_line_and_exits_0(monkeypatch, capsys):
    train = iris.train_iris

    def far_too_large_a_step(epochs, hidden, lr, momentum, seed, on_epoch=None):  # beyond --lr's bound of 10
        return train(epochs, hidden, 1e40, momentum, seed, on_epoch=on_epoch)

    monkeypatch.setattr(iris, "train_iris", far_too_large_a_step)
    code, out, err = run_main(["train-iris", "--epochs", "50"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == "diverged at epoch 2: loss = nan"
    assert "test accuracy" not in out


def test_train_iris_reports_the_epoch_its_loss_became_nan():
    result = iris.train_iris(epochs=10, lr=1e40)
    assert result.diverged_at == 2 and len(result.losses) == 2 and np.isnan(result.losses[-1])
    assert iris.train_iris(epochs=3).diverged_at is None


@pytest.mark.parametrize("command, bounds", [
    ("optimize", ["0 < η ≤ 10", "0 ≤ γ < 1", "1 to 1,000,000", "|x₀| ≤ 1,000,000"]),
    ("train-iris", ["0 < η ≤ 10", "0 ≤ γ < 1", "1 to 1,000,000", "1 to 4,096", "0 to 4,294,967,295"]),
    ("check-derivative", ["|X| ≤ 1,000,000", "Exit code 0", "1 if they disagree"]),
])
def test_each_help_states_its_bounds(command, bounds, capsys):
    code, out, _ = run_main([command, "--help"], capsys)
    flat = " ".join(out.split())
    assert code == 0 and [bound for bound in bounds if bound not in flat] == []


@pytest.mark.parametrize("argv, code, message", [
    (["optimize", "--rule", "gd", "--epochs", TWENTY_ONE_DIGITS], 2, r"must be from 1 to 1,000,000"),
    (["train-iris", "--hidden", "2000000000"], 2, r"must be from 1 to 4,096"),
    (["check-derivative", "--points", "1e300"], 2, r"must be between"),
    (["check-derivative"], 1, None),
])
def test_a_few_rows_end_to_end(argv, code, message):
    result = run_tinygrad_edu(*argv)
    assert result.returncode == code and "Traceback" not in result.stderr
    if message is None:
        assert result.stderr == ""
    else:
        assert_one_error_line(result.stderr, message)
