"""Part 4's pictures (viz/curvature_plot.py), checked on the Figure's artists; skipped without matplotlib."""

import numpy as np
import pytest

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz import curvature_plot, plot


@pytest.fixture(autouse=True)
def matplotlib():
    return pytest.importorskip("matplotlib", reason=f"tinygrad_edu.viz.plot: {plot.INSTALL_HINT}")


def lines(axes, gid):
    return [line for line in axes.lines if line.get_gid() == gid]


def test_the_rate_picture_draws_each_run_and_a_line_of_its_predicted_slope_through_its_last_error():
    errors = {"slow": 3.0 * 0.9 ** np.arange(300), "fast": 2.0 * 0.5 ** np.arange(60)}
    figure = curvature_plot.plot_rates(errors, {"slow": 0.9, "fast": 0.5})
    [axes] = figure.axes
    assert axes.get_yscale() == "log"
    for label, run in errors.items():
        [drawn] = lines(axes, f"errors {label}")
        np.testing.assert_allclose(drawn.get_ydata(), run)
        [predicted] = lines(axes, f"predicted {label}")
        ys = np.asarray(predicted.get_ydata())
        last = np.flatnonzero(run >= 1e-12)[-1]
        assert predicted.get_xdata()[-1] == last and ys[-1] == run[last]
        np.testing.assert_allclose(ys[1:] / ys[:-1], {"slow": 0.9, "fast": 0.5}[label])
    assert axes.get_ylim()[0] == pytest.approx(1e-14)


def test_the_rate_picture_needs_a_rate_for_every_run():
    with pytest.raises(ValueError, match="rates has no predicted rate for 'b'"):
        curvature_plot.plot_rates({"a": [1.0, 0.5], "b": [1.0, 0.5]}, {"a": 0.5})


def test_the_contraction_picture_draws_each_power_signed_and_its_size_on_a_log_scale():
    figure = curvature_plot.plot_contraction([0.5, 1.9, 2.1], steps=20)
    signed, magnitude = figure.axes
    assert magnitude.get_yscale() == "log"
    for product in (0.5, 1.9, 2.1):
        [line] = lines(signed, f"power {product:g}")
        np.testing.assert_allclose(line.get_ydata(), (1 - product) ** np.arange(21))
        [size] = lines(magnitude, f"magnitude {product:g}")
        assert (size.get_ydata()[-1] > 1) == (product > 2)


def test_the_curvature_picture_shades_exactly_where_eta_times_f2_exceeds_each_bound():
    second = lambda x: 12 * x**2 + 6 * x - 4  # noqa: E731 -- the quartic's f″, as the picture's input
    bounds = {"gradient descent": 2.0, "Nesterov": 1.36}
    figure = curvature_plot.plot_curvature(descent.quartic, second, 0.1, bounds, x_range=(-2.5, 2.5),
                                           marks={"look-ahead": [2.209, 9.0]})
    picture, scaled = figure.axes
    for label, bound in bounds.items():
        # 0.1·(12x² + 6x − 4) = bound at x = (−6 ± √(36 + 48(10·bound + 4)))/24
        edges = (-6 + np.array([-1, 1]) * np.sqrt(36 + 48 * (10 * bound + 4))) / 24
        spans = [patch for patch in picture.patches if patch.get_gid() == f"unstable {label}"]
        covered = sorted(x for span in spans for x in (span.get_x(), span.get_x() + span.get_width()))
        assert covered[0] == -2.5 and covered[-1] == 2.5
        assert covered[1:3] == pytest.approx(edges, abs=0.01)  # the grid's spacing
        [line] = lines(scaled, f"bound {label}")
        assert list(line.get_ydata()) == [bound, bound]
    [marked] = lines(picture, "marks look-ahead")
    assert list(marked.get_xdata()) == [2.209]  # 9.0 is outside the picture


def test_unstable_stretches_are_the_runs_of_true():
    xs = np.arange(8.0)
    assert curvature_plot.unstable_stretches(xs, np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)) == \
        [(0.0, 1.0), (4.0, 4.0), (6.0, 7.0)]
    assert curvature_plot.unstable_stretches(xs, np.zeros(8, bool)) == []
