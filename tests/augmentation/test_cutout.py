import keras
import numpy as np
import pytest

from keras_training_kit.augmentation import RandomCutout


def test_one_square_hole_of_the_given_size():
    images = np.ones((4, 16, 16, 3), "float32")
    layer = RandomCutout(0.25, fill_value=0.5, seed=0)
    transformation = {"centers": np.array([[0.5, 0.5]] * 4, "float32")}
    result = np.asarray(layer.transform_images(images, transformation))
    hole = result[..., 0] == 0.5
    assert hole.sum(axis=(1, 2)).tolist() == [16] * 4
    np.testing.assert_array_equal(hole[0, 6:10, 6:10], True)
    # All channels are blocked together.
    np.testing.assert_array_equal(result[..., 0], result[..., 2])


def test_random_holes_stay_in_bounds_and_vary():
    images = np.ones((8, 12, 12, 1), "float32")
    result = np.asarray(RandomCutout(0.5, seed=1)(images))
    holes = (result[..., 0] == 0).sum(axis=(1, 2))
    assert holes.max() <= 36 and holes.min() >= 9
    assert len({r.tobytes() for r in result}) > 1
    np.testing.assert_array_equal(
        np.asarray(RandomCutout(0.5)(images, training=False)), images
    )


def test_serialization_round_trip():
    layer = RandomCutout(0.3, fill_value=0.1, seed=4)
    revived = keras.layers.deserialize(keras.layers.serialize(layer))
    assert revived.get_config() == layer.get_config()


@pytest.mark.parametrize("size", [0, 1.5, -0.2, True])
def test_bad_size_raises(size):
    with pytest.raises(
        ValueError, match=f"`size` must be .*Received: size={size}"
    ):
        RandomCutout(size)
