import numpy as np
import pytest

from keras_training_kit.plotting import plot_lr_finder


def test_draws_losses_and_the_suggestion(tmp_path, saved_figures, drawn_png):
    rates = np.geomspace(1e-5, 1, 20)
    losses = np.linspace(2.3, 0.5, 20)
    path = plot_lr_finder(
        rates,
        losses,
        str(tmp_path / "lr.png"),
        smoothed_losses=losses,
        suggested_learning_rate=1e-2,
        title="test",
    )
    drawn_png(path)
    (ax,) = saved_figures[0].axes
    assert ax.get_xscale() == "log" and ax.get_title() == "test"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["batch loss", "smoothed", "suggested 0.01"]
    batch, smoothed, suggested, marker = ax.get_lines()
    np.testing.assert_allclose(batch.get_xdata(), rates)
    np.testing.assert_allclose(smoothed.get_ydata(), losses)
    assert list(suggested.get_xdata()) == [1e-2, 1e-2]
    # The marker sits on the smoothed curve at the nearest learning rate.
    index = np.argmin(np.abs(np.log(rates / 1e-2)))
    assert list(marker.get_xdata()) == [rates[index]]
    assert list(marker.get_ydata()) == [losses[index]]
    low, high = ax.get_ylim()
    assert low < 0.5 and 2.3 < high < 2.5


def test_marks_every_suggestion(tmp_path, saved_figures, drawn_png):
    rates = np.geomspace(1e-6, 1, 61)
    x = np.log10(rates)
    smoothed = (x + 2) ** 2 / 4 + 1
    suggestions = {"valley": 10**-4.2, "steep": 1e-6, "minimum": 1e-3}
    suggestions.update(slide=None, custom=3e-2)
    path = plot_lr_finder(
        rates,
        smoothed + 0.05,
        str(tmp_path / "lr.png"),
        smoothed_losses=smoothed,
        suggestions=suggestions,
        default_suggestion="valley",
    )
    drawn_png(path)
    fig = saved_figures[0]
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "batch loss",
        "smoothed",
        "valley 6.3e-05 (default)",
        "steep 1.0e-06",
        "minimum 1.0e-03",
        "custom 3.0e-02",
    ]
    # Per rule a dashed vertical line at its rate and a marker on the
    # smoothed curve there, both in the rule's own colour; None is left out.
    lines = ax.get_lines()[2:]
    assert len(lines) == 8
    colours = set()
    for (rule, rate), vertical, marker in zip(
        [(k, v) for k, v in suggestions.items() if v], lines[::2], lines[1::2]
    ):
        assert list(vertical.get_xdata()) == [rate, rate], rule
        assert vertical.get_color() == marker.get_color()
        assert list(marker.get_xdata()) == [rate]
        (height,) = marker.get_ydata()
        assert height == pytest.approx(
            np.interp(np.log(rate), np.log(rates), smoothed)
        )
        colours.add(marker.get_color())
    assert len(colours) == 4
    assert lines[0].get_linewidth() > lines[2].get_linewidth()  # default
    # The legend sits right of the axes, off the curve.
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 > ax.get_window_extent().x1


def test_rejects_a_default_that_is_not_a_suggestion(tmp_path):
    with pytest.raises(
        ValueError,
        match="`default_suggestion` must be a key of `suggestions` "
        "\\('valley'\\). Received: default_suggestion='steep'",
    ):
        plot_lr_finder(
            [1e-3, 1e-2],
            [2.0, 1.0],
            str(tmp_path / "lr.png"),
            suggestions={"valley": 1e-3},
            default_suggestion="steep",
        )


def test_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(
        ValueError, match="len\\(learning_rates\\)=2, len\\(losses\\)=1"
    ):
        plot_lr_finder([1e-3, 1e-2], [1.0], str(tmp_path / "lr.png"))


def test_figure_axes_labels_and_scale():
    from keras_training_kit.plotting.lr_finder import lr_finder_figure

    fig = lr_finder_figure(
        [1e-4, 1e-3, 1e-2],
        [2.3, 1.9, 3.0],
        title="range test",
        suggestions={"valley": 1e-3},
        default_suggestion="valley",
    )
    (ax,) = fig.axes
    assert ax.get_title() == "range test"
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "learning rate (log scale)"
    assert ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "batch loss",
        "valley 1.0e-03 (default)",
    ]
