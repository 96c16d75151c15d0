import keras
import numpy as np
import pytest

from keras_training_kit.augmentation import RandomGaussianNoise


def test_adds_clipped_noise_with_levels_up_to_stddev():
    images = np.full((16, 16, 16, 1), 0.5, "float32")
    result = np.asarray(RandomGaussianNoise(0.1, seed=0)(images))
    assert result.min() >= 0.0 and result.max() <= 1.0
    per_image = (result - images).std(axis=(1, 2, 3))
    assert per_image.max() <= 0.11 and per_image.max() > per_image.min()
    assert abs(float((result - images).mean())) < 0.01
    clipped = np.asarray(RandomGaussianNoise(1.0, seed=0)(images))
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_value_range_and_eval_path():
    images = np.full((2, 4, 4, 3), 128.0, "float32")
    layer = RandomGaussianNoise(50.0, value_range=(0, 255), seed=1)
    result = np.asarray(layer(images))
    assert result.max() <= 255 and result.min() >= 0 and result.std() > 1
    np.testing.assert_array_equal(
        np.asarray(layer(images, training=False)), images
    )


def test_serialization_round_trip():
    layer = RandomGaussianNoise(0.2, value_range=(-1, 1), seed=3)
    revived = keras.layers.deserialize(keras.layers.serialize(layer))
    assert revived.get_config() == layer.get_config()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="`stddev` must be a float >= 0"):
        RandomGaussianNoise(-0.1)
    with pytest.raises(ValueError, match="`value_range` must be"):
        RandomGaussianNoise(0.1, value_range=(1, 0))
