import os

import numpy as np
import pytest

from keras_training_kit.plotting import plot_augmentation_grid


def test_draws_the_grid(tmp_path):
    x = np.random.default_rng(0).random((2, 8, 8, 3))
    path = os.path.join(tmp_path, "grid.png")
    captions = [["0", "1"], ["0:0.70 1:0.30", "1"]]
    assert (
        plot_augmentation_grid(x, np.stack([x, x]), path, captions=captions)
        == path
    )
    assert os.path.getsize(path) > 1000


def test_mismatched_shapes_raise(tmp_path):
    x = np.zeros((2, 8, 8, 1))
    with pytest.raises(ValueError, match="Received: originals.shape"):
        plot_augmentation_grid(
            x, np.zeros((1, 3, 8, 8, 1)), str(tmp_path / "g.png")
        )
