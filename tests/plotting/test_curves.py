import os

import matplotlib.image
import pytest

from keras_training_kit.plotting import plot_training_curves


def test_curves_png(tmp_path):
    history = {"epoch": [0, 1, 2], "loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7],
               "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]}
    path = plot_training_curves(history, str(tmp_path / "sub" / "curves.png"), title="t")
    image = matplotlib.image.imread(path)
    assert image.shape[1] > image.shape[0] > 100  # two panels side by side
    assert os.path.getsize(path) > 5000


def test_curves_without_validation(tmp_path):
    path = plot_training_curves({"loss": [2.0, 1.0]}, str(tmp_path / "c.png"))
    assert os.path.exists(path)
