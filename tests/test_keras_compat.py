"""What the augmentation relies on in Keras: fails when Keras changes it."""

import warnings

import keras
import numpy as np
import pytest

from keras_training_kit import keras_compat
from keras_training_kit import version_check
from keras_training_kit.augmentation import AugmentationPipeline


def test_version_check_warns_once_on_an_untested_version(monkeypatch):
    monkeypatch.setattr(version_check, "_warned", set())
    assert keras_compat.check_version("3.15.1")
    with pytest.warns(RuntimeWarning, match="tested with Keras 3.15.x"):
        assert not keras_compat.check_version("9.0.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not keras_compat.check_version("9.0.0")


def test_installed_keras_is_tested():
    assert keras_compat.check_version(), keras.__version__


def test_keras_random_uses_only_next_of_a_stateless_seed_generator():
    seed = keras_compat.BatchSeed([5, 0])
    # The trick: no `SeedGenerator.__init__`, so no state variable.
    assert not hasattr(seed, "state")
    first = keras.random.uniform((3,), seed=seed)
    second = keras.random.uniform((3,), seed=seed)
    assert seed._draws == 2
    again = keras.random.uniform((3,), seed=keras_compat.BatchSeed([5, 0]))
    other = keras.random.uniform((3,), seed=keras_compat.BatchSeed([6, 0]))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(second))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_every_keras_layer_the_pipeline_drives_takes_the_seed():
    # Each Keras random layer the pipeline builds draws only through the
    # `seed` given to `get_random_transformation`: the same seed, the
    # same transformation.
    pipeline = AugmentationPipeline(
        horizontal_flip=True,
        rotation=0.1,
        zoom=0.1,
        shear=0.1,
        brightness=0.1,
        contrast=0.1,
        hue=0.1,
        saturation=0.1,
        blur=1.0,
        mixup=0.2,
        cutmix=1.0,
    )
    images = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    assert len(pipeline.layers) == 11
    for layer in pipeline.layers:
        draws = [
            layer.get_random_transformation(
                images, training=True, seed=keras_compat.BatchSeed([1, 2])
            )
            for _ in range(2)
        ]
        flat = [keras.tree.flatten(t) for t in draws]
        assert flat[0], type(layer).__name__
        for a, b in zip(*flat):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_cutmix_transformation_keys_and_label_weights():
    cutmix = keras.layers.CutMix(factor=1.0, seed=0)
    images = np.random.default_rng(0).random((6, 8, 8, 3)).astype("float32")
    transformation = cutmix.get_random_transformation(images, training=True)
    assert {"batch_masks", "mix_weight", "permutation_order"} <= set(
        transformation
    )
    masks = np.asarray(transformation["batch_masks"])
    assert masks.shape == images.shape and masks.dtype == bool
    # `transform_labels` weighs the original labels by "mix_weight".
    labels = np.eye(6, dtype="float32")
    weighted = keras_compat.weight_cutmix_by_pixels(dict(transformation))
    weight = np.asarray(weighted["mix_weight"])
    np.testing.assert_allclose(weight, 1.0 - masks[..., 0].mean(axis=(1, 2)))
    mixed = np.asarray(cutmix.transform_labels(labels, weighted))
    order = np.asarray(transformation["permutation_order"])
    expected = weight[:, None] * labels + (1 - weight[:, None]) * labels[order]
    np.testing.assert_allclose(mixed, expected, atol=1e-6)
    # and `transform_images` pastes exactly the masked pixels.
    pasted = np.asarray(cutmix.transform_images(images, transformation))
    np.testing.assert_array_equal(
        pasted, np.where(masks, images[order], images)
    )


@pytest.mark.parametrize("attribute", ["momentum", "beta_1"])
def test_an_optimizer_reads_a_hyperparameter_variable_in_a_compiled_step(
    attribute,
):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False)]
    )
    optimizer = (
        keras.optimizers.SGD(0.1, momentum=0.9)
        if attribute == "momentum"
        else keras.optimizers.Adam(0.1)
    )
    model.compile(optimizer, "mse", jit_compile=True)
    optimizer.build(model.trainable_variables)
    before = len(optimizer.variables)
    variable = keras_compat.HyperparameterVariable(0.9, name=attribute)
    setattr(optimizer, attribute, variable)
    assert len(optimizer.variables) == before + 1
    x, y = np.ones((2, 1)), np.zeros((2, 1))
    model.fit(x, y, batch_size=1, epochs=1, verbose=0)  # traced with 0.9
    weights = []
    for value in (0.0, 0.5):
        variable.assign(value)
        model.layers[0].set_weights([np.ones((1, 1))])
        for slot in optimizer.variables:
            if slot is not variable and slot.name not in (
                "iteration",
                "learning_rate",
            ):
                slot.assign(np.zeros(slot.shape))
        model.fit(x, y, batch_size=1, epochs=1, verbose=0)  # two steps
        weights.append(float(model.layers[0].get_weights()[0][0, 0]))
    # The compiled step read each assigned value (no retrace).
    if attribute == "momentum":
        # w = 1, g = 2w: w1 = 0.8, then w2 = 0.64 - 0.2 * momentum.
        np.testing.assert_allclose(weights, [0.64, 0.54], rtol=1e-6)
    else:
        assert weights[0] != weights[1]
    keras_compat.untrack_optimizer_variable(optimizer, variable)
    assert len(optimizer.variables) == before


def test_hyperparameter_variable_compares_like_its_first_value():
    variable = keras_compat.HyperparameterVariable(0.9, name="momentum")
    assert (variable != 0) is True and (variable == 0) is False
