"""`SampledStatistics`: the `fit` hooks shared by the statistics callbacks.

`ActivationStatistics` and `GradientStatistics` sample a probe at step 0,
on a fixed or automatic interval (`sampling_schedule`), at the epoch ends
(every one with a fixed interval, those near an interval sample with an
automatic one) and at the end of `fit`, copy the kernels one optimizer
update before each scheduled sample (for the update ratio of the update
just taken: one step, or the `gradient_accumulation_steps` steps of one
update) and write every sample to a CSV and TensorBoard
(`activation_writers`). This base class holds
those hooks; a subclass builds its probe and writers in `_begin`, and says
what a sample records in `_record`.
"""

import logging
import time

import keras

from keras_training_kit import keras_compat
from keras_training_kit.callbacks.sampling_schedule import SamplingSchedule
from keras_training_kit.diagnostics.training_state import peak_learning_rate

logger = logging.getLogger(__name__)


class SampledStatistics(keras.callbacks.Callback):
    """Runs a probe at scheduled training steps of `fit`.

    Subclasses implement `_begin()` (build the probe; return the writers,
    each with `write(step, sample)` and `close()`), `_probe_once()` (one
    warm run of the probe, timed to choose an automatic interval),
    `_snapshot()` (copy the kernels for the next update ratios) and
    `_record(step)` (take and store one sample; `self._update_ratios_valid(
    step)` says whether the kernels were copied one update before it).

    Args:
        every_n_steps: int >= 1 or `None`, as `SamplingSchedule` takes it.
        max_overhead: float in (0, 1), the target cost of sampling for an
            automatic interval.

    Attributes:
        steps: list of int, the training steps at which samples were taken.
        history: dict `{layer: {metric: [value per sample]}}`.
        findings: list of `keras_training_kit.diagnostics.Finding`, each
            kind and layer once, from its first sample.
        warnings: list of str, the messages logged for them.
        sample_interval: int or `None`, the interval in use.
    """

    def __init__(self, every_n_steps: int | None, max_overhead: float):
        super().__init__()
        self.every_n_steps = every_n_steps
        self.max_overhead = float(max_overhead)
        self.steps = []
        self.history = {}
        self.findings = []
        self.warnings = []
        self._schedule = SamplingSchedule(
            every_n_steps, self.max_overhead, type(self).__name__
        )
        self._writers = []

    @property
    def sample_interval(self):
        """int or `None`: the sampling interval in use."""
        return self._schedule.interval

    # Subclass hooks ------------------------------------------------------

    def _begin(self) -> list:
        raise NotImplementedError

    def _probe_once(self):
        raise NotImplementedError

    def _warm_probe_cost(self) -> float:
        """Seconds of one warm probe, after the first sample traced it."""
        start = time.perf_counter()
        self._probe_once()
        return time.perf_counter() - start

    def _snapshot(self):
        raise NotImplementedError

    def _record(self, step: int):
        raise NotImplementedError

    # Callback hooks ------------------------------------------------------

    def on_train_begin(self, logs=None):
        # Read once: an update ratio is judged at the schedule's peak.
        self._peak_learning_rate = peak_learning_rate(
            getattr(self.model, "optimizer", None)
        )
        self._writers = [w for w in self._begin() if w is not None]
        self._epoch_base = self._iterations()
        self._last_batch = -1
        self._snapshot_step = None
        # With gradient accumulation the weights change once every `lead`
        # steps: the copy is taken that many steps before a sample, so the
        # ratio always spans exactly one update.
        self._lead = max(
            1,
            int(
                getattr(
                    getattr(self.model, "optimizer", None),
                    "gradient_accumulation_steps",
                    None,
                )
                or 1
            ),
        )
        self._schedule = SamplingSchedule(
            self.every_n_steps, self.max_overhead, type(self).__name__
        )
        self._schedule.begin(self._epoch_base)
        self._sample(self._epoch_base)
        if self.sample_interval is None:
            self._schedule.set_probe_cost(self._warm_probe_cost())

    def _iterations(self):
        # The batches trained, also with gradient accumulation (where
        # `optimizer.iterations` counts the updates).
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return keras_compat.optimizer_steps(optimizer)
        except (AttributeError, TypeError, ValueError):
            return 0

    def on_epoch_begin(self, epoch, logs=None):
        self._last_batch = -1

    def on_train_batch_begin(self, batch, logs=None):
        self._last_batch = batch
        done = self._epoch_base + batch
        if self.sample_interval is None:
            # Each read of a variable waits for the device.
            if self._schedule.calibrate(
                done, sync=self._iterations, lead=self._lead
            ):
                self._take_snapshot(done)
            return
        if self._schedule.due(done):
            self._sample(done)
        steps = (self.params or {}).get("steps")
        epoch_end = (
            steps is not None and done + self._lead == self._epoch_base + steps
        )
        if self._schedule.snapshot_due(done, self._lead) or epoch_end:
            self._take_snapshot(done)

    def on_epoch_end(self, epoch, logs=None):
        steps = (self.params or {}).get("steps")
        done = self._epoch_base + (
            self._last_batch + 1 if steps is None else steps
        )
        self._epoch_base = done
        if done != self._schedule.last and self._schedule.epoch_end_due(done):
            self._sample(done)
        for writer in self._writers:
            if hasattr(writer, "flush"):
                writer.flush()

    def on_train_end(self, logs=None):
        # The trained model is always sampled (an automatic interval skips
        # the epoch ends that are not due).
        if self._epoch_base != self._schedule.last:
            self._sample(self._epoch_base)
        for writer in self._writers:
            writer.close()
        self._writers = []

    # Sampling ------------------------------------------------------------

    def _sync_variables(self):
        # Keras' `Callback.model` writes the JAX trainer's state back into
        # the variables first: mid-epoch they are stale (or purged).
        return self.model

    def _take_snapshot(self, step):
        """Copies the kernels before `step`, for the next update ratio."""
        pending = self._snapshot_step
        if (
            pending is not None
            and pending > step - self._lead
            and pending + self._lead > (self._schedule.last or -1)
        ):
            # With gradient accumulation the copies for two samples can
            # overlap: the copy for the earlier sample is kept.
            return
        self._sync_variables()
        self._snapshot()
        self._snapshot_step = step

    def _update_ratios_valid(self, step: int) -> bool:
        """Whether the kernels were copied one update before `step`."""
        return self._snapshot_step == step - self._lead

    def _sample(self, step):
        start = time.perf_counter()
        self._sync_variables()
        self._record(step)
        end = time.perf_counter()
        self._schedule.sampled(step, cost=end - start, end=end)

    def _report(self, findings: list):
        """Logs the findings not reported before, once per kind and layer.

        Each is logged with the finding itself attached to the record
        (`extra={"finding": ...}`), so a handler can render its fix in
        other words (`ktk` writes flags).
        """
        seen = {(f.kind, f.layer) for f in self.findings}
        for finding in findings:
            if (finding.kind, finding.layer) in seen:
                continue
            seen.add((finding.kind, finding.layer))
            self.findings.append(finding)
            where = f"{finding.layer or 'model'}: {finding.kind}"
            prefix = f"{type(self).__name__}: {where}"
            self.warnings.append(f"{prefix}: {finding.advice}")
            logger.warning(
                "%s: %s", prefix, finding.advice, extra={"finding": finding}
            )

    def _store(self, step: int, sample: dict):
        """Appends `{layer: {metric: value}}` to `history`, writes it."""
        self.steps.append(step)
        for name, record in sample.items():
            history = self.history.setdefault(name, {})
            for metric, value in record.items():
                history.setdefault(metric, []).append(value)
        for writer in self._writers:
            writer.write(step, sample)
