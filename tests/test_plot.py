"""Pictures, checked on the Figure's artists (not on pixels); skipped without matplotlib."""

import builtins
import math

import numpy as np
import pytest

from tinygrad_edu.lecture import descent, surfaces
from tinygrad_edu.viz import plot


@pytest.fixture(autouse=True)
def matplotlib():
    return pytest.importorskip("matplotlib", reason=f"tinygrad_edu.viz.plot: {plot.INSTALL_HINT}")


def mark(figure, gid, panel=0):
    """The one line with this gid in the figure's panel (0: the curve or the contour lines, 1: f per epoch)."""
    [line] = [line for line in figure.axes[panel].lines if line.get_gid() == gid]
    return line


def xy(line):
    return np.column_stack([line.get_xdata(), line.get_ydata()]).astype(np.float64)


def at(line, *points, atol=1e-12):
    """The line's vertices are ``points``."""
    np.testing.assert_allclose(xy(line), np.array(points, dtype=np.float64), rtol=1e-12, atol=atol)
    return True


def true_minimum_of_the_quartic():
    """The real root of the true derivative 4x³ + 3x² − 4x − 2 where the quartic is smallest."""
    roots = np.roots([4.0, 3.0, -4.0, -2.0])
    real = roots[np.abs(roots.imag) < 1e-12].real
    return min(real, key=descent.quartic)


@pytest.fixture
def quartic_figure():
    printed, true, _ = descent.slide_and_true_runs("gd")
    runs = {"deck": printed.xs, "true": true.xs}
    return plot.plot_trajectories(descent.quartic, runs, derivative=descent.BOTH_DERIVATIVES, title="GD"), runs


def test_trajectory_picture_returns_a_figure_with_the_derivative_in_its_title(quartic_figure):
    from matplotlib.figure import Figure

    figure, _ = quartic_figure
    assert isinstance(figure, Figure)
    title = figure.get_suptitle()
    assert title.startswith("GD\n") and "derivative: the deck's 4x³ + 3x² − 4x (wrong)" in title


def test_start_end_and_true_minimum_are_marked_where_the_runs_and_f_put_them(quartic_figure):
    figure, runs = quartic_figure
    curve = figure.axes[0]
    for label, xs in runs.items():
        assert at(mark(figure, f"start {label}"), [xs[0], descent.quartic(xs[0])])
        assert at(mark(figure, f"end {label}"), [xs[-1], descent.quartic(xs[-1])])
    x_star = true_minimum_of_the_quartic()
    minimum = mark(figure, "minimum")
    assert minimum.axes is curve
    assert at(minimum, [x_star, descent.quartic(x_star)], atol=1e-9)
    assert f"{x_star:.3f}" in minimum.get_label()


def test_the_deck_run_stops_away_from_the_true_minimum(quartic_figure):
    figure, _ = quartic_figure
    assert xy(mark(figure, "end deck"))[0, 0] == pytest.approx(-1.443, abs=1e-3)
    assert abs(xy(mark(figure, "minimum"))[0, 0] - -1.443) > 2  # the deepest valley is on the right


def test_a_given_minimum_is_used_instead_of_the_search():
    figure = plot.plot_trajectories(descent.parabola, {"GD": [-2.0, -1.6]}, derivative="2x", minimum=0.25)
    assert xy(mark(figure, "minimum"))[0, 0] == 0.25


def test_the_f_per_epoch_panel_has_one_line_per_run_with_the_runs_values(quartic_figure):
    figure, runs = quartic_figure
    assert len(figure.axes) == 2
    per_epoch = figure.axes[1]
    assert per_epoch.get_xlabel().startswith("epoch")
    paths = {line.get_gid(): line for line in per_epoch.lines if (line.get_gid() or "").startswith("path ")}
    assert set(paths) == {f"path {label}" for label in runs}
    for label, xs in runs.items():
        line = paths[f"path {label}"]
        assert list(line.get_xdata()) == list(range(-1, len(xs) - 1))
        assert line.get_ydata() == pytest.approx([descent.quartic(x) for x in xs])


