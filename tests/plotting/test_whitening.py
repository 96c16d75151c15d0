import numpy as np
import pytest

from keras_training_kit.plotting import plot_image_rows
from keras_training_kit.plotting import plot_whitening_stages


def test_stages_and_image_rows_write_pngs(tmp_path, saved_figures, drawn_png):
    points = np.random.default_rng(0).normal(size=(50, 2))
    path = plot_whitening_stages(
        {"original": points + 3, "centered": points},
        str(tmp_path / "a" / "stages.png"),
        title="t",
    )
    drawn_png(path)
    original, centered = saved_figures[0].axes
    assert [original.get_title(), centered.get_title()] == [
        "original",
        "centered",
    ]
    assert original.collections[0].get_offsets().shape == (50, 2)
    # Both panels share one symmetric range that holds every point.
    limit = np.abs(points + 3).max() * 1.05
    for ax in (original, centered):
        np.testing.assert_allclose(ax.get_xlim(), (-limit, limit))
        np.testing.assert_allclose(ax.get_ylim(), (-limit, limit))
    images = np.random.default_rng(1).random((3, 5, 5, 3))
    path = plot_image_rows(
        {"original": images, "zca": images - 0.5, "gray": images[:2, ..., :1]},
        str(tmp_path / "rows.png"),
    )
    drawn_png(path)
    axes = saved_figures[1].axes
    assert len(axes) == 9  # three rows of three columns
    assert [ax.get_title(loc="left") for ax in axes[::3]] == [
        "original",
        "zca",
        "gray",
    ]
    assert [len(ax.images) for ax in axes] == [1] * 8 + [0]
    # Each image is shown on its own range, stretched to [0, 1].
    shown = axes[3].images[0].get_array()
    assert shown.min() == 0.0 and shown.max() == 1.0
    assert axes[6].images[0].get_array().shape == (5, 5)


def test_bad_shapes_raise(tmp_path):
    with pytest.raises(ValueError, match=r"stages\['x'\].shape=\(4, 3\)"):
        plot_whitening_stages({"x": np.zeros((4, 3))}, str(tmp_path / "s.png"))
    with pytest.raises(ValueError, match="non-empty"):
        plot_image_rows({}, str(tmp_path / "r.png"))
    with pytest.raises(ValueError, match=r"rows\['x'\].shape=\(4, 3\)"):
        plot_image_rows({"x": np.zeros((4, 3))}, str(tmp_path / "r.png"))


def test_figures_titles_and_labels():
    from keras_training_kit.plotting.whitening import image_rows_figure
    from keras_training_kit.plotting.whitening import whitening_stages_figure

    rng = np.random.default_rng(0)
    fig = whitening_stages_figure(
        {
            "original": rng.normal(size=(20, 2)),
            "whitened": rng.normal(size=(20, 2)),
        },
        "stages",
    )
    assert fig.get_suptitle() == "stages"
    assert [ax.get_title() for ax in fig.axes] == ["original", "whitened"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["feature 1"] * 2
    assert fig.axes[0].get_ylabel() == "feature 2"
    rows = image_rows_figure({"zca": rng.random((3, 4, 4))}, "rows")
    assert rows.get_suptitle() == "rows"
    assert rows.axes[0].get_title(loc="left") == "zca"
