"""`DivergenceGuard`: stops `model.fit` when the loss blows up."""

import logging
import math
import warnings

import keras

from keras_training_kit.saving import register

logger = logging.getLogger(__name__)

_CHECK_EVERY = ("batch", "epoch")


@register
class DivergenceGuard(keras.callbacks.Callback):
    """Stops training when the monitored loss is NaN/Inf or explodes.

    CS231n's first babysitting rule: a loss that becomes NaN, or grows
    to several times its starting value, means the learning rate is too high
    (or the data/loss is broken) and the run will not recover. The guard
    compares every monitored value with the first one seen in the current
    `fit` call and sets `model.stop_training = True` when the value is not
    finite or exceeds `factor` times that first value. Why it stopped is kept
    in `diverged`, `reason` and `stopped_step`, so a tuner can cut and label
    bad trials early.

    With `check_every="batch"` the value is the running epoch mean that Keras
    reports in the batch logs (its first value is the loss of the very first
    batch); with `check_every="epoch"` it is the epoch-end value, which also
    allows validation metrics such as `"val_loss"`.

    Args:
        factor: float, the loss may grow to at most `factor` times the first
            loss seen before training is stopped. Must be greater than 1.
            Defaults to `3.0`.
        monitor: str, the log key to watch. Defaults to `"loss"`.
        check_every: str, `"batch"` (checked after every training batch) or
            `"epoch"` (checked at the end of every epoch). Defaults to
            `"batch"`.

    Attributes:
        diverged: bool, whether training was stopped by the guard.
        reason: str or `None`, why training was stopped.
        stopped_step: int or `None`, the 1-based training step (batch count
            since `fit` began) or epoch at which training was stopped,
            depending on `check_every`.
        first_value: float or `None`, the reference value.

    Raises:
        ValueError: if `factor` is not a number greater than 1, `monitor` is
            not a non-empty string or `check_every` is not one of `"batch"`,
            `"epoch"`.

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(1e3), "mse")
    >>> guard = DivergenceGuard(factor=3.0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> _ = model.fit(x, x[:, :1], batch_size=8, epochs=3, verbose=0,
    ...               callbacks=[guard])
    >>> guard.diverged
    True
    """

    def __init__(
        self,
        factor: float = 3.0,
        monitor: str = "loss",
        check_every: str = "batch",
    ):
        super().__init__()
        if (
            isinstance(factor, bool)
            or not isinstance(factor, (int, float))
            or not factor > 1
        ):
            raise ValueError(
                "`factor` must be a number greater than 1. "
                f"Received: factor={factor!r}"
            )
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be a non-empty log key such as 'loss'. "
                f"Received: monitor={monitor!r}"
            )
        if check_every not in _CHECK_EVERY:
            raise ValueError(
                f"`check_every` must be one of {_CHECK_EVERY}. "
                f"Received: check_every={check_every!r}"
            )
        if check_every == "batch" and monitor.startswith("val_"):
            # Validation metrics exist only in epoch logs: it would never fire.
            raise ValueError(
                f"`monitor={monitor!r}` is a validation metric, which batch "
                "logs never hold: use `check_every='epoch'`. Received: "
                f"monitor={monitor!r}, check_every={check_every!r}"
            )
        self.factor = float(factor)
        self.monitor = monitor
        self.check_every = check_every
        self._reset()

    def _reset(self):
        self.diverged = False
        self.reason = None
        self.stopped_step = None
        self.first_value = None
        self._step = 0
        self._first_epoch = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.check_every == "batch":
            self._check(logs, self._step, "step")

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self._first_epoch and logs and self.monitor not in logs:
            # A typo (`val_acc`) would otherwise silently guard nothing.
            warnings.warn(
                f"DivergenceGuard: `monitor={self.monitor!r}` is not in the "
                f"training logs ({sorted(logs)}): nothing is guarded.",
                stacklevel=2,
            )
        if self.check_every == "epoch":
            self._check(logs, epoch + 1, "epoch")

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch

    def _check(self, logs, position, unit):
        if self.diverged or not logs or self.monitor not in logs:
            return
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            reason = f"{self.monitor} is {value} at {unit} {position}"
        elif self.first_value is None:
            self.first_value = value
            return
        elif (
            value > self.factor * self.first_value and value > self.first_value
        ):
            reason = (
                f"{self.monitor}={value:.4g} at {unit} {position} exceeds "
                f"{self.factor:g} x the first value {self.first_value:.4g}"
            )
        else:
            return
        self.diverged = True
        self.reason = reason
        self.stopped_step = position
        self.model.stop_training = True
        logger.warning(
            "DivergenceGuard stopped training: %s. Lower the learning rate "
            "or check the data and the loss.",
            reason,
        )

    def get_config(self):
        return {
            "factor": self.factor,
            "monitor": self.monitor,
            "check_every": self.check_every,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
