import keras
import numpy as np
import pytest

from keras_training_kit.augmentation import RandomCutout
from keras_training_kit.augmentation import RandomShiftFlipCutout


def _reference(images, dy, dx, flip_y, flip_x, mode, fill):
    """NumPy: flip, then pad by the largest shift and crop at the offset."""
    out = np.empty_like(images)
    pad = max(abs(int(v)) for v in list(dy) + list(dx)) + 1
    np_mode = "symmetric" if mode == "reflect" else "constant"
    h, w = images.shape[1:3]
    for i, image in enumerate(images):
        if flip_y[i]:
            image = image[::-1]
        if flip_x[i]:
            image = image[:, ::-1]
        kwargs = {"constant_values": fill} if np_mode == "constant" else {}
        padded = np.pad(
            image, ((pad, pad), (pad, pad), (0, 0)), mode=np_mode, **kwargs
        )
        top, left = pad - dy[i], pad - dx[i]
        out[i] = padded[top : top + h, left : left + w]
    return out


@pytest.mark.parametrize("mode", ["constant", "reflect"])
@pytest.mark.parametrize("channels", [1, 3])
def test_matches_numpy_pad_and_crop(mode, channels):
    rng = np.random.default_rng(0)
    images = rng.random((6, 9, 7, channels)).astype("float32")
    layer = RandomShiftFlipCutout(
        (0.34, 0.3),
        horizontal_flip=True,
        vertical_flip=True,
        fill_mode=mode,
        fill_value=0.25,
        seed=3,
    )
    transformation = layer.get_random_transformation(images)
    result = layer.transform_images(images, transformation)
    t = {k: np.asarray(v) for k, v in transformation.items()}
    assert np.abs(t["dy"]).max() <= 3 and np.abs(t["dx"]).max() <= 2
    assert t["dy"].std() > 0 and t["flip_x"].any() and not t["flip_x"].all()
    expected = _reference(
        images, t["dy"], t["dx"], t["flip_y"], t["flip_x"], mode, 0.25
    )
    np.testing.assert_array_equal(np.asarray(result), expected)


@pytest.mark.parametrize("mode", ["constant", "reflect"])
@pytest.mark.parametrize("factor", [0.25, 0.0])
def test_fused_cutout_equals_shift_then_cutout(mode, factor):
    rng = np.random.default_rng(2)
    images = rng.random((8, 12, 10, 3)).astype("float32")
    layer = RandomShiftFlipCutout(
        factor,
        horizontal_flip=True,
        cutout=0.4,
        fill_mode=mode,
        fill_value=0.75,
        seed=5,
    )
    transformation = layer.get_random_transformation(images)
    result = np.asarray(layer.transform_images(images, transformation))
    t = {k: np.asarray(v) for k, v in transformation.items()}
    shifted = _reference(
        images, t["dy"], t["dx"], t["flip_y"], t["flip_x"], mode, 0.75
    )
    expected = RandomCutout(0.4, fill_value=0.75).transform_images(
        shifted, {"centers": t["centers"]}
    )
    np.testing.assert_allclose(result, np.asarray(expected), atol=1e-6)
    holes = (result == 0.75).all(axis=-1).sum(axis=(1, 2))
    assert holes.min() > 0 and len(set(holes.tolist())) > 1


def test_training_false_and_zero_factor_are_identity():
    images = np.random.default_rng(1).random((2, 8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(RandomShiftFlipCutout(0.25)(images, training=False)), images
    )
    np.testing.assert_array_equal(
        np.asarray(RandomShiftFlipCutout(0.0)(images)), images
    )


def test_serialization_round_trip():
    layer = RandomShiftFlipCutout(
        0.125, horizontal_flip=True, fill_mode="reflect", seed=2
    )
    revived = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(revived, RandomShiftFlipCutout)
    assert revived.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"factor": 1.0}, "`factor` must be"),
        ({"factor": (0.1, -0.1)}, "`factor` must be"),
        ({"factor": 0.1, "fill_mode": "wrap"}, "`fill_mode` must be"),
        (
            {"factor": 0.1, "horizontal_flip": "yes"},
            "`horizontal_flip` must be",
        ),
        ({"factor": 0.1, "cutout": 1.5}, "`cutout` must be .*cutout=1.5"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomShiftFlipCutout(**kwargs)
