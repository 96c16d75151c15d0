import numpy as np
import pytest

from keras_training_kit.schedules import OneCycle
from keras_training_kit.schedules.one_cycle import two_phase_cosine


def _fastai(step, total, peak, div=25.0, final_div=1e5, pct_start=0.25):
    """fastai's combined_cos(pct_start, lr/div, lr, lr/div_final), literally."""

    def sched_cos(start, end, pos):
        return start + (1 + np.cos(np.pi * (1 - pos))) * (end - start) / 2

    pos = step / total
    if pos < pct_start:
        return sched_cos(peak / div, peak, pos / pct_start)
    return sched_cos(
        peak, peak / final_div, (pos - pct_start) / (1 - pct_start)
    )


def test_matches_fastai_fit_one_cycle():
    schedule = OneCycle(0.3, total_steps=400)
    steps = [0, 1, 50, 99, 100, 101, 200, 300, 399, 400]
    expected = [_fastai(s, 400, 0.3) for s in steps]
    values = [float(schedule(s)) for s in steps]
    np.testing.assert_allclose(values, expected, rtol=2e-5, atol=1e-9)


def test_peaks_at_the_end_of_the_warmup_and_ends_low():
    schedule = OneCycle(1.0, total_steps=10, warmup_steps=3, div_factor=10)
    values = np.array([float(schedule(s)) for s in range(11)])
    assert int(np.argmax(values)) == 3
    assert values[0] == pytest.approx(0.1)
    assert np.all(np.diff(values[:4]) > 0) and np.all(np.diff(values[3:]) < 0)
    assert values[10] == pytest.approx(1e-5)
    assert float(schedule(50)) == pytest.approx(1e-5)  # past the end


def test_without_warmup_it_only_anneals():
    schedule = OneCycle(0.1, total_steps=10, warmup_steps=0)
    assert float(schedule(0)) == pytest.approx(0.1)


def test_two_phase_cosine_on_numbers():
    assert float(two_phase_cosine(5, 10, 20, 1.0, 3.0, 2.0)) == pytest.approx(2)
    assert float(two_phase_cosine(15, 10, 20, 1.0, 3.0, 2.0)) == pytest.approx(
        2.5
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"max_learning_rate": -1.0}, "max_learning_rate"),
        ({"total_steps": 1}, "total_steps"),
        ({"warmup_steps": 10}, r"warmup_steps.*Received: warmup_steps=10"),
        ({"final_div_factor": 0.1}, "final_div_factor"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OneCycle(**{"max_learning_rate": 0.1, "total_steps": 10, **kwargs})


def test_config_round_trip():
    schedule = OneCycle(0.2, 30, warmup_steps=5, div_factor=10)
    again = OneCycle.from_config(schedule.get_config())
    assert again.get_config() == schedule.get_config()
