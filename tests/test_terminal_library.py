"""The library's own printing on any terminal: ``print_trace``, ``summary``, the regressions, the notebooks'
checks, the tour and Part 4's report spell in ASCII what the stream's encoding cannot show, as the command
line does (``terminal.py``), instead of stopping with UnicodeEncodeError; the user's ``sys.stdout`` is left
as it was, and a stream that can show the symbols still gets them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from tinygrad_edu import terminal

# Each script ends by printing ŷ itself: on an ASCII stream that the library left as it was, that raises.
LEFT_AS_IT_WAS = """
try:
    print("\\u0177")
except UnicodeEncodeError:
    print("sys.stdout left as it was")
"""

TRACE = """
import tinygrad_edu as tg
x = tg.Value(2.0, requires_grad=True, name="x")
y_hat = (x * x).sigmoid()
y_hat.name = "\\u0177"
tg.print_trace(tg.trace_backward(y_hat))
"""

LIBRARY = {  # what prints → (its script, a line it prints on an ASCII terminal)
    "print_trace": (TRACE, "sigmoid: dL/dv1 = dy_hat/dv1 = 0.0177"),
    "summary": ("""
        import tinygrad_edu as tg
        from tinygrad_edu import nn
        Sigma = type("\\u03a3", (nn.Module,), {"forward": lambda self, x: x})
        tg.summary(nn.Sequential(Sigma()), (2,))
        """, "                 sum-1                    [-1, 2]               0"),  # Σ padded, then spelled
    "train_sample_by_sample": ("""
        import numpy as np
        import tinygrad_edu as tg
        from tinygrad_edu.lecture.regression import train_sample_by_sample
        theta = tg.Value(np.zeros(2), dtype=np.float64, requires_grad=True)
        inputs, targets = np.array([[1.0, 0.5], [1.0, -0.5]]), np.array([1.0, 0.0])
        train_sample_by_sample(theta, inputs, targets, lambda x: (x @ theta).sigmoid(),
                               lambda y_hat, y: -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()),
                               lambda x, y_hat, y: x * (y_hat - y), "x(\\u0177 \\u2212 y)",
                               lambda y_hat: (0.0, 1.0), lr=0.1, epochs=1)
        """, "Autograd's gradtheta L and the slide's x(y_hat - y) agree at all 2 steps."),
    "your_turn.check": ("""
        from tinygrad_edu.lecture.your_turn import check
        check("w", 0.25, 0.25, "hint")
        """, "ok w = 0.2500: right."),
    "tour": ("""
        from pathlib import Path
        from tinygrad_edu.lecture import expected, tour
        tour.write_graph = tour.write_trajectories = lambda out_dir: "(not drawn)"  # only the text is tested
        tour.tour(Path("."), expected.EXPECTED)
        """, "ok means the same digits at the slide's precision. Inputs the slides set (x = [1, 2], the weights "
             "0.1, x_0 = -2.0, eta, gamma) are not counted."),
    "curvature_report": ("""
        from tinygrad_edu.lecture import curvature_report
        curvature_report.report(None)
        """, "69/69 values agree with their closed forms"),
}


def run_script(script: str, encoding: str, cwd) -> subprocess.CompletedProcess:
    """``python -c SCRIPT`` (ŷ and friends written as escapes) on a terminal of ``encoding``; output as bytes."""
    code = textwrap.dedent(script) + LEFT_AS_IT_WAS
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONIOENCODING": encoding},
                          cwd=cwd, capture_output=True, timeout=120)


@pytest.mark.parametrize("script, line", LIBRARY.values(), ids=LIBRARY.keys())
def test_the_library_prints_in_ascii_on_an_ascii_terminal_and_leaves_its_stdout_alone(script, line, tmp_path):
    result = run_script(script, "ascii", tmp_path)
    assert result.returncode == 0 and result.stderr == b"", result.stderr.decode("ascii", "replace")
    lines = result.stdout.decode("ascii").splitlines()  # every byte ASCII
    assert line in lines
    assert not any("\\u" in text or "\\x" in text for text in lines)  # every symbol printed has a spelling
    assert lines[-1] == "sys.stdout left as it was"


def test_print_trace_on_an_ascii_terminal_reads_as_written_by_hand(tmp_path):
    result = run_script(TRACE, "ascii", tmp_path)
    assert result.stdout.decode("ascii").splitlines()[:3] == [
        "sigmoid: dL/dv1 = dy_hat/dv1 = 0.0177",
        "mul: dL/dx = dL/dv1 * dv1/dx = 0.0177 * 2. = 0.0353",
        "mul: dL/dx = dL/dv1 * dv1/dx = 0.0177 * 2. = 0.0353",
    ]


def test_print_trace_on_a_utf8_terminal_still_gets_the_symbols(tmp_path):
    result = run_script(TRACE, "utf-8", tmp_path)
    assert result.returncode == 0
    assert result.stdout.decode("utf-8").splitlines() == [
        "sigmoid: dL/dv1 = ∂ŷ/∂v1 = 0.0177",
        "mul: dL/dx = dL/dv1 · ∂v1/∂x = 0.0177 · 2. = 0.0353",
        "mul: dL/dx = dL/dv1 · ∂v1/∂x = 0.0177 · 2. = 0.0353",
        "ŷ",  # the stream can show it: nothing raised
    ]


def stream(encoding: str, errors: str = "strict") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors)


def written(out: io.TextIOWrapper) -> bytes:
    out.flush()
    return out.buffer.getvalue()


def test_write_line_spells_only_what_the_encoding_lacks_and_changes_no_stream():
    cp1252 = stream("cp1252")
    terminal.write_line("x⁴ + x³ − 2x², ∂ŷ/∂z", cp1252)
    assert written(cp1252) == "x^4 + x³ - 2x², dy_hat/dz\n".encode("cp1252")  # cp1252 has ³ and ², not ⁴
    assert cp1252.errors == "strict"
    utf8 = stream("utf-8")
    terminal.write_line("∂ŷ/∂z ✓", utf8)
    assert written(utf8) == "∂ŷ/∂z ✓\n".encode()


def test_write_line_keeps_the_errors_a_stream_was_given_and_writes_text_to_a_text_only_stream():
    chosen = stream("ascii", errors="replace")  # whoever chose replace gets replace, as spell_in_ascii leaves it
    terminal.write_line("η ✓", chosen)
    assert written(chosen) == b"? ?\n"
    text_only = io.StringIO()  # no encoding: nothing to spell
    terminal.write_line("η ✓", text_only)
    assert text_only.getvalue() == "η ✓\n"


def test_write_line_writes_to_sys_stdout_as_it_is_when_called(capsys):
    terminal.write_line("∂ŷ")
    assert capsys.readouterr().out == "∂ŷ\n"
