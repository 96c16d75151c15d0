import keras
import numpy as np
import pytest

from keras_training_kit.schedules import SCHEDULES
from keras_training_kit.schedules import LinearWarmup
from keras_training_kit.schedules import OneCycle
from keras_training_kit.schedules import build_schedule


def _values(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_constant_without_warmup_is_the_float_itself():
    # A float learning rate stays settable (ReduceLROnPlateau).
    assert build_schedule("constant", 0.1, 100) == 0.1


def test_step_multiplies_by_the_factor_at_the_boundaries():
    schedule = build_schedule("step", 0.1, 100)
    assert isinstance(
        schedule, keras.optimizers.schedules.PiecewiseConstantDecay
    )
    values = _values(schedule, [0, 50, 51, 75, 76, 99])
    np.testing.assert_allclose(
        values, [0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rtol=1e-6
    )


def test_exponential_reaches_the_final_fraction_at_the_last_step():
    schedule = build_schedule("exponential", 0.1, 200, final_fraction=0.01)
    steps = np.array([0, 50, 100, 200])
    np.testing.assert_allclose(
        _values(schedule, steps), 0.1 * 0.01 ** (steps / 200), rtol=1e-5
    )


def test_cosine_is_half_a_cosine_to_the_final_fraction():
    schedule = build_schedule("cosine", 0.1, 100, final_fraction=0.1)
    steps = np.array([0, 25, 50, 100])
    expected = 0.1 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * steps / 100)))
    np.testing.assert_allclose(_values(schedule, steps), expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["constant", "step", "exponential", "cosine"])
def test_warmup_rises_linearly_then_the_schedule_starts(name):
    schedule = build_schedule(name, 0.1, 110, warmup_steps=10)
    assert isinstance(schedule, LinearWarmup)
    np.testing.assert_allclose(
        _values(schedule, [0, 5, 9]), [0.0, 0.05, 0.09], rtol=1e-5
    )
    # The decay begins at the peak and keeps its own length of 100 steps.
    plain = build_schedule(name, 0.1, 100)
    after = [10, 40, 60, 109]
    np.testing.assert_allclose(
        _values(schedule, after),
        [float(plain(s - 10)) if callable(plain) else plain for s in after],
        rtol=1e-5,
    )


def test_one_cycle_uses_fastai_defaults():
    schedule = build_schedule("one-cycle", 0.1, 1000)
    assert isinstance(schedule, OneCycle)
    assert schedule.warmup_steps == 250
    assert schedule.initial_learning_rate == pytest.approx(0.1 / 25)
    assert schedule.final_learning_rate == pytest.approx(0.1 / 1e5)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "linear"}, r"schedule.*Received: schedule='linear'"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"total_steps": 0}, "total_steps"),
        ({"warmup_steps": -1}, "warmup_steps"),
        ({"warmup_steps": 100}, r"warmup_steps.*Received: warmup_steps=100"),
        ({"final_fraction": 1.5}, "final_fraction"),
        ({"name": "exponential", "final_fraction": 0.0}, "never reaches 0"),
        ({"name": "step", "boundaries": (0.75, 0.5)}, "boundaries"),
        ({"name": "step", "boundaries": (0.5, 1.0)}, "boundaries"),
        ({"name": "step", "factor": 0.0}, "factor"),
        ({"name": "one-cycle", "div_factor": 0.5}, "div_factor"),
    ],
)
def test_bad_arguments(kwargs, match):
    arguments = {"name": "cosine", "learning_rate": 0.1, "total_steps": 100}
    with pytest.raises(ValueError, match=match):
        build_schedule(**{**arguments, **kwargs})


def test_constant_may_be_all_warmup():
    schedule = build_schedule("constant", 0.2, 10, warmup_steps=10)
    assert float(schedule(10)) == pytest.approx(0.2)


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_round_trips_through_an_optimizer_config(name):
    schedule = build_schedule(name, 0.05, 40, warmup_steps=4)
    optimizer = keras.optimizers.SGD(schedule, momentum=0.9)
    restored = keras.optimizers.deserialize(
        keras.optimizers.serialize(optimizer)
    )
    again = keras.optimizers.schedules.deserialize(
        restored.get_config()["learning_rate"]
    )
    assert type(again) is type(schedule)
    steps = [0, 2, 4, 10, 30, 39, 40]
    np.testing.assert_allclose(
        _values(again, steps), _values(schedule, steps), rtol=1e-6
    )


@pytest.mark.parametrize("name", ["one-cycle", "cosine"])
def test_a_saved_model_loads_with_its_schedule(tmp_path, name):
    schedule = build_schedule(name, 0.05, 40, warmup_steps=4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(schedule), "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0, batch_size=4)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert int(loaded.optimizer.iterations) == 2
    assert float(loaded.optimizer.learning_rate) == pytest.approx(
        float(schedule(2))
    )
