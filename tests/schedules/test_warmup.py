import keras
import numpy as np
import pytest

from keras_training_kit.schedules import LinearWarmup


def test_warms_from_the_initial_rate_to_the_wrapped_schedule():
    after = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    schedule = LinearWarmup(after, warmup_steps=4, initial_learning_rate=0.02)
    values = [float(schedule(s)) for s in (0, 2, 4, 14)]
    np.testing.assert_allclose(values, [0.02, 0.06, 0.1, 0.05], rtol=1e-5)


def test_zero_warmup_is_the_schedule():
    schedule = LinearWarmup(0.3, warmup_steps=0)
    assert float(schedule(0)) == pytest.approx(0.3)


def test_config_round_trip_with_a_nested_schedule():
    after = keras.optimizers.schedules.CosineDecay(0.1, 20)
    schedule = LinearWarmup(after, warmup_steps=5)
    again = LinearWarmup.from_config(schedule.get_config())
    steps = [0, 3, 5, 15, 25]
    np.testing.assert_allclose(
        [float(again(s)) for s in steps], [float(schedule(s)) for s in steps]
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"after": 0.0}, r"after.*LearningRateSchedule.*Received: after=0.0"),
        ({"warmup_steps": 1.5}, "warmup_steps"),
        ({"initial_learning_rate": -1}, "initial_learning_rate"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearWarmup(**{"after": 0.1, "warmup_steps": 3, **kwargs})
