import warnings

import keras
import numpy as np
import pytest

from keras_training_kit.schedules import OneCycle
from keras_training_kit.schedules import OneCycleMomentum

_X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
_Y = (_X @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
_W0 = np.array([[0.3], [0.1], [-0.2]], dtype="float32")


def _model(optimizer, jit_compile=False):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, use_bias=False)]
    )
    model.layers[0].set_weights([_W0])
    model.compile(optimizer, "mse", jit_compile=jit_compile)
    return model


def _gradient(w):
    return 2.0 / len(_X) * _X.T.astype("float64") @ (_X @ w - _Y)


def _reference(kind, schedule, momentums):
    """Keras' own update rules in NumPy, with the momentum of each step."""
    w = _W0.astype("float64")
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, beta in enumerate(momentums):
        lr = float(schedule(t))
        g = _gradient(w)
        if kind == "sgd":
            m = beta * m - lr * g
            w = w + m
        else:
            m += (g - m) * (1 - beta)
            v += (g * g - v) * (1 - 0.999)
            alpha = lr * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - beta ** (t + 1))
            w = w - m * alpha / (np.sqrt(v) + 1e-7)
    return w


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_every_step_uses_the_cycled_momentum(kind, jit_compile):
    schedule = OneCycle(0.05, total_steps=12)
    optimizer = (
        keras.optimizers.SGD(schedule, momentum=0.9)
        if kind == "sgd"
        else keras.optimizers.Adam(schedule)
    )
    model = _model(optimizer, jit_compile)
    cycle = OneCycleMomentum(schedule)
    model.fit(_X, _Y, batch_size=16, epochs=12, callbacks=[cycle], verbose=0)
    expected = [cycle.momentum(t) for t in range(12)]
    np.testing.assert_allclose(cycle.momentums, expected)
    assert min(expected) == pytest.approx(0.85)
    assert expected[0] == pytest.approx(0.95)
    np.testing.assert_allclose(
        model.get_weights()[0],
        _reference(kind, schedule, expected),
        rtol=1e-4,
        atol=1e-6,
    )
    # A fixed momentum gives other weights: the cycle reached the step.
    assert not np.allclose(
        model.get_weights()[0],
        _reference(kind, schedule, [0.9] * 12),
        rtol=1e-4,
        atol=1e-6,
    )


def test_the_float_is_back_and_the_model_saves_as_usual(tmp_path):
    schedule = OneCycle(0.01, total_steps=4)
    model = _model(keras.optimizers.Adam(schedule))
    cycle = OneCycleMomentum(schedule)
    model.fit(_X, _Y, batch_size=8, epochs=2, callbacks=[cycle], verbose=0)
    assert isinstance(model.optimizer.beta_1, float)
    assert model.optimizer.beta_1 == pytest.approx(cycle.momentums[-1])
    count = len(model.optimizer.variables)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Skipping variable loading ..."
        loaded = keras.saving.load_model(path)
    assert len(loaded.optimizer.variables) == count
    assert int(loaded.optimizer.iterations) == 4


def test_a_checkpoint_taken_during_training_resumes_the_cycle(tmp_path):
    schedule = OneCycle(0.05, total_steps=12)
    path = str(tmp_path / "mid.weights.h5")

    class SaveAfterSix(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 5:
                self.model.save_weights(path)

    whole = _model(keras.optimizers.SGD(schedule, momentum=0.9))
    whole.fit(
        _X,
        _Y,
        batch_size=16,
        epochs=12,
        callbacks=[OneCycleMomentum(schedule), SaveAfterSix()],
        verbose=0,
    )
    resumed = _model(keras.optimizers.SGD(schedule, momentum=0.9))
    cycle = OneCycleMomentum(schedule)
    cycle.set_model(resumed)  # the optimizer gets the momentum variable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed.load_weights(path)
    resumed.fit(
        _X,
        _Y,
        batch_size=16,
        epochs=12,
        initial_epoch=6,
        callbacks=[cycle],
        verbose=0,
    )
    np.testing.assert_allclose(
        cycle.momentums, [cycle.momentum(t) for t in range(6, 12)]
    )
    np.testing.assert_allclose(
        resumed.get_weights()[0], whole.get_weights()[0], rtol=1e-6
    )


def test_with_accumulation_the_cycle_follows_the_batches_as_the_lr_does():
    schedule = OneCycle(0.05, total_steps=8)
    optimizer = keras.optimizers.Adam(schedule, gradient_accumulation_steps=2)
    model = _model(optimizer)
    cycle = OneCycleMomentum(schedule)
    model.fit(_X, _Y, batch_size=4, epochs=2, callbacks=[cycle], verbose=0)
    # Keras evaluates the schedule at the batch count: so does the cycle.
    np.testing.assert_allclose(
        cycle.momentums, [cycle.momentum(t) for t in range(8)]
    )
    assert keras.ops.convert_to_numpy(optimizer.iterations) == 4


@pytest.mark.parametrize(
    "optimizer",
    [
        keras.optimizers.SGD(0.1),
        keras.optimizers.Adagrad(0.1),
        keras.optimizers.RMSprop(0.1),
    ],
    ids=["sgd", "adagrad", "rmsprop"],
)
def test_an_optimizer_without_momentum_is_refused(optimizer):
    model = _model(optimizer)
    with pytest.raises(ValueError, match="needs an optimizer with momentum"):
        model.fit(
            _X,
            _Y,
            callbacks=[OneCycleMomentum(OneCycle(0.1, 4))],
            verbose=0,
        )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"schedule": 0.1}, r"schedule.*OneCycle.*Received: schedule=0.1"),
        ({"max_momentum": 1.0}, "max_momentum"),
        ({"min_momentum": 0.99}, "min_momentum"),
    ],
)
def test_bad_arguments(kwargs, match):
    arguments = {"schedule": OneCycle(0.1, 10), **kwargs}
    with pytest.raises(ValueError, match=match):
        OneCycleMomentum(**arguments)
