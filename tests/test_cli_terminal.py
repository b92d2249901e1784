"""The command line on any terminal, stopped at any moment: a terminal that cannot show the deck's
symbols gets them spelled in ASCII (exit codes unchanged, never a traceback); Ctrl-C exits 130 with
one line; ``--ranksep`` is a positive finite number; ``--out`` naming a folder writes inside it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from support import needs_dot, svg_node_titles

import tinygrad_edu as tg
from tinygrad_edu import cli, terminal
from tinygrad_edu.course import cli as course_cli
from tinygrad_edu.lecture import descent, iris


def run(*arguments: str, encoding: str = "ascii", cwd=None) -> subprocess.CompletedProcess:
    """``python -m tinygrad_edu ARGUMENTS`` on a terminal of ``encoding``; output kept as bytes."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *arguments], env=env, cwd=cwd,
                          capture_output=True, timeout=300)


# ---------------------------------------------------------------- a terminal without Unicode

COMMANDS = {  # arguments → the exit code they give on any terminal (check-derivative finds the slide's error)
    "tour": (["tour", "--out-dir", "{tmp}/pictures"], 0),
    "optimize": (["optimize", "--rule", "nesterov", "--epochs", "3"], 0),
    "check-derivative": (["check-derivative"], 1),
    "train-iris": (["train-iris", "--epochs", "5"], 0),
    "graph": (["graph", "--out", "{tmp}/mlp.svg"], 0),
    "page": (["page", "--out", "{tmp}/backward.html"], 0),
    "exercises start": (["exercises", "start", "{tmp}/workspace"], 0),
    "help": (["--help"], 0),
    **{f"{command} --help": ([command, "--help"], 0)
       for command in ("tour", "optimize", "train-iris", "check-derivative", "graph", "page", "exercises")},
}


@pytest.mark.parametrize("arguments, code", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_prints_in_ascii_on_an_ascii_terminal(arguments, code, tmp_path):
    result = run(*(argument.format(tmp=tmp_path) for argument in arguments))
    assert result.returncode == code, result.stderr.decode("ascii", "replace")
    assert b"Traceback" not in result.stderr and result.stderr == b""
    text = result.stdout.decode("ascii")  # every byte ASCII
    assert "\\u" not in text and "\\x" not in text  # every symbol the command prints has a spelling


def test_the_spellings_read_as_the_slides_write_them_by_hand():
    result = run("optimize", "--rule", "momentum", "--epochs", "1")
    lines = result.stdout.decode("ascii").splitlines()
    assert lines[0] == ("GD with momentum on f(x) = x^4 + x^3 - 2x^2 - 2x + 2 with the slide's derivative "
                        "4x^3 + 3x^2 - 4x (it drops the -2)")
    assert lines[1] == "x_0 = -2.0, eta = 0.1, gamma = 0.8, 1 epochs"


def test_the_tour_marks_each_value_ok_or_fail(tmp_path):
    out = run("tour", "--out-dir", str(tmp_path)).stdout.decode("ascii")
    assert out.splitlines()[1].startswith("ok means the same digits at the slide's precision.")
    assert re.search(r"#parameters \(title slide\) +12 +slide 12 +ok$", out, re.MULTILINE)


def test_a_windows_code_page_keeps_what_it_has_and_spells_the_rest():
    out = run("optimize", "--rule", "gd", "--epochs", "1", encoding="cp1252").stdout.decode("cp1252")
    assert out.startswith("Gradient descent on f(x) = x^4 + x³ - 2x² - 2x + 2")  # cp1252 has ³ and ², not ⁴ or −


def test_a_utf8_terminal_still_gets_the_symbols():
    out = run("optimize", "--rule", "gd", "--epochs", "1", encoding="utf-8").stdout.decode("utf-8")
    assert out.startswith("Gradient descent on f(x) = x⁴ + x³ − 2x² − 2x + 2")


@pytest.mark.parametrize("text, ascii", [
    ("x⁴ + x³ − 2x²", "x^4 + x^3 - 2x^2"), ("10⁻⁶", "10^-6"), ("x₀, wᵢⱼ", "x_0, w_ij"),
    ("η γ σ λ", "eta gamma sigma lambda"),
    ("Σ Δ", "sum Delta"), ("∂ŷ/∂z", "dy_hat/dz"), ("✓ ✗ → ← ≤ ≥ ± ∞ …", "ok FAIL -> <- <= >= +/- inf ..."),
    ("Wᵀ", "W^T"), ("café", "cafe"), ("🙂", "\\U0001f642"), ("\ud800", "\\ud800"),
])
def test_each_symbol_is_spelled_as_typed_in_ascii(text, ascii):
    assert text.encode("ascii", terminal.ERRORS).decode("ascii") == ascii


def test_a_stream_whose_errors_were_chosen_lenient_is_left_alone():
    import io

    chosen = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="replace")
    terminal.spell_in_ascii(chosen)
    assert chosen.errors == "replace"
    strict = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    terminal.spell_in_ascii(strict)
    strict.write("η ✓\n")
    strict.flush()
    assert strict.buffer.getvalue() == b"eta ok\n"


