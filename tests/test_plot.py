"""Pictures are written to files and show something (skipped without matplotlib)."""

import builtins

import numpy as np
import pytest

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz import plot


def drawn_pixels(path):
    """How many pixels differ from the picture's background (its corner colour)."""
    image = pytest.importorskip("matplotlib.image").imread(path)
    return int(np.any(np.abs(image - image[0, 0]) > 1e-3, axis=-1).sum())


@pytest.fixture
def agg():
    matplotlib = pytest.importorskip("matplotlib", reason='pictures need matplotlib: pip install "tinygrad_edu[plot]"')
    matplotlib.use("Agg")


def test_trajectory_picture_is_written_and_not_blank(agg, tmp_path):
    runs = {"GD": descent.run("gd", descent.quartic, descent.slide_derivative).xs,
            "Nesterov": descent.run("nesterov", descent.quartic, momentum=0.9).xs}  # diverges: clipped
    path = plot.plot_trajectories(descent.quartic, runs, tmp_path / "trajectories.png", title="quartic")
    assert path.exists() and drawn_pixels(path) > 1000


def test_loss_picture_is_written_and_not_blank(agg, tmp_path):
    path = plot.plot_losses({"loss": [1.0, 0.5, 0.25, 0.2]}, tmp_path / "losses.png")
    assert path.exists() and drawn_pixels(path) > 1000


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_edu\[plot\]"'):
        plot.plot_losses({"loss": [1.0]}, tmp_path / "losses.png")
    line = plot.offer_picture("x.png", lambda path: plot.plot_losses({"loss": [1.0]}, path), ["--plot"])
    assert line == 'Picture: pictures need matplotlib: pip install "tinygrad_edu[plot]".'


def test_offer_picture_without_the_flag_only_says_how_to_ask():
    def never(path):
        raise AssertionError("drawn without --plot")

    assert plot.offer_picture("x.png", never, []) == "Picture: run with --plot to draw it to x.png."
