"""`DivergenceGuard`: stops on a planted divergence, not on a healthy run."""

import keras
import numpy as np
import pytest

from keras_training_kit.callbacks import DivergenceGuard

_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(128, 4)).astype("float32")
_Y = (_X @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")).astype("float32")


def _fit(learning_rate, guard, epochs=5, **kwargs):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    history = model.fit(
        _X,
        _Y,
        batch_size=16,
        epochs=epochs,
        verbose=0,
        callbacks=[guard],
        **kwargs,
    )
    return history


def test_huge_learning_rate_is_stopped():
    guard = DivergenceGuard(factor=3.0)
    history = _fit(100.0, guard)
    assert guard.diverged
    assert (
        "exceeds 3 x the first value" in guard.reason or "nan" in guard.reason
    )
    assert guard.stopped_step is not None and guard.stopped_step <= 8
    assert len(history.history["loss"]) == 1  # stopped inside the first epoch


def test_healthy_run_is_not_stopped():
    guard = DivergenceGuard()
    history = _fit(0.05, guard)
    assert (
        not guard.diverged
        and guard.reason is None
        and guard.stopped_step is None
    )
    assert len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_nan_loss_is_stopped_in_epoch_mode_on_validation_loss():
    guard = DivergenceGuard(monitor="val_loss", check_every="epoch")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    y_val = _Y.copy()
    y_val[0] = np.nan
    model.fit(
        _X,
        _Y,
        validation_data=(_X, y_val),
        epochs=3,
        verbose=0,
        callbacks=[guard],
    )
    assert guard.diverged and guard.stopped_step == 1
    assert guard.reason == "val_loss is nan at epoch 1"


def test_reset_between_fits_and_config():
    guard = DivergenceGuard(factor=2.5, monitor="loss", check_every="batch")
    _fit(100.0, guard)
    assert guard.diverged
    _fit(0.05, guard, epochs=1)
    assert not guard.diverged
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(guard)
    )
    assert restored.get_config() == {
        "factor": 2.5,
        "monitor": "loss",
        "check_every": "batch",
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"factor": 1.0}, "factor=1.0"),
        ({"factor": "3"}, "factor='3'"),
        ({"monitor": ""}, "monitor=''"),
        ({"check_every": "step"}, "check_every='step'"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DivergenceGuard(**kwargs)


def test_monitors_that_can_never_fire_are_refused_or_warned():
    import warnings

    import keras
    import numpy as np
    import pytest

    from keras_training_kit.callbacks import DivergenceGuard

    with pytest.raises(
        ValueError, match="batch logs never hold.*check_every='epoch'"
    ):
        DivergenceGuard(monitor="val_loss")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    guard = DivergenceGuard(monitor="val_acc", check_every="epoch")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(
            np.ones((8, 2)),
            np.ones((8, 1)),
            epochs=3,
            verbose=0,
            callbacks=[guard],
        )
    messages = [
        str(w.message) for w in caught if "DivergenceGuard" in str(w.message)
    ]
    # Once, at the end of the first epoch.
    assert (
        len(messages) == 1
        and "`monitor='val_acc'` is not in the training logs" in messages[0]
    )
