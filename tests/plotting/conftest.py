"""Fixtures of the plotting tests: the figures drawn and the PNGs written."""

import matplotlib.image
import pytest

from keras_training_kit.plotting import figure as figure_lib


@pytest.fixture
def saved_figures(monkeypatch):
    """The list of every `Figure` the plotting functions save, in order."""
    figures = []
    save = figure_lib.save

    def recording_save(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(figure_lib, "save", recording_save)
    return figures


@pytest.fixture
def drawn_png():
    """Reads a PNG, checks data was drawn on it, returns its pixels.

    The pixels must vary (not one flat colour), and some must be coloured:
    an empty axes frame is only black, gray and white, while the data
    (lines, markers, bars, colour images) is drawn in colour.
    """

    def read(path):
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        pixels = matplotlib.image.imread(path)
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 50
        rgb = pixels[..., :3]
        assert rgb.std() > 0.05
        coloured = rgb.max(axis=-1) - rgb.min(axis=-1) > 0.15
        assert coloured.mean() > 0.0005
        return pixels

    return read
