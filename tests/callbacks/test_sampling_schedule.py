"""`SamplingSchedule`: fixed multiples and the automatic cost model."""

import pytest

from keras_training_kit.callbacks import sampling_schedule
from keras_training_kit.callbacks.sampling_schedule import SamplingSchedule


def test_fixed_interval_samples_at_its_multiples():
    schedule = SamplingSchedule(every_n_steps=4, max_overhead=0.02)
    schedule.begin(0)
    schedule.sampled(0, cost=1.0)
    assert schedule.next == 4 and schedule.interval == 4
    assert [s for s in range(12) if schedule.snapshot_due(s)] == [3]
    # An epoch-end sample off the multiples keeps them.
    schedule.sampled(6, cost=1.0)
    assert schedule.next == 8
    assert schedule.due(8) and not schedule.due(6)
    schedule.sampled(8, cost=1.0)
    assert not schedule.due(8)  # taken already


def test_automatic_interval_from_the_measured_costs(monkeypatch):
    clock = iter([0.0, 0.08])  # 8 steps of 10 ms
    monkeypatch.setattr(
        sampling_schedule.time, "perf_counter", lambda: next(clock)
    )
    syncs = []
    schedule = SamplingSchedule(every_n_steps=None, max_overhead=0.02)
    schedule.begin(100)
    schedule.sampled(100, cost=1.0)  # untimed: no interval yet
    assert schedule.interval is None and schedule.next is None
    schedule.set_probe_cost(0.002)
    for step in range(100, 110):
        assert not schedule.calibrate(step, lambda: syncs.append(step))
    assert not schedule.calibrate(110, lambda: syncs.append(110))
    assert syncs == [102, 110]  # the timed window: steps 2..10
    # 2 (after-effect) * 1.5 probes * 2 ms / (2% of a 10 ms step) = 30.
    assert schedule.interval == 30 and schedule.next == 130
    # Re-tuned with the median of the last costs; an epoch end sampled
    # early stands in for the planned sample (130).
    schedule.sampled(115, cost=0.004)
    assert schedule.interval == 40 and schedule.next == 170
    for cost in (0.001, 0.001):
        schedule.sampled(120, cost=cost)
    assert schedule.interval == 10


def test_calibration_may_ask_for_the_snapshot_at_once(monkeypatch):
    clock = iter([0.0, 8.0])  # a step far slower than the probe
    monkeypatch.setattr(
        sampling_schedule.time, "perf_counter", lambda: next(clock)
    )
    schedule = SamplingSchedule(every_n_steps=None, max_overhead=0.5)
    schedule.begin(0)
    schedule.sampled(0, cost=0.0)
    schedule.set_probe_cost(1e-6)
    schedule.calibrate(2, lambda: None)
    assert schedule.calibrate(10, lambda: None) is True
    assert schedule.interval == 1 and schedule.next == 11
    assert schedule.due(11)


def test_epoch_ends_are_sampled_when_near_an_automatic_sample():
    fixed = SamplingSchedule(every_n_steps=100, max_overhead=0.02)
    fixed.begin(0)
    fixed.sampled(0, cost=1.0)
    assert fixed.epoch_end_due(7)  # every epoch end
    schedule = SamplingSchedule(every_n_steps=None, max_overhead=0.02)
    schedule.begin(0)
    schedule.sampled(0, cost=1.0)
    assert schedule.epoch_end_due(7)  # no interval chosen yet
    schedule.interval = 40
    schedule.sampled(10, cost=1.0)  # next at 50
    assert not schedule.epoch_end_due(29)
    assert schedule.epoch_end_due(30)  # half an interval away at most
    schedule.sampled(30, cost=1.0)
    # It stood in for the sample planned at 50: the cadence goes on from
    # there, so epochs of 20 steps (epoch ends at 30, 50, 70, ...) are not
    # all sampled; a sample every 40 steps on average.
    assert schedule.next == 90
    assert not schedule.epoch_end_due(50)
    assert schedule.epoch_end_due(70)
    schedule.sampled(70, cost=1.0)
    assert schedule.next == 130
    # A sample after its planned step (a fit ended, an interval sample)
    # counts from itself.
    schedule.sampled(140, cost=1.0)
    assert schedule.next == 180


@pytest.mark.parametrize("every_n_steps", [None, 3])
def test_begin_resets_a_previous_fit(every_n_steps):
    schedule = SamplingSchedule(every_n_steps, max_overhead=0.02)
    schedule.begin(0)
    schedule.sampled(0, cost=1.0)
    schedule.begin(50)
    assert schedule.last is None and schedule.next is None
    assert schedule.interval == every_n_steps


def test_the_steps_between_samples_lengthen_the_interval(monkeypatch):
    clock = iter([0.0, 0.08])  # steps 2..10 timed at 10 ms each
    monkeypatch.setattr(
        sampling_schedule.time, "perf_counter", lambda: next(clock)
    )
    schedule = SamplingSchedule(every_n_steps=None, max_overhead=0.02)
    schedule.begin(0)
    schedule.sampled(0, cost=0.5, end=1.0)  # before the trace: no step time
    schedule.set_probe_cost(0.002)
    for step in range(11):
        schedule.calibrate(step, lambda: None)
    assert schedule.interval == 30  # 2 * 1.5 * 2 ms / (2% of 10 ms)
    # The trace's second between the first samples is no steady step.
    schedule.sampled(30, cost=0.003, end=2.0)
    assert schedule.interval == 30
    # 30 steps in ~0.15 s between the samples: ~5 ms a step, not 10.
    schedule.sampled(60, cost=0.003, end=2.1531)
    assert schedule.interval == 60 and schedule.next == 120
    # A stall between samples (a checkpoint) does not shorten it again.
    schedule.sampled(120, cost=0.003, end=9.0)
    assert schedule.interval == 60
    # Without the samples' end times the step time stays as calibrated.
    schedule.begin(200)
    schedule.sampled(200, cost=0.003)
    assert schedule._step_time is None