def test_divergent_nesterov_ends_in_a_marked_break_with_the_value_and_the_epochs():
    unbounded = descent.run("nesterov", descent.quartic, momentum=0.9, limit=math.inf)
    figure = plot.plot_trajectories(descent.quartic, {"true": unbounded.xs}, derivative="the true one",
                                    x_range=(-2.5, 2.0))
    curve, per_epoch = figure.axes
    assert not [line for line in figure.axes[0].lines if line.get_gid() == "end true"]
    # x = 50.168 at epoch 03 is the first point right of the picture: the break is on its right edge.
    leaves = next(i for i, x in enumerate(unbounded.xs) if not -2.5 <= x <= 2.0)
    assert unbounded.xs[leaves] == pytest.approx(50.168, abs=1e-3)
    assert list(mark(figure, "path true").get_xdata()) == unbounded.xs[:leaves]
    breaks = [line for line in curve.lines if line.get_gid() == "break true"]
    assert len(breaks) == 1 and at(breaks[0], [2.0, descent.quartic(2.0)])
    notes = [text.get_text() for text in curve.texts]
    assert notes == [f"x = 50.17 at epoch {leaves - 1:02d}\noverflow at epoch {unbounded.diverged_at:02d}"]
    # f per epoch: f(-2.482) = 17.3 still fits, f(50.168) = 6.5e6 does not: a break at the top.
    edge = mark(figure, "break true", panel=1)
    assert xy(edge)[0, 1] == pytest.approx(per_epoch.get_ylim()[1])
    assert leaves - 2 < xy(edge)[0, 0] <= leaves - 1
    assert [text.get_text().split("\n")[0] for text in per_epoch.texts] == [f"f = 6.455e+06 at epoch {leaves - 1:02d}"]


def test_a_run_that_leaves_on_the_left_breaks_at_the_left_edge():
    figure = plot.plot_trajectories(descent.parabola, {"run": [1.0, -0.5, -3.0]}, derivative="2x",
                                    x_range=(-2.0, 2.0))
    assert at(mark(figure, "break run"), [-2.0, 4.0])
    assert [text.get_text() for text in figure.axes[0].texts] == ["x = -3 at epoch 01"]


@pytest.mark.parametrize("surface", [surfaces.BOWL, surfaces.ROSENBROCK], ids=lambda s: s.objective.__name__)
def test_the_2d_picture_has_contour_lines_and_each_rule_s_iterates(surface):
    from matplotlib.contour import ContourSet

    paths = surfaces.paths(surface)
    figure = plot.plot_paths_2d(surface.objective, paths, minimum=surface.minimiser, x_range=surface.x_range,
                                y_range=surface.y_range, title=surface.name)
    plane = figure.axes[0]
    [contours] = [c for c in plane.collections if isinstance(c, ContourSet)]
    assert contours.get_gid() == "contours" and len(contours.levels) > 5
    assert at(mark(figure, "minimum"), surface.minimiser)
    assert figure.get_suptitle() == surface.name
    low, high = np.array([surface.x_range[0], surface.y_range[0]]), np.array([surface.x_range[1], surface.y_range[1]])
    for label, points in paths.items():
        inside = np.all((points >= low) & (points <= high), axis=1)
        shown = points if inside.all() else points[:np.argmin(inside)]
        drawn = [line for line in plane.lines if line.get_gid() == f"path {label}"]
        assert len(drawn) == 1 and np.array_equal(xy(drawn[0]), shown)
        assert at(mark(figure, f"start {label}"), points[0])


def test_on_the_bowl_gd_zig_zags_momentum_does_not_and_nesterov_leaves_the_picture():
    paths = surfaces.paths(surfaces.BOWL)
    gd, momentum, nesterov = paths.values()
    assert np.all(np.sign(gd[1:, 1]) == -np.sign(gd[:-1, 1]))  # x₂ flips every step
    steps = np.diff(momentum, axis=0)
    assert np.all(np.sum(steps[1:] * steps[:-1], axis=1) > 0)  # no momentum step turns back
    assert np.linalg.norm(momentum[-1]) < np.linalg.norm(gd[-1]) / 10
    figure = plot.plot_paths_2d(surfaces.bowl, paths, minimum=surfaces.BOWL.minimiser,
                                x_range=surfaces.BOWL.x_range, y_range=surfaces.BOWL.y_range)
    mark(figure, "break Nesterov momentum")
    mark(figure, "end GD with momentum")


def test_the_paths_are_the_optimizers_iterates():
    from tinygrad_edu import Value, optim

    [momentum] = [points for label, points in surfaces.paths(surfaces.BOWL).items() if "with momentum" in label]
    x = Value(np.array(surfaces.BOWL.start), requires_grad=True)
    optimizer = optim.Momentum([x], lr=surfaces.BOWL.lr, momentum=surfaces.BOWL.momentum)
    for point in momentum[1:]:
        optimizer.zero_grad()
        surfaces.bowl(x).backward()
        optimizer.step()
        assert np.array_equal(x.detach().numpy(), point)


def test_the_minimisers_are_where_the_gradient_vanishes():
    assert surfaces.BOWL.minimiser == pytest.approx([0.0, 0.0], abs=1e-12)
    assert surfaces.ROSENBROCK.minimiser == pytest.approx([1.0, 1.0], abs=1e-9)
    assert np.linalg.eigvalsh(surfaces.hessian(surfaces.bowl, [0.0, 0.0])) == pytest.approx([0.2, 4.0])


@pytest.mark.parametrize("rule, momentum", [("gd", 0.0), ("momentum", 0.5), ("momentum", 0.9), ("nesterov", 0.5),
                                            ("nesterov", 0.9)])
