"""`plot_activation_curves`: per-layer statistics over training to a PNG."""

import math

import pytest

from keras_training_kit.plotting import plot_activation_curves


def test_panels_per_metric_lines_per_layer(tmp_path, saved_figures, drawn_png):
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
    pixels = drawn_png(path)
    assert pixels.shape[1] > 3 * pixels.shape[0]  # four panels in a row
    axes = saved_figures[0].axes
    assert [ax.get_title() for ax in axes] == [
        "mean",
        "std",
        "dead fraction",
        "update ratio",
    ]
    assert [ax.get_yscale() for ax in axes] == [
        "linear",
        "log",
        "linear",
        "log",
    ]
    mean, std, dead, update = axes
    assert [line.get_label() for line in mean.get_lines()] == ["dense", "act"]
    # A layer keeps its color across panels.
    assert dead.get_lines()[0].get_color() == mean.get_lines()[1].get_color()
    # The log panels drop zeros, and every panel drops NaN.
    assert list(std.get_lines()[0].get_xdata()) == [0, 10]
    assert list(update.get_lines()[0].get_xdata()) == [10, 20]
    legend = saved_figures[0].legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["dense", "act"]


def test_errors():
    with pytest.raises(ValueError, match="history"):
        plot_activation_curves([0], {}, "x.png")
    with pytest.raises(ValueError, match="metrics=\\('nope',\\)"):
        plot_activation_curves(
            [0], {"a": {"mean": [1.0]}}, "x.png", metrics=("nope",)
        )


def test_legend_names_layers_missing_from_the_first_panel(
    tmp_path, saved_figures
):
    # Gradient curves: an activation layer has a backprop std but no
    # gradient norm, and the model-level noise scale is in its own panel.
    history = {
        "dense": {"gradient_norm": [1.0, 0.5], "backprop_std": [0.1, 0.1]},
        "act": {"backprop_std": [0.2, 0.1]},
        "model": {"noise_scale": [20.0, 30.0]},
    }
    plot_activation_curves(
        [0, 10],
        history,
        str(tmp_path / "g.png"),
        metrics=("gradient_norm", "backprop_std", "noise_scale"),
    )
    legend = saved_figures[0].legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "dense",
        "act",
        "model",
    ]
