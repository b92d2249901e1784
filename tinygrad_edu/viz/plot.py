"""Pictures of optimisation: a rule's iterates on the objective's curve, and loss per epoch.

matplotlib is an optional extra (``pip install "tinygrad_edu[plot]"``), imported
only when a picture is drawn, so the engine never needs it. Pictures are drawn
on a bare ``Figure`` (not pyplot), so no window or GUI backend is involved.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..autograd import no_grad
from ..value import Value

INSTALL_HINT = 'pictures need matplotlib: pip install "tinygrad_edu[plot]"'


def _figure():
    """A new matplotlib Figure and its axes, or an ImportError that says how to get matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"tinygrad_edu.viz.plot: {INSTALL_HINT}") from None
    figure = Figure(figsize=(6.4, 4.4), layout="tight")
    return figure, figure.subplots()


def _curve(objective: Callable, xs: np.ndarray) -> np.ndarray:
    """f at every point of ``xs``, evaluated on one float64 Value."""
    with no_grad():
        ys = objective(Value(xs, dtype=np.float64))
    return np.asarray(ys.data if isinstance(ys, Value) else ys, dtype=np.float64)


def plot_trajectories(objective: Callable, runs: Mapping[str, Sequence[float]], path: str | Path,
                      x_range: tuple[float, float] = (-2.0, 2.0), title: str = "") -> Path:
    """Draw f over ``x_range`` and each run's iterates x₀, x₁, … on it; save to ``path``.

    ``runs`` maps a label ("GD", "momentum γ=0.8", …) to the iterates.
    """
    figure, axes = _figure()
    low, high = x_range
    grid = np.linspace(low, high, 400)
    axes.plot(grid, _curve(objective, grid), color="black", linewidth=1.5, label="f(x)")
    for label, iterates in runs.items():
        xs = np.asarray(iterates, dtype=np.float64)
        xs = xs[np.isfinite(xs) & (xs >= low) & (xs <= high)]  # a diverging run leaves the picture
        axes.plot(xs, _curve(objective, xs), marker="o", markersize=4, linewidth=0.8, label=label)
    axes.set(xlabel="x", ylabel="f(x)", title=title)
    axes.legend()
    return _save(figure, path)


def plot_losses(losses: Mapping[str, Sequence[float]], path: str | Path, title: str = "") -> Path:
    """Draw each run's loss per epoch and save to ``path``."""
    figure, axes = _figure()
    for label, values in losses.items():
        axes.plot(range(len(values)), values, marker=".", label=label)
    axes.set(xlabel="epoch", ylabel="loss", title=title)
    axes.legend()
    return _save(figure, path)


def _save(figure, path: str | Path) -> Path:
    path = Path(path)
    figure.savefig(path, dpi=100)
    return path


def offer_picture(filename: str, draw: Callable[[Path], object], argv: Sequence[str] | None = None) -> str:
    """For example scripts: with ``--plot`` on the command line call ``draw(filename)``.

    Returns the line to print: where the picture went, how to install
    matplotlib, or how to ask for the picture. Without ``--plot`` the line is
    the same whether matplotlib is installed or not, so the output is too.
    """
    argv = sys.argv[1:] if argv is None else argv
    if "--plot" not in argv:
        return f"Picture: run with --plot to draw it to {filename}."
    try:
        draw(Path(filename))
    except ImportError:
        return f"Picture: {INSTALL_HINT}."
    return f"Picture: saved {filename}."
