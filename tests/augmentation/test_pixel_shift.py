"""`RandomPixelShift`, the deprecated name of `RandomShiftFlipCutout`."""

import os

import keras
import numpy as np
import pytest

from keras_training_kit.augmentation import RandomPixelShift
from keras_training_kit.augmentation import RandomShiftFlipCutout

# Saved by an earlier 0.1.0 build, in which `RandomPixelShift` was the
# layer's only name (module `keras_training_kit.augmentation.pixel_shift`).
OLD_MODEL = os.path.join(
    os.path.dirname(__file__), "data", "random_pixel_shift.keras"
)


def test_old_name_warns_and_is_the_same_layer():
    with pytest.warns(DeprecationWarning, match="RandomShiftFlipCutout"):
        old = RandomPixelShift(0.25, horizontal_flip=True, cutout=0.5, seed=4)
    new = RandomShiftFlipCutout(0.25, horizontal_flip=True, cutout=0.5, seed=4)
    assert isinstance(old, RandomShiftFlipCutout)
    assert old.get_config() | {"name": None} == new.get_config() | {
        "name": None
    }
    images = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(old(images)), np.asarray(new(images))
    )


def test_model_saved_with_the_old_name_loads(tmp_path):
    with pytest.warns(DeprecationWarning):
        model = keras.saving.load_model(OLD_MODEL, safe_mode=True)
    (layer,) = model.layers
    assert isinstance(layer, RandomShiftFlipCutout)
    assert layer.get_config()["factor"] == [0.25, 0.125]
    assert (layer.horizontal_flip, layer.cutout) == (True, 0.25)
    assert (layer.fill_mode, layer.fill_value, layer.seed) == (
        "reflect",
        0.5,
        3,
    )
    images = np.random.default_rng(1).random((2, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(model(images, training=False)), images
    )
    # It saves again under the name it was loaded with.
    path = os.path.join(tmp_path, "again.keras")
    model.save(path)
    with pytest.warns(DeprecationWarning):
        again = keras.saving.load_model(path, safe_mode=True)
    assert type(again.layers[0]).__name__ == "RandomPixelShift"
