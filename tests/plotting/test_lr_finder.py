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


def test_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(
        ValueError, match="len\\(learning_rates\\)=2, len\\(losses\\)=1"
    ):
        plot_lr_finder([1e-3, 1e-2], [1.0], str(tmp_path / "lr.png"))
