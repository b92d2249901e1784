"""The tour: every number the deck prints, computed here, beside the slide's own.

``python -m tinygrad_edu`` runs it. A value is reproduced (✓) when our number,
printed with as many decimals as the slide prints, is the same string as the
slide's; each printed number counts as one value. The deck computes its quartic
tables with a wrong derivative: those lines are reproduced the same way, and
marked ``deck f′`` with what the true derivative gives beside them. Then the tour
draws the slide network's graph and, where matplotlib is installed, the three
rules' trajectories on the quartic, and prints where it put them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..terminal import write_line
from . import descent, mlp
from .computed import computed_values, true_derivative_values
from .expected import GROUPS, SlideValue

CHECK, CROSS = "✓", "✗"
DECK = "deck f′"  # after the mark: this line steps with the deck's wrong derivative of the quartic
OURS_WIDTH = 24  # wide enough for a table row, f(-1.600) = 2.56000, and for W_z


def at_precision(value: float, printed: str) -> str:
    """``value`` with as many decimals as the slide's ``printed`` string has (none for an integer)."""
    decimals = len(printed.partition(".")[2])
    return f"{value + 0.0:.{decimals}f}"  # + 0.0 turns -0.0 into 0.0, which the slides print as 0.0000


def compare(entry: SlideValue, numbers: Sequence[float] | None) -> list[bool]:
    """For each number the slide prints in ``entry``: did we print the same string?"""
    if numbers is None or len(numbers) != len(entry.printed):
        return [False] * len(entry.printed)
    return [at_precision(value, printed) == printed for value, printed in zip(numbers, entry.printed, strict=True)]


def shown(entry: SlideValue, numbers: Sequence[float] | None) -> str:
    """Our numbers in the entry's layout, at the slide's precision."""
    if numbers is None or len(numbers) != len(entry.printed):
        return "(not computed)"
    return entry.layout.format(*(at_precision(v, p) for v, p in zip(numbers, entry.printed, strict=True)))


def beside(entry: SlideValue, true: Sequence[float] | str | None, before: str) -> str:
    """What the true derivative gives for a line the deck computes with its wrong one, at the slide's
    precision; a run that diverged says where, once (``before`` is the previous line's)."""
    if isinstance(true, str):
        return f"  true f′: {'(diverged)' if true == before else true}"
    return f"  true f′: {shown(entry, true)}"


def print_comparison(expected: Sequence[SlideValue], computed: dict, true: dict) -> tuple[int, int]:
    """One line per entry under its part and group; returns (values reproduced, values in all).

    ``true`` maps the keys of the lines the deck computes with its wrong derivative to what the
    true derivative gives (numbers, or the sentence saying where that run diverged)."""
    label_width = max(len(entry.label) for entry in expected)
    reproduced = total = 0
    before = ""
    part = group = None
    for entry in expected:
        if GROUPS[entry.group][0] != part:
            part = GROUPS[entry.group][0]
            write_line(f"\n{part}")
        if entry.group != group:
            group = entry.group
            write_line(f"  {GROUPS[group][1]}")
        numbers = computed.get(entry.key)
        matches = compare(entry, numbers)
        reproduced, total = reproduced + sum(matches), total + len(matches)
        mark = CHECK if all(matches) else CROSS
        if entry.deck_derivative:
            mark += f" {DECK}" + beside(entry, true.get(entry.key), before)
            before = true.get(entry.key)
        ours, slide = shown(entry, numbers), entry.layout.format(*entry.printed)
        write_line(f"    {entry.label:<{label_width}}  {ours:<{OURS_WIDTH}}  slide {slide:<{OURS_WIDTH}} {mark}")
    return reproduced, total


def write_slide_graph(path: Path, format: str = "svg", options: dict | None = None) -> tuple[Path, str | None]:
    """The slide network's graph after backward, drawn to ``path``; the ``graph`` command's picture too.

    ``options`` are ``draw_graph``'s layout options; by default ``viz.graph.PROJECTOR``:
    top to bottom, transposes folded, no dtype, close ranks, a legend, so that the
    picture fits a 1920×1080 projector with readable text.
    Returns ``render.write_picture``'s answer: the path written, and the hint when
    only the DOT text could be written (no SVG renderer at all).
    """
    from ..viz.graph import PROJECTOR, draw_graph  # pictures load graphviz and wasmtime: only when drawn
    from ..viz.render import write_picture

    network = mlp.slide_network()
    network.loss.backward()
    return write_picture(draw_graph(network.loss, **(PROJECTOR if options is None else options)).source, path,
                         format)


def write_graph(out_dir: Path) -> str:
    """The slide network's graph as SVG in ``out_dir``, or the DOT text and how to get a picture."""
    path, hint = write_slide_graph(out_dir / "slide_network.svg")
    return str(path) if hint is None else f"{path} (only the DOT text: {hint})"


def write_trajectories(out_dir: Path) -> str:
    """GD, momentum (γ 0.8) and Nesterov (γ 0.9) with the slide's derivative, drawn on the quartic."""
    from ..viz.plot import INSTALL_HINT, plot_trajectories

    runs = {label: descent.run(rule, descent.quartic, descent.slide_derivative, momentum=gamma).xs
            for label, rule, gamma in (("GD", "gd", 0.0), ("momentum γ = 0.8", "momentum", 0.8),
                                       ("Nesterov γ = 0.9", "nesterov", 0.9))}
    try:
        path = out_dir / "quartic_trajectories.png"
        plot_trajectories(descent.quartic, runs, path, derivative=descent.SLIDE_DERIVATIVE_NAME,
                          title="The slides' three rules on the quartic, η = 0.1")
    except ImportError:
        return f"not drawn: {INSTALL_HINT}"
    return str(path)


def tour(out_dir: Path, expected: Sequence[SlideValue]) -> int:
    """Print the comparison and write the pictures; 0 when every value is reproduced, else 1.

    An OSError from writing the pictures (``out_dir`` is a file, say) is the caller's to report.
    """
    write_line(f"tinygrad_edu {__version__}: the lecture's numbers, computed here, beside the slide's.")
    write_line(f"{CHECK} means the same digits at the slide's precision. Inputs the slides set "
               "(x = [1, 2], the weights 0.1, x₀ = -2.0, η, γ) are not counted.")
    write_line(f"{CHECK} {DECK} means reproduced only by stepping, as the deck does, with its wrong derivative "
               "of the quartic,\n4x³ + 3x² − 4x; beside it, `true f′:` is what the true derivative "
               "4x³ + 3x² − 4x − 2 (autograd) gives.")
    reproduced, total = print_comparison(expected, computed_values(), true_derivative_values())
    deck = sum(len(entry.printed) for entry in expected if entry.deck_derivative)
    write_line(f"\n{reproduced}/{total} slide values reproduced")
    write_line(f"{deck} of them ({DECK}) only with the deck's wrong derivative of the quartic, which drops the −2 "
               "of −2x;\nthe deck's mistakes are explained in docs/slides.md, and `tinygrad-edu check-derivative` "
               "catches this one.")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_line("\nPictures")
    write_line(f"  the slide network's graph after backward: {write_graph(out_dir)}")
    write_line(f"  the three rules on the quartic: {write_trajectories(out_dir)}")
    sys.stdout.flush()
    return 0 if reproduced == total else 1
