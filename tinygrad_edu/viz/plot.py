"""Pictures of optimization: iterates on an objective's curve or contour lines, and f per epoch.

matplotlib is optional (``pip install matplotlib``), imported only when a
picture is drawn, so the engine never needs it. Pictures are drawn on a bare
``Figure`` (not pyplot), so no window or GUI backend is involved. Every
function returns its Figure (a notebook shows it) and, given a ``path``, also
saves it there.

The marks a test (or a reader of the Figure) can find by ``gid``: ``'minimum'``,
``'start <label>'``, ``'end <label>'``, ``'path <label>'``, and
``'break <label>'`` where a run leaves the picture or overflows: it is drawn
at the picture's edge, with the value it reached and when, never clipped away.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..autograd import no_grad
from ..value import Value

INSTALL_HINT = 'pictures need matplotlib: pip install matplotlib (in a clone of tinygrad_edu: pip install ".[plot]")'
DPI = 150  # a 12 × 5 inch figure is 1800 × 750 px: sharp on a 1920 × 1080 projector
PANEL = (6.0, 5.0)  # inches per panel


@functools.cache
def _figure_class() -> type:
    """matplotlib's Figure with a PNG for notebooks, or an ImportError that says how to get matplotlib.

    Jupyter draws a Figure by itself only once pyplot has set up its inline
    backend; a bare Figure shows through ``_repr_png_``, which IPython asks any
    object for.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"tinygrad_edu.viz.plot: {INSTALL_HINT}") from None

    class NotebookFigure(Figure):
        def _repr_png_(self) -> bytes:
            png = io.BytesIO()
            self.savefig(png, format="png", dpi=100)
            return png.getvalue()

    return NotebookFigure


def _figure(panels: int):
    """A new Figure with ``panels`` axes side by side."""
    figure = _figure_class()(figsize=(PANEL[0] * panels, PANEL[1]), layout="constrained")
    return figure, figure.subplots(1, panels, squeeze=False)[0]


def _evaluate(objective: Callable, points: np.ndarray) -> np.ndarray:
    """f at ``points`` (a grid, or a run's iterates) on one float64 Value; overflow gives inf or nan, silently."""
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        values = objective(Value(points, dtype=np.float64))
    return np.asarray(values.data if isinstance(values, Value) else values, dtype=np.float64)


def _check(function: str, runs: Mapping[str, Sequence], shape: str, **ranges: tuple[float, float]) -> None:
    """ValueError, before anything is drawn or saved, for ranges that are not (low, high) or runs of the wrong shape."""
    for name, value in ranges.items():
        if not (len(value) == 2 and np.all(np.isfinite(value)) and value[0] < value[1]):
            raise ValueError(f"{function}: {name} must be (low, high) with low < high, got {value!r}")
    if not runs:
        raise ValueError(f"{function}: got no runs; give at least one label → iterates")
    for label, iterates in runs.items():
        array = np.asarray(iterates, dtype=np.float64)
        if len(array) == 0 or (array.ndim != 1 if shape == "x" else array.shape[1:] != (2,)):
            raise ValueError(f"{function}: the iterates of {label!r} must be a non-empty "
                             f"{'sequence of numbers' if shape == 'x' else 'array of rows (x₁, x₂)'}, "
                             f"got shape {array.shape}")


def _finish(figure, path: str | Path | None):
    """Save ``figure`` when a path is given; return it either way."""
    if path is not None:
        figure.savefig(Path(path), dpi=DPI)
    return figure


def _first_outside(points: np.ndarray, low: np.ndarray, high: np.ndarray) -> int | None:
    """Index of the first row that is not finite or lies outside the box [low, high] (None if none)."""
    inside = np.all(np.isfinite(points) & (points >= low) & (points <= high), axis=1)
    return None if inside.all() else int(np.argmin(inside))


