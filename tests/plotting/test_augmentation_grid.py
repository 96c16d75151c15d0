import os

import numpy as np
import pytest

from keras_training_kit.plotting import plot_augmentation_grid


def test_draws_the_grid(tmp_path, saved_figures, drawn_png):
    x = np.random.default_rng(0).random((2, 8, 8, 3))
    path = os.path.join(tmp_path, "grid.png")
    captions = [["0", "1"], ["0:0.70 1:0.30", "1"]]
    assert (
        plot_augmentation_grid(x, np.stack([x, x]), path, captions=captions)
        == path
    )
    drawn_png(path)
    axes = saved_figures[0].axes
    assert len(axes) == 6  # two examples, the original and two versions
    assert [ax.get_title() for ax in axes[:3]] == [
        "original",
        "augmented 1",
        "augmented 2",
    ]
    assert [ax.get_xlabel() for ax in axes] == ["", "0", "0:0.70 1:0.30"] + [
        "",
        "1",
        "1",
    ]
    for index, ax in enumerate(axes):
        np.testing.assert_allclose(
            ax.images[0].get_array(), x[index // 3], rtol=1e-6
        )


def test_gray_images_use_the_value_range(tmp_path, saved_figures):
    x = np.full((1, 4, 4, 1), 0.5)
    plot_augmentation_grid(
        x, x[None] + 0.5, str(tmp_path / "g.png"), value_range=(0.0, 2.0)
    )
    original, augmented = saved_figures[0].axes
    assert original.images[0].get_cmap().name == "gray"
    np.testing.assert_allclose(original.images[0].get_array(), 0.25)
    np.testing.assert_allclose(augmented.images[0].get_array(), 0.5)


def test_mismatched_shapes_raise(tmp_path):
    x = np.zeros((2, 8, 8, 1))
    with pytest.raises(ValueError, match="Received: originals.shape"):
        plot_augmentation_grid(
            x, np.zeros((1, 3, 8, 8, 1)), str(tmp_path / "g.png")
        )


def test_figure_titles_and_captions():
    from keras_training_kit.plotting.augmentation_grid import (
        augmentation_grid_figure,
    )

    images = np.zeros((2, 4, 4, 1))
    fig = augmentation_grid_figure(
        images,
        np.stack([images, images]),
        captions=[["a", "b"], ["c", "d"]],
        original_captions=["3", "5"],
        title="preview",
    )
    assert fig.get_suptitle() == "preview"
    assert [ax.get_title() for ax in fig.axes[:3]] == [
        "original",
        "augmented 1",
        "augmented 2",
    ]
    assert [ax.get_xlabel() for ax in fig.axes[3:]] == ["5", "b", "d"]
