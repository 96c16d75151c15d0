"""`SamplingSchedule`: when a statistics callback samples during `fit`.

A fixed interval samples at its multiples. An automatic one is chosen
after the first steps from a timed probe and step, then re-tuned with the
measured cost of each sample and the measured time of the steps between
samples, so that sampling costs about a given share of the training time.
"""

import logging
import math
import time

logger = logging.getLogger(__name__)

# A sample costs about twice what its own hooks take: the training steps
# right after a probe run slower while caches and thread pools warm up
# again (measured on 2 CPU cores with `benchmarks/activation_statistics.py`:
# ~14 ms of probe, ~10 ms more spread over the next steps).
_AFTER_EFFECT = 2.0
# Steps 0-1 include tracing the train function; steps 2..10 are timed.
_WARMUP, _WINDOW = 2, 8


class SamplingSchedule:
    """The sampling steps of one `fit`: a fixed or an automatic interval.

    The owner calls `begin` at the start of `fit`, `sampled` after each
    sample, `set_probe_cost` and then `calibrate` at each step while
    `interval` is `None`, and asks `due` whether to sample at a step and
    `snapshot_due` whether the next step is sampled.

    Args:
        every_n_steps: int >= 1 or `None`. A fixed interval samples at the
            multiples of `n`. `None` chooses the interval from the costs
            of a probe and of a step (see `calibrate`), and re-tunes it
            with the cost of each sample; it counts from the last sample of
            any kind, and samples an epoch end only when its next sample is
            near (`epoch_end_due`), so epoch-end samples are part of the
            budget.
        max_overhead: float in (0, 1), the target cost of sampling relative
            to training for an automatic interval.
        owner: str, the callback named in the log line of the chosen
            interval. Defaults to `"ActivationStatistics"`.

    Attributes:
        interval: int or `None`, the interval in use (`None` until an
            automatic one is chosen).
        last: int or `None`, the step of the last sample.
        next: int or `None`, the step of the next interval sample.

    Example:

    >>> schedule = SamplingSchedule(every_n_steps=4, max_overhead=0.02)
    >>> schedule.begin(0)
    >>> schedule.sampled(0, cost=0.01)
    >>> schedule.due(3), schedule.due(4), schedule.snapshot_due(3)
    (False, True, True)
    """

    def __init__(
        self,
        every_n_steps: int | None,
        max_overhead: float,
        owner: str = "ActivationStatistics",
    ):
        self.every_n_steps = every_n_steps
        self.owner = owner
        self.max_overhead = max_overhead
        self.interval = every_n_steps
        self.last = None
        self.next = None
        self._fit_start = 0
        self._costs = []
        self._probe_cost = None
        self._timing_start = None
        self._step_time = None
        self._last_end = None

    def begin(self, step: int):
        """Starts a `fit` whose first step is `step`."""
        self.interval = self.every_n_steps
        self.last = self.next = None
        self._fit_start = step
        self._costs = []
        self._probe_cost = self._timing_start = self._step_time = None
        self._last_end = None

    def set_probe_cost(self, seconds: float):
        """The time of one warm probe, the first guess of a sample's cost."""
        self._probe_cost = seconds

    def sampled(self, step: int, cost: float, end: float | None = None):
        """Records a sample at `step` that took `cost` seconds.

        Args:
            step: int, the step sampled.
            cost: float, the sample's seconds.
            end: float or `None`, `time.perf_counter()` when the sample
                ended. With the previous sample's, the steps between them
                give the step time its steady value: the steps timed by
                `calibrate` right after the trace run slower (20-50% for an
                MLP on 2 CPU cores), which made the interval that much too
                short. The smaller of the two is kept, so a stall between
                samples (a checkpoint, a validation pass) does not shorten
                the interval.
        """
        previous, previous_end = self.last, self._last_end
        planned = self.next
        self.last, self._last_end = step, end
        if None not in (end, previous_end, self._step_time) and step > previous:
            steady = (end - cost - previous_end) / (step - previous)
            self._step_time = min(self._step_time, max(steady, 1e-9))
        if self._step_time is not None:
            # Re-tune an automatic interval with the measured cost of a
            # whole (warm) sample: probe, transfer, TensorBoard and CSV.
            # The cost is smoothed (a median of the last samples) so that
            # one slow sample (the host was busy) does not swing it, and
            # doubled for the after-effect.
            self._costs.append(cost)
            recent = sorted(self._costs[-5:])
            self.interval = self._interval_for(recent[len(recent) // 2])
        self._schedule(planned)

    def due(self, step: int) -> bool:
        """Whether an interval sample falls on `step` (not yet taken)."""
        return (
            self.interval is not None
            and step == self.next
            and step != self.last
        )

    def epoch_end_due(self, step: int) -> bool:
        """Whether to sample at an epoch end at `step` (not yet sampled).

        A fixed interval samples at every epoch end, and so does an
        automatic one until it is chosen. Once chosen, an automatic
        interval samples at an epoch end only when its next sample is at
        most half an interval away (the sample moves to the epoch end), so
        short epochs do not add samples beyond the overhead budget.
        """
        if self.every_n_steps is not None or self.interval is None:
            return True
        return step >= self.next - self.interval // 2

    def snapshot_due(self, step: int, lead: int = 1) -> bool:
        """Whether the next interval sample is `lead` steps after `step`."""
        return step + lead == self.next

    def calibrate(self, step: int, sync, lead: int = 1) -> bool:
        """Times steps 2..10 of the fit, then chooses the interval.

        Args:
            step: int, the step about to run.
            sync: callable waiting for the device (e.g. reading a
                variable), called at both ends of the timed window.
            lead: int, the steps between the owner's copy and a sample.

        Returns:
            Whether the first interval sample is `lead` steps away (then
            the owner copies what it compares against now).
        """
        since = step - self._fit_start
        if since == _WARMUP:
            sync()
            self._timing_start = time.perf_counter()
            return False
        if since != _WARMUP + _WINDOW:
            return False
        sync()
        self._step_time = (time.perf_counter() - self._timing_start) / _WINDOW
        # Until a whole sample has been timed (see `sampled`), its cost is
        # guessed as 1.5 probes, doubled for the after-effect.
        self.interval = self._interval_for(1.5 * self._probe_cost)
        self._schedule()
        self.next = max(self.next, step + lead)
        logger.debug(
            "%s: probe %.2f ms, step %.2f ms: sampling every %d steps.",
            self.owner,
            1e3 * self._probe_cost,
            1e3 * self._step_time,
            self.interval,
        )
        return self.next == step + lead

    def _interval_for(self, cost):
        step = max(self._step_time, 1e-9)
        return max(
            1, math.ceil(_AFTER_EFFECT * cost / (self.max_overhead * step))
        )

    def _schedule(self, planned: int | None = None):
        """Sets the step of the next interval sample after the last one.

        `planned` is the step the last sample was planned for, if any.
        """
        n, last = self.interval, self.last
        if n is None:
            return
        if self.every_n_steps is not None:
            # A fixed interval samples at its multiples, epoch ends aside.
            self.next = (last // n + 1) * n
        elif planned is not None and last < planned:
            # An epoch end sampled in place of the planned sample, up to
            # half an interval early: the cadence goes on from the plan.
            # Counting from the epoch end instead made every epoch end due
            # whenever an epoch was at least half an interval long (with
            # 128-step epochs, every 128 steps for intervals up to 256).
            self.next = planned + n
        else:
            # An automatic one counts from the last sample of any kind, so
            # epoch-end samples count towards the overhead budget.
            self.next = last + n
