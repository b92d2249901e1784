"""The sub-commands: each one's happy path, a usage error (usage line, one error line, exit 2), --help."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_tinygrad_edu

from tinygrad_edu.lecture.expected import GD_PARABOLA_TABLE, MOMENTUM_QUARTIC_TABLE, NESTEROV_QUARTIC_TABLE
from tinygrad_edu.lecture.progress import ProgressLine

COMMANDS = ("tour", "optimize", "train-iris", "check-derivative", "curvature", "graph", "page")


def assert_usage_error(result, command: str, message: str):
    """argparse's usage line(s), then exactly one error line; no traceback, nothing on stdout."""
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"usage: tinygrad-edu {command}".rstrip())
    assert lines[-1].startswith(f"tinygrad-edu {command}".rstrip() + ": error: ") and message in lines[-1]
    assert sum("error:" in line for line in lines) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = run_tinygrad_edu(command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: tinygrad-edu {command}")


def test_an_unknown_command_is_a_usage_error():
    assert_usage_error(run_tinygrad_edu("bogus"), "", "invalid choice: 'bogus'")


def test_optimize_defaults_to_the_slides_quartic_table():
    result = run_tinygrad_edu("optimize", "--rule", "nesterov")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2:] == NESTEROV_QUARTIC_TABLE.splitlines()
    assert "γ = 0.9" in result.stdout and "slide's derivative" in result.stdout


def test_optimize_momentum_defaults_to_gamma_0_8():
    result = run_tinygrad_edu("optimize", "--rule", "momentum")
    assert result.stdout.splitlines()[2:] == MOMENTUM_QUARTIC_TABLE.splitlines()


def test_optimize_gd_on_the_parabola_prints_the_slides_table():
    result = run_tinygrad_edu("optimize", "--rule", "gd", "--objective", "parabola")
    assert result.stdout.splitlines()[2:] == GD_PARABOLA_TABLE.splitlines()


def test_optimize_nesterov_with_the_true_derivative_stops_when_it_diverges():
    result = run_tinygrad_edu("optimize", "--rule", "nesterov", "--objective", "quartic")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2].startswith("Epoch: 03 -- f(50.168) = ")
    assert lines[-1].startswith("diverged at epoch 03: x = 50.17")


def test_optimize_takes_start_lr_and_epochs():
    result = run_tinygrad_edu("optimize", "--rule", "gd", "--objective", "parabola", "--start", "1",
                              "--lr", "0.25", "--epochs", "2")
    assert result.stdout.splitlines()[2:] == ["Epoch: 00 -- f(0.500) = 0.25000", "Epoch: 01 -- f(0.250) = 0.06250"]


def test_optimize_momentum_with_gd_is_a_usage_error():
    result = run_tinygrad_edu("optimize", "--rule", "gd", "--momentum", "0.5")
    assert_usage_error(result, "optimize", "--momentum does not apply to --rule gd")


@pytest.mark.parametrize("arguments, message", [
    (["--rule", "adam"], "invalid choice: 'adam'"),
    ([], "the following arguments are required: --rule"),
    (["--rule", "momentum", "--momentum", "1"], "argument --momentum: must be in [0, 1)"),
    (["--rule", "gd", "--lr", "-0.1"], "argument --lr: must be in (0, 10], got -0.1"),
    (["--rule", "gd", "--epochs", "many"], "argument --epochs: not a whole number"),
])
def test_optimize_rejects_bad_arguments(arguments, message):
    assert_usage_error(run_tinygrad_edu("optimize", *arguments), "optimize", message)


def test_train_iris_piped_prints_plain_progress_lines_then_accuracy_and_confusion():
    result = run_tinygrad_edu("train-iris", "--epochs", "40")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout
    lines = result.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines[1:3]] == ["epoch 20/40", "epoch 40/40"]
    assert lines[3].startswith("test accuracy: ") and lines[3].count("/30 = ") == 1
    assert lines[5].split() == ["true", "\\", "predicted", "setosa", "versicolor", "virginica"]
    assert sum(int(n) for line in lines[6:9] for n in line.split()[1:]) == 30


def test_train_iris_rejects_a_negative_seed():
    assert_usage_error(run_tinygrad_edu("train-iris", "--seed", "-1"), "train-iris", "must be from 0 to 4,294,967,295")


def test_check_derivative_prints_each_mismatch_of_the_slides_derivative_and_exits_1():
    result = run_tinygrad_edu("check-derivative")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "at x = -2: the given derivative is -12, the numeric derivative is -14"
    assert len([line for line in lines if line.startswith("at x = ")]) == 6
    assert lines[-1].startswith("6 of 6 points disagree.")


def test_check_derivative_takes_points():
    result = run_tinygrad_edu("check-derivative", "--points", "0.5", "-1")
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[1:3]] == ["at x = 0.5", "at x = -1"]


def test_check_derivative_rejects_a_point_that_is_not_a_number():
    result = run_tinygrad_edu("check-derivative", "--points", "-2", "two")
    assert_usage_error(result, "check-derivative", "argument --points: not a number: 'two'")


def test_the_tinygrad_edu_console_script_runs():
    script = Path(sys.executable).parent / "tinygrad-edu"
    if not script.exists():
        pytest.skip("the tinygrad-edu script is not installed next to this Python (pip install .)")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.returncode == 0 and result.stdout.startswith("tinygrad_edu ")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_in_a_terminal_rewrites_one_line():
    terminal = Terminal()
    progress = ProgressLine(3, terminal)
    for step, text in enumerate(["epoch 1 loss 1.00", "epoch 2 loss 0.5", "epoch 3 loss 0.25"], start=1):
        progress.update(step, text)
    progress.close()
    assert terminal.getvalue() == "\repoch 1 loss 1.00\repoch 2 loss 0.5 \repoch 3 loss 0.25\n"


def test_progress_piped_prints_every_nth_line_and_the_last():
    piped = io.StringIO()
    progress = ProgressLine(5, piped, every=2)
    for step in range(1, 6):
        progress.update(step, f"step {step}")
    progress.close()
    assert piped.getvalue() == "step 2\nstep 4\nstep 5\n"
