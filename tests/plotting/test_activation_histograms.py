import numpy as np
import pytest

from keras_training_kit.plotting import histogram
from keras_training_kit.plotting import plot_activation_histograms
from keras_training_kit.plotting.activation_histograms import (
    activation_histograms_figure,
)


def test_histogram_is_plain_data():
    result = histogram(np.array([[0.0, 0.5], [1.0, 1.0]]), bins=2)
    assert result == {"counts": [1, 3], "edges": [0.0, 0.5, 1.0]}
    assert histogram([5.0], bins=4, value_range=(0, 10))["counts"] == [
        0,
        0,
        1,
        0,
    ]


def test_grid_from_values_and_histograms(tmp_path, saved_figures, drawn_png):
    rng = np.random.default_rng(0)
    raw = [np.tanh(rng.normal(size=(20, 8)) * s) for s in (0.5, 1.0, 2.0)]
    counted = [
        dict(histogram(v, bins=10), mean=0.0, std=float(v.std()))
        for v in raw[:2]
    ]
    path = plot_activation_histograms(
        {"raw": raw, "counted": counted},
        str(tmp_path / "sub" / "grid.png"),
        column_titles=["a", "b", "c"],
        title="t",
    )
    assert path.endswith("grid.png")
    drawn_png(path)
    fig = saved_figures[0]
    assert fig.get_suptitle() == "t"
    axes = fig.axes
    assert len(axes) == 6  # two rows of three columns
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == f"a\nmean {raw[0].mean():.2f}, std {raw[0].std():.2g}"
    assert titles[4] == f"mean 0.00, std {raw[1].std():.2g}"
    # The bottom row names the x-axis.
    assert [ax.get_xlabel() for ax in axes] == [""] * 3 + ["activation"] * 2 + [
        ""
    ]
    # The counted row has two layers: its third panel is switched off.
    assert [ax.axison for ax in axes] == [True] * 5 + [False]
    assert [ax.get_ylabel() for ax in (axes[0], axes[3])] == ["raw", "counted"]
    counted_bars = axes[3].patches[0]
    assert counted_bars.get_data().values.tolist() == counted[0]["counts"]


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="rows"):
        plot_activation_histograms({}, str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="rows"):
        plot_activation_histograms({"a": []}, str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="column_titles"):
        plot_activation_histograms(
            {"a": [[1.0]]}, str(tmp_path / "x.png"), column_titles=["1", "2"]
        )
    with pytest.raises(ValueError, match="'counts' and 'edges'"):
        plot_activation_histograms(
            {"a": [{"counts": [1]}]}, str(tmp_path / "x.png")
        )


def test_panels_of_a_row_share_one_x_range_and_fonts_are_readable(
    tmp_path, saved_figures
):
    rng = np.random.default_rng(0)
    # A collapsing row: each layer 10x narrower than the one before.
    rows = {"collapse": [rng.normal(size=500) * 10.0**-i for i in range(4)]}
    plot_activation_histograms(rows, str(tmp_path / "h.png"))
    axes = saved_figures[0].axes
    limits = {ax.get_xlim() for ax in axes}
    assert len(limits) == 1
    low, high = limits.pop()
    assert low < -2 and high > 2  # the widest layer's range
    assert min(ax.title.get_fontsize() for ax in axes) >= 8


def test_many_layers_are_thinned_to_max_columns_with_few_ticks():
    rng = np.random.default_rng(0)
    rows = {"tanh": [np.tanh(rng.normal(size=100)) for _ in range(10)]}
    fig = activation_histograms_figure(rows, max_columns=4, title="t")
    titles = [ax.get_title().splitlines()[0] for ax in fig.axes]
    assert titles == ["layer 1", "layer 4", "layer 7", "layer 10"]
    fig.canvas.draw()
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert 2 <= len(ticks) <= 4
        # Padded: no tick label sits on the panel's edge.
        assert low < min(ticks) and max(ticks) < high