def _exit_point(inside: np.ndarray, outside: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Where the segment from ``inside`` towards ``outside`` crosses the box's edge.

    With d = outside − inside, the segment inside + t·d leaves through the first
    wall it meets: t = min over axes of (wall − inside)/d. A non-finite
    ``outside`` has no direction, so the break is drawn where the run was.
    """
    direction = outside - inside
    if not np.all(np.isfinite(direction)):
        return inside
    walls = np.where(direction > 0, high, low)
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = np.where(direction != 0, (walls - inside) / direction, np.inf)
    return inside + min(1.0, float(fractions.min())) * direction


def _legend_label(text: str, first: bool) -> str:
    """Markers of every run share one legend entry (matplotlib hides labels starting with '_')."""
    return text if first else f"_{text}"


def _draw_run(axes, label: str, points: np.ndarray, low, high, first: bool, when: Callable[[int], str],
              describe: Callable[[np.ndarray], str], colour: str | None = None, curve: Callable | None = None) -> str:
    """One run's iterates (rows of ``points``, in the axes' coordinates) with start and end marks; its colour.

    Points past the first one outside the box [low, high] are not drawn: a
    marker at the box's edge, in the direction the run left, says what it
    reached and when. With ``curve`` (f, for points (x, f(x))) only x can leave
    the box, and the marker sits on the curve at the edge.
    """
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    leaves = _first_outside(points, low, high)
    shown = points if leaves is None else points[:leaves]
    [line] = axes.plot(shown[:, 0], shown[:, 1], marker="o", markersize=4 if len(points) <= 60 else 1.5,
                       linewidth=1.2, label=label,
                       color=colour, gid=f"path {label}")
    colour = line.get_color()
    _mark(axes, shown[0], f"start {label}", _legend_label("start", first), marker="s", color=colour)
    if leaves is None:
        _mark(axes, shown[-1], f"end {label}", _legend_label("end", first), marker="X", color=colour)
        return colour
    if curve is None:
        edge = _exit_point(shown[-1], points[leaves], low, high)
    else:
        x = _exit_point(shown[-1][:1], points[leaves][:1], low[:1], high[:1])
        edge = np.array([x[0], _evaluate(curve, x)[0]])
    axes.plot([shown[-1][0], edge[0]], [shown[-1][1], edge[1]], linestyle=":", color=colour)
    _mark(axes, edge, f"break {label}", _legend_label("left the picture", first), marker="D", color="white",
          markeredgecolor=colour, markeredgewidth=2.5)
    _annotate_break(axes, edge, colour, f"{describe(points[leaves])} {when(leaves)}"
                    + _overflow_note(points, leaves, when))
    return colour


def _mark(axes, point: Sequence[float], gid: str, label: str, **style) -> None:
    """One marker, drawn over the axes' edge too (a run may start or break there)."""
    style = {"markersize": 11, "markeredgecolor": "black", **style}
    axes.plot(*point, linestyle="none", clip_on=False, gid=gid, label=label, **style)


def _overflow_note(points: np.ndarray, leaves: int, when: Callable[[int], str]) -> str:
    """When a run that left the picture later overflows, say when too."""
    overflow = np.flatnonzero(~np.all(np.isfinite(points), axis=1))
    return f"\noverflow {when(int(overflow[0]))}" if overflow.size and overflow[0] > leaves else ""


def _annotate_break(axes, edge: np.ndarray, colour: str, note: str) -> None:
    """The break's note, placed towards the middle of the picture (its limits are set) so that it stays inside."""
    right, up = edge[0] > np.mean(axes.get_xlim()), edge[1] > np.mean(axes.get_ylim())
    axes.annotate(note, xy=tuple(edge), xytext=(-10 if right else 10, -16 if up else 16), textcoords="offset points",
                  ha="right" if right else "left", va="top" if up else "bottom", color=colour, fontsize=10)


def _legend(axes) -> None:
    """Below the axes, where it hides no path and no note."""
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=9)


def _epoch(index: int) -> str:
    """The tables' numbering: the point after the first step is epoch 00."""
    return f"at epoch {index - 1:02d}"


def _step(index: int) -> str:
    return f"at step {index}"


def _f_panel(axes, values: Mapping[str, np.ndarray], colours: Mapping[str, str], limits: tuple[float, float],
             first_index: int, when: Callable[[int], str], log: bool = False) -> None:
    """f against epoch (or step) for every run, on the y-range ``limits``; leaving it is a marked break."""
    low, high = limits
    longest = max(len(fs) for fs in values.values())
    axes.set(xlim=(first_index - 0.5, first_index + longest - 0.5), ylim=limits, yscale="log" if log else "linear")
    for number, (label, fs) in enumerate(values.items()):
        steps = np.arange(len(fs), dtype=np.float64) + first_index
        points = np.column_stack([steps, fs])
        _draw_run(axes, label, points, (steps[0], low), (steps[-1], high), number == 0, when,
                  lambda point: f"f = {point[1]:.4g}" if np.isfinite(point[1]) else "f overflows", colours[label])


def _slope(objective: Callable, x: float) -> float:
    """f'(x), by backward() on a float64 Value."""
    point = Value(x, dtype=np.float64, requires_grad=True)
    objective(point).backward()
    return float(point.grad)


def _minimum_1d(objective: Callable, low: float, high: float) -> float:
    """The x where f is smallest on [low, high]: the best of 4001 grid points, then bisection on f'.

    Around the grid's best point f' goes from negative to positive (else the
    minimum is at an end of the range); halving that bracket 60 times finds
    where f' = 0 to rounding error, closer than comparing values of f could.
    """
    grid = np.linspace(low, high, 4001)
    best = int(np.argmin(_evaluate(objective, grid)))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    if not _slope(objective, a) < 0 < _slope(objective, b):
        return float(grid[best])
    for _ in range(60):
        middle = (a + b) / 2
        a, b = (middle, b) if _slope(objective, middle) < 0 else (a, middle)
    return float((a + b) / 2)