# ---------------------------------------------------------------- Ctrl-C

def interrupt(*arguments, **keywords) -> None:
    raise KeyboardInterrupt


WORK = {  # command → (where its work is done, the attribute to replace, arguments)
    "tour": (cli, "tour", ["tour", "--out-dir", "{tmp}"]),
    "optimize": (descent, "run", ["optimize", "--rule", "gd"]),
    "train-iris": (iris, "train_iris", ["train-iris"]),
    "check-derivative": (tg, "check_derivative", ["check-derivative"]),
    "graph": (cli, "write_slide_graph", ["graph", "--out", "{tmp}/mlp.svg"]),
    "page": (tg, "write_backward_page", ["page", "--out", "{tmp}/backward.html"]),
    "exercises": (course_cli, "start", ["exercises", "start", "{tmp}/workspace"]),
}


@pytest.mark.parametrize("module, name, arguments", WORK.values(), ids=WORK.keys())
def test_ctrl_c_in_any_command_exits_130_with_one_line(module, name, arguments, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(module, name, interrupt)
    code = cli.main([argument.format(tmp=tmp_path) for argument in arguments])
    err = capsys.readouterr().err
    assert code == 130 and err == f"tinygrad-edu {arguments[0]}: interrupted\n"


def test_a_ctrl_c_that_lands_in_a_finalizer_still_stops_the_command(monkeypatch, capsys):
    """Python prints and drops an exception raised in a __del__ or a gc callback (hypothesis, which
    the exercises' grader runs, keeps one): the command ran on to exit 0 with 'Exception ignored'."""
    class InterruptedWhileFreed:
        def __del__(self):
            raise KeyboardInterrupt

    def work(*arguments, **keywords):
        InterruptedWhileFreed()  # freed at once: Ctrl-C lands in its __del__
        for _ in range(500):  # the rest of the work, which the Ctrl-C must stop
            time.sleep(0.01)
        raise AssertionError("the interrupt was lost")

    monkeypatch.setattr(descent, "run", work)
    hook = sys.unraisablehook
    assert cli.main(["optimize", "--rule", "gd"]) == 130
    assert capsys.readouterr().err == "tinygrad-edu optimize: interrupted\n"
    assert sys.unraisablehook is hook  # put back for code that calls main in its own process


def test_ctrl_c_while_a_file_is_written_leaves_no_file_and_no_temporary(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(os, "fsync", interrupt)  # the page is written, not yet in place
    assert cli.main(["page", "--out", str(tmp_path / "backward.html")]) == 130
    assert list(tmp_path.iterdir()) == []


def test_a_real_sigint_during_training_exits_130_with_one_line():
    process = subprocess.Popen([sys.executable, "-m", "tinygrad_edu", "train-iris", "--epochs", "1000000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("Iris: MLP 4-16-3")  # training has begun
        assert process.stdout.readline().startswith("epoch ")  # and reports progress
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130 and err == "tinygrad-edu train-iris: interrupted\n"


# ---------------------------------------------------------------- --ranksep and --out

@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "nan", "0", "-0.5"])
def test_ranksep_must_be_a_positive_finite_number(value, tmp_path, capsys):
    assert cli.main(["graph", "--out", str(tmp_path / "mlp.svg"), f"--ranksep={value}"]) == 2
    parsed = float(value)
    assert capsys.readouterr().err == ("tinygrad-edu graph: error: --ranksep must be a positive number of inches "
                                       f"(finite), got {parsed}\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["pictures", "a_folder.svg"])
def test_graph_out_naming_a_folder_writes_mlp_svg_inside_it(tmp_path, capsys, folder):
    (tmp_path / folder).mkdir()
    assert cli.main(["graph", "--out", str(tmp_path / folder)]) == 0
    assert capsys.readouterr().out == f"{tmp_path / folder / 'mlp.svg'}\n"
    assert [p.name for p in tmp_path.iterdir()] == [folder]  # nothing beside it, as before
    assert "v0" in svg_node_titles((tmp_path / folder / "mlp.svg").read_bytes())


@needs_dot
def test_graph_out_naming_a_folder_with_format_png_writes_mlp_png_inside_it(tmp_path, capsys):
    assert cli.main(["graph", "--out", str(tmp_path), "--format", "png"]) == 0
    assert (tmp_path / "mlp.png").read_bytes().startswith(b"\x89PNG")


def test_an_out_ending_in_a_slash_that_does_not_exist_is_one_error_line(tmp_path, capsys):
    for command in ("graph", "page"):
        assert cli.main([command, "--out", f"{tmp_path}/missing/"]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and f"error: cannot write --out '{tmp_path}/missing/'" in err
    assert list(tmp_path.iterdir()) == []


def test_page_out_naming_a_folder_writes_backward_html_inside_it(tmp_path, capsys):
    assert cli.main(["page", "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["backward.html"]


@pytest.mark.parametrize("command, name", [("graph", "mlp.svg"), ("page", "backward.html")])
def test_help_says_what_a_folder_out_does(command, name, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    assert f"a folder (one that exists, or a path ending in /) gets {name}" in " ".join(capsys.readouterr().out.split())
