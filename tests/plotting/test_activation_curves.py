"""`plot_activation_curves`: per-layer statistics over training to a PNG."""

import math

import numpy as np
import pytest

from keras_training_kit.plotting import plot_activation_curves
from keras_training_kit.plotting.activation_curves import (
    activation_curves_figure,
)


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
        [0, 10, 20], history, str(tmp_path / "c" / "curves.png"), title="t"
    )
    drawn_png(path)
    fig = saved_figures[0]
    assert fig.get_suptitle() == "t"
    axes = fig.axes  # four panels: two rows of two
    assert [ax.get_title() for ax in axes] == [
        "mean",
        "std",
        "dead fraction",
        "update ratio",
    ]
    assert [ax.get_ylabel() for ax in axes] == [
        "mean activation",
        "activation std (log scale)",
        "fraction of units",
        "step / weight norm (log scale)",
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
    # A zero on a log panel and a NaN leave gaps, marked on the x-axis.
    np.testing.assert_array_equal(
        std.get_lines()[0].get_ydata(), [1.0, 0.5, np.nan]
    )
    assert list(std.get_lines()[1].get_xdata()) == [20]
    assert list(update.get_lines()[1].get_xdata()) == [0]
    legend = fig.legends[0]
    assert legend.get_texts()[0].get_fontsize() >= 9
    assert [t.get_text() for t in legend.get_texts()] == [
        "dense",
        "act",
        "no value (NaN or <= 0)",
    ]


def test_log_ticks_are_plain_numbers_over_a_short_range():
    fig = activation_curves_figure(
        [0, 1, 2], {"d": {"std": [0.3, 0.5, 0.9]}}, metrics=("std",)
    )
    (ax,) = fig.axes
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all("10^" not in text for text in labels)
    assert not [t.get_text() for t in ax.get_yminorticklabels() if t.get_text()]


def test_a_nan_noise_scale_is_a_marked_gap():
    nan = math.nan
    history = {"model": {"noise_scale": [nan, nan, 300.0, nan, 250.0]}}
    fig = activation_curves_figure(
        [0, 10, 20, 30, 40],
        history,
        metrics=("noise_scale",),
        log_scale=("noise_scale",),
    )
    (ax,) = fig.axes
    line, crosses = ax.get_lines()
    assert line.get_label() == "model"
    assert list(crosses.get_xdata()) == [0, 10, 30]
    assert ax.get_ylabel() == "examples (log scale)"


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
