"""Pictures of Part 4, curvature: error per step against the predicted rate, (1 − ηλ)ᵗ on both sides
of ηλ = 2, and where on a curve a learning rate is too large for the curvature.

As in ``plot.py`` (whose helpers these share): matplotlib is imported only when a picture is
drawn, every function returns its Figure and saves it when given a ``path``, and the marks a
test can find carry a ``gid``: ``'errors <label>'`` and ``'predicted <label>'``, ``'power <ηλ>'``
and ``'magnitude <ηλ>'``, ``'unstable <label>'`` (a shaded stretch of x), ``'curve'``, ``'bound <label>'``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .plot import _check, _evaluate, _figure, _finish, _legend, _mark


def plot_rates(errors: Mapping[str, Sequence[float]], rates: Mapping[str, float], path: str | Path | None = None, *,
               title: str = "", floor: float = 1e-12):
    """Each run's error ‖x_t − x*‖ per step on a log scale, beside a dashed line of slope ρ; a Figure.

    ``errors`` maps a label to the run's errors, ``rates`` the same labels to the predicted rate ρ.
    The dashed line is e_T·ρ^(t − T) through the run's last error above ``floor`` (where its rate is
    measured), so on the log scale the two slopes can be compared where it matters, late in the run.
    """
    _check("plot_rates", errors, "x")
    missing = sorted(set(errors) - set(rates))
    if missing:
        raise ValueError(f"plot_rates: rates has no predicted rate for {missing[0]!r}; give one for every run")
    figure, (axes,) = _figure(1)
    top = 1.0
    for label, run in errors.items():
        values = np.asarray(run, dtype=np.float64)
        steps = np.arange(values.size)
        shown = np.isfinite(values) & (values > 0)
        top = max(top, float(values[shown].max(initial=0.0)))
        [line] = axes.plot(steps[shown], values[shown], marker="o", markersize=2.5, linewidth=1.2, label=label,
                           gid=f"errors {label}")
        above = np.flatnonzero(~(np.isfinite(values) & (values >= floor)))
        anchor = (int(above[0]) if above.size else values.size) - 1
        predicted = values[anchor] * rates[label] ** (steps[:anchor + 1] - anchor)
        axes.plot(steps[:anchor + 1], predicted, linestyle="--", linewidth=1.0, color=line.get_color(),
                  label=f"predicted ρ = {rates[label]:.4g}", gid=f"predicted {label}")
    axes.axhline(floor, color="grey", linewidth=0.8, linestyle=":", gid="floor")
    # Below the floor an error measures rounding: the picture stops two decades under it.
    axes.set(yscale="log", ylim=(floor / 100, top * 3), xlabel="step t", ylabel="error ‖x_t − x*‖", title=title)
    axes.legend(fontsize=9)
    return _finish(figure, path)


def plot_contraction(products: Sequence[float], steps: int = 20, path: str | Path | None = None, *,
                     title: str = "(1 − ηλ)ᵗ: what gradient descent leaves of the error along a curvature λ",
                     limits: tuple[float, float] = (-2.5, 2.5)):
    """(1 − ηλ)ᵗ for t = 0 … ``steps`` and each product ηλ in ``products``, and |1 − ηλ|ᵗ on a log
    scale beside it; a Figure.

    Below ηλ = 1 the factor shrinks steadily, between 1 and 2 it flips sign as it shrinks (the
    zig-zag), above 2 it flips and grows. The left panel shows ``limits``; what grows past them is
    clipped there and goes on in the right panel, where every line is straight with slope log|1 − ηλ|.
    """
    _check("plot_contraction", {f"{p:g}": [p] for p in products}, "x", limits=limits)
    figure, (signed, magnitude) = _figure(2)
    t = np.arange(steps + 1, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore"):
        for product in products:
            factors = (1.0 - float(product)) ** t
            [line] = signed.plot(t, factors, marker="o", markersize=3, linewidth=1.2, label=f"ηλ = {product:g}",
                                 gid=f"power {product:g}")
            magnitude.plot(t, np.abs(factors), marker="o", markersize=3, linewidth=1.2, color=line.get_color(),
                           label=f"ηλ = {product:g}", gid=f"magnitude {product:g}")
    signed.axhline(0.0, color="black", linewidth=0.6)
    magnitude.axhline(1.0, color="black", linewidth=0.6, linestyle=":")
    signed.set(xlim=(-0.5, steps + 0.5), ylim=limits, xlabel="step t", ylabel="(1 − ηλ)ᵗ")
    magnitude.set(xlim=(-0.5, steps + 0.5), yscale="log", xlabel="step t", ylabel="|1 − ηλ|ᵗ",
                  title="on a log scale: ηλ > 2 grows")
    _legend(signed)
    figure.suptitle(title)
    return _finish(figure, path)


def unstable_stretches(xs: np.ndarray, unstable: np.ndarray) -> list[tuple[float, float]]:
    """The intervals [a, b] of the grid ``xs`` over which ``unstable`` holds, as (a, b) pairs."""
    edges = np.diff(np.concatenate([[0], unstable.astype(np.int8), [0]]))
    return [(float(xs[start]), float(xs[end - 1])) for start, end in
            zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)]


def plot_curvature(objective: Callable, curvature: Callable[[np.ndarray], np.ndarray], lr: float,
                   bounds: Mapping[str, float], path: str | Path | None = None, *,
                   x_range: tuple[float, float] = (-2.5, 2.0), marks: Mapping[str, Sequence[float]] | None = None,
                   title: str = ""):
    """f over ``x_range`` shaded where η·f″(x) exceeds each rule's bound, and η·f″ beside it; a Figure.

    ``curvature`` is f″ on an array of points, ``bounds`` maps a rule's label to its bound on η·f″
    (2 for gradient descent, …), ``marks`` optional labelled points to show on both panels (the
    points of a run where its gradient was taken).
    """
    _check("plot_curvature", {"f": [0.0]}, "x", x_range=x_range)
    figure, (picture, scaled) = _figure(2)
    xs = np.linspace(*x_range, 801)
    fs, scaled_curvature = _evaluate(objective, xs), lr * np.asarray(curvature(xs), dtype=np.float64)
    picture.plot(xs, fs, color="black", linewidth=1.5, label="f(x)", gid="curve")
    scaled.plot(xs, scaled_curvature, color="black", linewidth=1.5, label=f"η·f″(x), η = {lr:g}", gid="curve")
    colours = ("tab:red", "tab:orange", "tab:purple", "tab:brown")
    for number, (label, bound) in enumerate(sorted(bounds.items(), key=lambda item: item[1])):
        colour = colours[number % len(colours)]
        stretches = unstable_stretches(xs, scaled_curvature > bound)
        for index, (a, b) in enumerate(stretches):
            picture.axvspan(a, b, color=colour, alpha=0.12, gid=f"unstable {label}",
                            label=f"η·f″ > {bound:.3g}: {label} unstable" if index == 0 else None)
        scaled.axhline(bound, color=colour, linestyle="--", linewidth=1.0, label=f"{label}: {bound:.3g}",
                       gid=f"bound {label}")
    for label, points in (marks or {}).items():
        points = np.asarray(points, dtype=np.float64)
        inside = points[(points >= x_range[0]) & (points <= x_range[1])]
        _mark(picture, (inside, _evaluate(objective, inside)), f"marks {label}", label, marker="o", markersize=7)
        _mark(scaled, (inside, lr * np.asarray(curvature(inside))), f"marks {label}", label, marker="o",
              markersize=7)
    picture.set(xlabel="x", ylabel="f(x)", xlim=x_range)
    scaled.set(xlabel="x", ylabel="η·f″(x)", xlim=x_range, title="curvature times the learning rate")
    for axes in (picture, scaled):
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    figure.suptitle(title)
    return _finish(figure, path)
