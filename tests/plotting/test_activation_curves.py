"""`plot_activation_curves`: per-layer statistics over training to a PNG."""

import math
import os

import pytest

from keras_training_kit.plotting import plot_activation_curves


def test_writes_png_with_nan_and_log_scale_values(tmp_path):
    history = {
        "dense": {
            "mean": [0.1, 0.2, 0.3],
            "std": [1.0, 0.5, 0.0],
            "update_ratio": [math.nan, 1e-3, 2e-3],
        },
        "act": {"mean": [0.5, 0.4, 0.3], "dead_fraction": [0.0, 0.1, 0.6]},
    }
    path = plot_activation_curves(
        [0, 10, 20], history, str(tmp_path / "c" / "curves.png")
    )
    assert os.path.getsize(path) > 0


def test_errors():
    with pytest.raises(ValueError, match="history"):
        plot_activation_curves([0], {}, "x.png")
    with pytest.raises(ValueError, match="metrics=\\('nope',\\)"):
        plot_activation_curves(
            [0], {"a": {"mean": [1.0]}}, "x.png", metrics=("nope",)
        )