def plot_trajectories(objective: Callable, runs: Mapping[str, Sequence[float]], path: str | Path | None = None, *,
                      derivative: str, x_range: tuple[float, float] = (-2.0, 2.0), title: str = "",
                      minimum: float | None = None):
    """f over ``x_range`` with each run's iterates x₀, x₁, … on it, and f per epoch beside it; a Figure.

    ``runs`` maps a label ("GD", "momentum γ = 0.8", …) to the iterates.
    ``derivative`` names the derivative the runs followed ("the deck's
    4x³ + 3x² − 4x", "the true one"); it goes in the title. ``minimum`` is the
    true minimiser; None finds f's smallest value on ``x_range``. A run that
    leaves ``x_range`` or overflows ends in a marked break at the edge.
    """
    _check("plot_trajectories", runs, "x", x_range=x_range)
    figure, (picture, per_epoch) = _figure(2)
    low, high = x_range
    grid = np.linspace(low, high, 400)
    fs = _evaluate(objective, grid)
    margin = 0.05 * (fs.max() - fs.min())
    limits = (fs.min() - margin, fs.max() + margin)
    picture.plot(grid, fs, color="black", linewidth=1.5, label="f(x)")
    picture.set(xlabel="x", ylabel="f(x)", xlim=x_range, ylim=limits)
    colours, values = {}, {}
    for number, (label, iterates) in enumerate(runs.items()):
        xs = np.asarray(iterates, dtype=np.float64)
        values[label] = _evaluate(objective, xs)
        colours[label] = _draw_run(picture, label, np.column_stack([xs, values[label]]), (low, -np.inf),
                                   (high, np.inf), number == 0, _epoch, lambda point: f"x = {point[0]:.4g}",
                                   curve=objective)
    x_star = _minimum_1d(objective, low, high) if minimum is None else minimum
    _mark(picture, (x_star, _evaluate(objective, np.array([x_star]))[0]), "minimum", f"true minimum x* = {x_star:.3f}",
          marker="*", markersize=18, color="gold")
    _legend(picture)
    _f_panel(per_epoch, values, colours, limits, -1, _epoch)
    per_epoch.set(xlabel="epoch (−1 is the start x₀)", ylabel="f(x)", title="f per epoch")
    figure.suptitle(f"{title}\nderivative: {derivative}" if title else f"derivative: {derivative}")
    return _finish(figure, path)


def plot_paths_2d(objective: Callable, paths: Mapping[str, np.ndarray], path: str | Path | None = None, *,
                  minimum: Sequence[float], x_range: tuple[float, float], y_range: tuple[float, float],
                  title: str = "", levels: int = 15):
    """Contour lines of f(x₁, x₂) with each run's path on them, and f − f(x*) per step beside it; a Figure.

    ``objective`` takes a Value whose first axis holds (x₁, x₂) (so it can be
    evaluated on a whole grid); ``paths`` maps a label to the iterates as rows
    (x₁, x₂); ``minimum`` is the minimiser x*. The contour levels are spaced
    geometrically above f(x*), so both a bowl and a narrow valley show their shape.
    """
    _check("plot_paths_2d", paths, "x₁x₂", x_range=x_range, y_range=y_range)
    figure, (plane, per_step) = _figure(2)
    x1, x2 = np.meshgrid(np.linspace(*x_range, 300), np.linspace(*y_range, 300))
    surface = _evaluate(objective, np.stack([x1, x2]))
    x_star = np.asarray(minimum, dtype=np.float64)
    f_star = float(_evaluate(objective, x_star))
    top = float(surface.max() - f_star)
    contours = plane.contour(x1, x2, surface, levels=f_star + np.geomspace(top * 1e-4, top, levels),
                             colors="grey", linewidths=0.7)
    contours.set_gid("contours")
    plane.set(xlabel="x₁", ylabel="x₂", xlim=x_range, ylim=y_range)
    colours, gaps = {}, {}
    for number, (label, iterates) in enumerate(paths.items()):
        points = np.asarray(iterates, dtype=np.float64)
        gaps[label] = _evaluate(objective, points.T) - f_star
        colours[label] = _draw_run(plane, label, points, (x_range[0], y_range[0]), (x_range[1], y_range[1]),
                                   number == 0, _step, lambda point: f"x = ({point[0]:.3g}, {point[1]:.3g})")
    _mark(plane, x_star, "minimum", f"minimum x* = ({x_star[0]:.3g}, {x_star[1]:.3g})", marker="*", markersize=18,
          color="gold")
    _legend(plane)
    finite = np.concatenate([g[np.isfinite(g) & (g > 0)] for g in gaps.values()])
    floor = max(float(finite.min()) / 2, top * 1e-16) if finite.size else top * 1e-16
    _f_panel(per_step, gaps, colours, (floor, top), 0, _step, log=True)
    per_step.set(xlabel="step", ylabel="f(x) − f(x*)", title="distance to the minimum's value, per step")
    figure.suptitle(title)
    return _finish(figure, path)


def plot_losses(losses: Mapping[str, Sequence[float]], path: str | Path | None = None, title: str = ""):
    """Each run's loss per epoch; a Figure (saved to ``path`` when given)."""
    figure, (axes,) = _figure(1)
    for label, values in losses.items():
        axes.plot(range(len(values)), values, marker=".", label=label)
    axes.set(xlabel="epoch", ylabel="loss", title=title)
    axes.legend()
    return _finish(figure, path)


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
