"""`LearningRateLogger`: the learning rate of every epoch, in the logs."""

import keras

from keras_training_kit.diagnostics.training_state import current_learning_rate


class LearningRateLogger(keras.callbacks.Callback):
    """Adds `"learning_rate"` to the logs of every epoch.

    The value is the learning rate of the epoch's first optimizer update:
    the float learning rate, or the schedule at that update, read when the
    epoch begins (as `keras.callbacks.LearningRateScheduler` sets it).
    Callbacks that change the learning rate at the end of an epoch, such as
    `ReduceLROnPlateau`, then show in the next epoch's row. Put it before
    `CSVLogger` so the file has the column.

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 4, 0.5)
    >>> model.compile(keras.optimizers.SGD(schedule), "mse")
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2,
    ...                     epochs=2, callbacks=[LearningRateLogger()],
    ...                     verbose=0)
    >>> [round(rate, 4) for rate in history.history["learning_rate"]]
    [0.1, 0.05]
    """

    def __init__(self):
        super().__init__()
        self._rate = None

    def on_epoch_begin(self, epoch, logs=None):
        self._rate = current_learning_rate(self.model.optimizer)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._rate is not None:
            logs["learning_rate"] = self._rate
