"""Tests of `plot_diagnosis`."""

import matplotlib.image

from keras_training_kit.plotting import plot_diagnosis


def _row(name, activation, backprop, update):
    return dict(
        layer=name,
        activation_std=activation,
        backprop_std=backprop,
        update_ratio=update,
    )


def test_draws_both_directions_and_skips_missing_values(tmp_path):
    report = {
        "layers": [
            _row("dense", 0.5, 1e-6, 1e-3),
            _row("act", 0.4, None, None),  # no kernel: no update bar
            _row("output", 0.0, 0.3, 5.0),  # 0 cannot be drawn on a log axis
        ],
        "findings": [
            dict(kind="update_ratio_high", layer="output", value=5.0, advice="")
        ],
        "initial_loss": float("nan"),
        "noise_scale": None,
    }
    path = plot_diagnosis(report, str(tmp_path / "sub" / "d.png"), "title")
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 600
