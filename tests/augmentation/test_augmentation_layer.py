import os

import keras
import numpy as np
import pytest

from keras_training_kit.augmentation import AugmentationLayer
from keras_training_kit.augmentation import AugmentationPipeline


def _model(layer, shape=(8, 8, 1)):
    inputs = keras.Input(shape)
    return keras.Model(inputs, layer(inputs))


def test_augments_only_in_training_and_survives_saving(tmp_path):
    pipeline = AugmentationPipeline.from_preset("digits", noise=0.05)
    model = _model(pipeline.as_layer(seed=0))
    images = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(model(images, training=False)), images
    )
    augmented = np.asarray(model(images, training=True))
    assert augmented.shape == images.shape
    assert np.abs(augmented - images).max() > 1e-3
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    revived = keras.saving.load_model(path, safe_mode=True)
    layer = revived.layers[-1]
    assert isinstance(layer, AugmentationLayer)
    assert layer.get_config()["config"] == pipeline.get_config()


def test_runs_in_fit_under_mixed_precision(mixed_precision):
    layer = AugmentationPipeline(translation=0.25, cutout=0.25).as_layer(seed=0)
    inputs = keras.Input((8, 8, 1))
    x = layer(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile(
        "sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    x_train = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    history = model.fit(x_train, np.zeros(8, "int32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert layer.compute_dtype == "float32"


def test_mixing_is_refused_in_a_model():
    with pytest.raises(ValueError, match="MixUp and CutMix need labels"):
        AugmentationPipeline(mixup=0.2, num_classes=3).as_layer()


def test_fast_path_operations_compile_with_xla():
    # RandomShiftFlipCutout, RandomCutout, RandomGaussianNoise and colour ops
    # are XLA-compatible; Keras' rotation/zoom/shear
    # (ImageProjectiveTransformV3) are not, see docs/guides/augmentation.md.
    pipeline = AugmentationPipeline.from_preset("cifar10", noise=0.05)
    inputs = keras.Input((8, 8, 1))
    x = pipeline.as_layer(seed=0)(inputs)
    model = keras.Model(
        inputs, keras.layers.Dense(2)(keras.layers.Flatten()(x))
    )
    model.compile(
        "sgd",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=True,
    )
    x_train = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    history = model.fit(x_train, np.zeros(8, "int32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
