import os

import numpy as np
import pytest

from keras_training_kit.plotting import plot_lr_finder


def test_writes_a_png(tmp_path):
    rates = np.geomspace(1e-5, 1, 20)
    losses = np.linspace(2.3, 0.5, 20)
    path = plot_lr_finder(rates, losses, str(tmp_path / "lr.png"),
                          smoothed_losses=losses, suggested_learning_rate=1e-2,
                          title="test")
    assert os.path.getsize(path) > 1000


def test_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(ValueError, match="len\\(learning_rates\\)=2, len\\(losses\\)=1"):
        plot_lr_finder([1e-3, 1e-2], [1.0], str(tmp_path / "lr.png"))