def test_the_stable_step_bound_separates_converging_from_diverging_runs(rule, momentum):
    bound = surfaces.largest_stable_step(rule, momentum)

    def final(lr):  # f = x²/2 (curvature 1), so η·λ = η
        return abs(surfaces.descent_path(rule, lambda x: x[0] ** 2 / 2, (1.0,), lr, momentum, steps=3000)[-1, 0])

    assert final(bound * 0.99) < 1e-3
    assert final(bound * 1.01) > 1.0


def test_nesterov_bound_at_the_tutorials_momentum():
    assert surfaces.largest_stable_step("nesterov", 0.9) == pytest.approx(3.8 / 2.8)
    with pytest.raises(ValueError, match="unknown rule 'adam'"):
        surfaces.largest_stable_step("adam")


def test_losses_picture_returns_its_figure():
    figure = plot.plot_losses({"loss": [1.0, 0.5, 0.25]}, title="loss")
    [line] = figure.axes[0].lines
    assert list(line.get_ydata()) == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("draw", [
    lambda path: plot.plot_losses({"loss": [1.0, 0.5]}, path),
    lambda path: plot.plot_trajectories(descent.parabola, {"GD": [-2.0, -1.6]}, path, derivative="2x"),
    lambda path: plot.plot_paths_2d(surfaces.bowl, {"GD": np.array([[-9.0, 1.5], [-8.3, -0.9]])}, path,
                                    minimum=(0.0, 0.0), x_range=(-10.0, 10.0), y_range=(-3.0, 3.0)),
], ids=["losses", "trajectories", "paths_2d"])
def test_save_writes_a_file_only_when_a_path_is_given(draw, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figure = draw(None)
    assert list(tmp_path.iterdir()) == []
    assert draw(tmp_path / "picture.png") is not figure
    assert (tmp_path / "picture.png").read_bytes().startswith(b"\x89PNG")


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch, request):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    plot._figure_class.cache_clear()  # forget the Figure class made while matplotlib was importable
    request.addfinalizer(plot._figure_class.cache_clear)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        plot.plot_losses({"loss": [1.0]})
    line = plot.offer_picture("x.png", lambda path: plot.plot_losses({"loss": [1.0]}, path), ["--plot"])
    assert line == f"Picture: {plot.INSTALL_HINT}."


def test_the_install_hint_names_what_pip_can_install():
    assert 'pip install "tinygrad_edu[plot]"' not in plot.INSTALL_HINT
    assert "pip install matplotlib" in plot.INSTALL_HINT and 'pip install ".[plot]"' in plot.INSTALL_HINT


def test_offer_picture_without_the_flag_only_says_how_to_ask():
    def never(path):
        raise AssertionError("drawn without --plot")

    assert plot.offer_picture("x.png", never, []) == "Picture: run with --plot to draw it to x.png."


def test_a_notebook_shows_the_returned_figure_without_pyplot():
    figure = plot.plot_losses({"loss": [1.0, 0.5]})
    assert figure._repr_png_().startswith(b"\x89PNG")
    hint = 'running a notebook needs nbformat, nbclient and ipykernel: pip install ".[notebook]"'
    nbformat, nbclient = pytest.importorskip("nbformat", reason=hint), pytest.importorskip("nbclient", reason=hint)
    pytest.importorskip("ipykernel", reason=hint)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from tinygrad_edu.viz import plot\nplot.plot_losses({'loss': [1.0, 0.5]})")])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    [output] = notebook.cells[0].outputs
    assert "image/png" in output["data"]


@pytest.mark.parametrize("draw, message", [
    (lambda path: plot.plot_trajectories(descent.quartic, {"GD": [0.0]}, path, derivative="d", x_range=(2.0, -2.0)),
     r"plot_trajectories: x_range must be \(low, high\) with low < high, got \(2.0, -2.0\)"),
    (lambda path: plot.plot_trajectories(descent.quartic, {}, path, derivative="d"), "plot_trajectories: got no runs"),
    (lambda path: plot.plot_trajectories(descent.quartic, {"GD": []}, path, derivative="d"),
     "the iterates of 'GD' must be a non-empty sequence of numbers"),
    (lambda path: plot.plot_paths_2d(surfaces.bowl, {"GD": [1.0, 2.0]}, path, minimum=(0, 0), x_range=(-1, 1),
                                     y_range=(-1, 1)), r"the iterates of 'GD' must be a non-empty array of rows"),
    (lambda path: plot.plot_paths_2d(surfaces.bowl, {"GD": [[1.0, 2.0]]}, path, minimum=(0, 0), x_range=(-1, 1),
                                     y_range=(1, float("nan"))), "plot_paths_2d: y_range must be"),
])
def test_bad_arguments_are_refused_before_anything_is_written(draw, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        draw(tmp_path / "picture.png")
    assert list(tmp_path.iterdir()) == []
