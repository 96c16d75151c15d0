import numpy as np
import pytest

from keras_training_kit.plotting import plot_image_rows
from keras_training_kit.plotting import plot_whitening_stages


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_stages_and_image_rows_write_pngs(tmp_path):
    points = np.random.default_rng(0).normal(size=(50, 2))
    path = plot_whitening_stages(
        {"original": points + 3, "centered": points},
        str(tmp_path / "a" / "stages.png"),
        title="t",
    )
    assert _is_png(path)
    images = np.random.default_rng(1).random((3, 5, 5, 3))
    path = plot_image_rows(
        {"original": images, "zca": images - 0.5, "gray": images[:2, ..., :1]},
        str(tmp_path / "rows.png"),
    )
    assert _is_png(path)


def test_bad_shapes_raise(tmp_path):
    with pytest.raises(ValueError, match=r"stages\['x'\].shape=\(4, 3\)"):
        plot_whitening_stages({"x": np.zeros((4, 3))}, str(tmp_path / "s.png"))
    with pytest.raises(ValueError, match="non-empty"):
        plot_image_rows({}, str(tmp_path / "r.png"))
    with pytest.raises(ValueError, match=r"rows\['x'\].shape=\(4, 3\)"):
        plot_image_rows({"x": np.zeros((4, 3))}, str(tmp_path / "r.png"))
