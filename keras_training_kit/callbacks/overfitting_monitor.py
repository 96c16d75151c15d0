"""`OverfittingMonitor`: watches the train/validation accuracy gap."""

import logging
import math

import keras

from keras_training_kit.saving import register
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)


@register
class OverfittingMonitor(keras.callbacks.Callback):
    """Warns (or stops training) when the train/validation gap grows too large.

    At the end of every epoch the gap `logs[monitor] - logs["val_" +
    monitor]` is recorded in `gaps`. When it exceeds `threshold` for
    `patience` consecutive epochs, a warning is logged once (with the
    CS231n's remedies: more regularization, more data or augmentation) and,
    with `stop=True`, training stops. Epochs without validation logs are
    skipped.

    Args:
        threshold: float > 0, the largest accepted gap. Defaults to `0.1`.
        monitor: str, the training metric; its validation twin is
            `"val_" + monitor`. Defaults to `"accuracy"`.
        patience: int >= 1, consecutive epochs over the threshold before
            acting. Defaults to `1`.
        stop: bool, whether to stop training (otherwise only warn).
            Defaults to `False`.

    Attributes:
        gaps: list of float, the gap at each epoch with validation logs.
        exceeded_epoch: int or `None`, the (0-based) epoch at which the gap
            first stayed above `threshold` for `patience` epochs.
        stopped: bool, whether this callback stopped training.

    Raises:
        ValueError: if `threshold` is not > 0, `monitor` is not a non-empty
            string or `patience` is not an int >= 1.

    Example:

    >>> monitor = OverfittingMonitor(threshold=0.1, stop=True)
    >>> # model.fit(..., validation_data=..., callbacks=[monitor])
    >>> monitor.get_config()["threshold"]
    0.1
    """

    def __init__(
        self,
        threshold: float = 0.1,
        monitor: str = "accuracy",
        patience: int = 1,
        stop: bool = False,
    ):
        super().__init__()
        check_float("threshold", threshold, 0, include_low=False)
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                "`monitor` must be a metric name such as 'accuracy'. "
                f"Received: monitor={monitor!r}"
            )
        check_int("patience", patience)
        self.threshold = float(threshold)
        self.monitor = monitor
        self.patience = patience
        self.stop = bool(stop)
        self._reset()

    def _reset(self):
        self.gaps = []
        self.exceeded_epoch = None
        self.stopped = False
        self._over = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = logs.get(self.monitor)
        validation = logs.get(f"val_{self.monitor}")
        if train is None or validation is None:
            return
        gap = float(train) - float(validation)
        self.gaps.append(gap)
        self._over = (
            self._over + 1 if math.isfinite(gap) and gap > self.threshold else 0
        )
        if self._over < self.patience or self.exceeded_epoch is not None:
            return
        self.exceeded_epoch = epoch
        logger.warning(
            "Epoch %d: the train/validation %s gap is %.3f (%s %.3f, val_%s "
            "%.3f), above %.3f for %d epoch(s): the model overfits; add "
            "regularization (L2, dropout), augmentation or data%s.",
            epoch + 1,
            self.monitor,
            gap,
            self.monitor,
            float(train),
            self.monitor,
            float(validation),
            self.threshold,
            self.patience,
            ", stopping training" if self.stop else "",
        )
        if self.stop:
            self.stopped = True
            self.model.stop_training = True

    def get_config(self):
        return {
            "threshold": self.threshold,
            "monitor": self.monitor,
            "patience": self.patience,
            "stop": self.stop,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
