"""`OverfittingMonitor`: the train/validation gap warns or stops training."""

import logging

import keras
import numpy as np
import pytest

from keras_training_kit.callbacks import OverfittingMonitor


def _model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])


def _feed(monitor, gaps):
    model = _model()
    model.stop_training = False  # as `fit` sets it
    monitor.set_model(model)
    monitor.on_train_begin()
    for epoch, (train, val) in enumerate(gaps):
        monitor.on_epoch_end(epoch, {"accuracy": train, "val_accuracy": val})
        if monitor.model.stop_training:
            break


def test_warns_once_when_gap_exceeds_threshold(caplog):
    monitor = OverfittingMonitor(threshold=0.1)
    with caplog.at_level(logging.WARNING):
        _feed(monitor, [(0.6, 0.58), (0.8, 0.65), (0.9, 0.6), (0.95, 0.6)])
    assert monitor.gaps == pytest.approx([0.02, 0.15, 0.3, 0.35])
    assert monitor.exceeded_epoch == 1 and not monitor.stopped
    assert caplog.text.count("overfits") == 1
    assert not monitor.model.stop_training


def test_stops_after_patience():
    monitor = OverfittingMonitor(threshold=0.1, patience=2, stop=True)
    _feed(
        monitor, [(0.8, 0.65), (0.7, 0.65), (0.8, 0.6), (0.9, 0.6), (0.99, 0.5)]
    )
    assert monitor.exceeded_epoch == 3 and monitor.stopped
    assert len(monitor.gaps) == 4


def test_small_gap_and_missing_validation_do_nothing():
    monitor = OverfittingMonitor(threshold=0.1, stop=True)
    _feed(monitor, [(0.9, 0.85), (0.95, 0.9)])
    monitor.on_epoch_end(2, {"accuracy": 1.0})
    assert monitor.exceeded_epoch is None and not monitor.stopped
    assert len(monitor.gaps) == 2


def test_memorizing_random_labels_is_stopped_in_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 16)).astype("float32")
    y = rng.integers(0, 2, size=64)
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(2),
        ]
    )
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    monitor = OverfittingMonitor(threshold=0.2, stop=True)
    history = model.fit(
        x[:32],
        y[:32],
        validation_data=(x[32:], y[32:]),
        epochs=200,
        batch_size=32,
        verbose=0,
        callbacks=[monitor],
    )
    assert monitor.stopped and len(history.history["loss"]) < 200
    assert monitor.gaps[-1] > 0.2


def test_config_and_errors():
    monitor = OverfittingMonitor(
        threshold=0.05, monitor="acc", patience=3, stop=True
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(monitor)
    )
    assert restored.get_config() == monitor.get_config()
    with pytest.raises(ValueError, match="threshold=0"):
        OverfittingMonitor(threshold=0)
    with pytest.raises(ValueError, match="patience=0"):
        OverfittingMonitor(patience=0)
