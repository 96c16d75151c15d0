"""`sanity_check`: CS231n's checklist, on healthy and broken models.

The checklist is that of CS231n's "Training Neural Networks" lectures. It
passes on a healthy model and flags broken ones.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_training_kit.babysitting import sanity_check
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_mlp

_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(128, 8)).astype("float32")
_Y = _RNG.integers(0, 4, size=128).astype("int32")


def test_healthy_model_passes_every_check():
    data = load_dataset("digits")
    model = build_mlp(data.input_shape, 10, (32,), l2=1e-3)
    before = [w.numpy().copy() for w in model.weights]
    report = sanity_check(model, data.train, 10)
    assert report.passed, report.to_text()
    checks = {c["check"]: c for c in report.checks}
    assert checks["initial loss"]["expected"] == pytest.approx(math.log(10))
    assert abs(
        checks["initial loss"]["value"] - math.log(10)
    ) < 0.25 * math.log(10)
    assert (
        checks["regularization"]["value"] > checks["regularization"]["expected"]
    )
    assert checks["overfit tiny subset"]["value"] == 1.0
    # The given model is left untouched: a copy is overfitted.
    for old, new in zip(before, model.weights):
        np.testing.assert_array_equal(old, new.numpy())
    assert "PASS  initial loss" in report.to_text()


def test_overconfident_init_fails_initial_loss_and_no_regularizer_is_skipped():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(
                4,
                kernel_initializer=keras.initializers.RandomNormal(stddev=10.0),
            ),
        ]
    )
    report = sanity_check(model, (_X, _Y), 4, max_epochs=50)
    checks = {c["check"]: c for c in report.checks}
    assert checks["initial loss"]["passed"] is False
    assert checks["initial loss"]["value"] > 3 * math.log(4)
    assert checks["regularization"]["passed"] is None
    assert not report.passed and "FAIL  initial loss" in report.to_text()
    # The diagnostics' initial-loss rule judged it, in its words.
    assert "Start the output layer with small weights" in (
        checks["initial loss"]["detail"]
    )


def test_model_that_cannot_learn_fails_overfitting():
    frozen = build_mlp((8,), 4, (32,))
    for layer in frozen.layers:
        layer.trainable = False
    report = sanity_check(frozen, (_X, _Y), 4, max_epochs=25, subset_size=20)
    checks = {c["check"]: c for c in report.checks}
    assert checks["overfit tiny subset"]["passed"] is False


def test_batched_dataset_and_errors():
    # Inputs in [0, 1], as images: the untrained logits stay small.
    x = _RNG.uniform(size=(128, 8)).astype("float32")
    batched = tf.data.Dataset.from_tensor_slices((x, _Y)).batch(16)
    report = sanity_check(
        build_mlp((8,), 4, (16,)), batched, 4, num_examples=64
    )
    assert report.checks[0]["passed"], report.to_text()
    with pytest.raises(ValueError, match="num_classes=1"):
        sanity_check(build_mlp((8,), 4), (_X, _Y), 1)
    with pytest.raises(ValueError, match="subset_size=0"):
        sanity_check(build_mlp((8,), 4), (_X, _Y), 4, subset_size=0)
    with pytest.raises(TypeError, match="dataset="):
        sanity_check(build_mlp((8,), 4), _X, 4)
