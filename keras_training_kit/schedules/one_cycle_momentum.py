"""`OneCycleMomentum`: cycles the momentum against a `OneCycle` schedule."""

import logging

import keras

from keras_training_kit import keras_compat
from keras_training_kit.schedules.one_cycle import MOMENTUM_RANGE
from keras_training_kit.schedules.one_cycle import OneCycle
from keras_training_kit.schedules.one_cycle import two_phase_cosine
from keras_training_kit.validation import check_float

logger = logging.getLogger(__name__)


class OneCycleMomentum(keras.callbacks.Callback):
    """Cycles SGD's momentum or Adam's `beta_1` inversely to one-cycle.

    While `OneCycle` raises the learning rate, the momentum falls from
    `max_momentum` to `min_momentum`, and it rises back while the learning
    rate anneals (fastai's `moms=(0.95, 0.85, 0.95)`): a large step with a
    large momentum would overshoot. Keras' schedules set only the learning
    rate, so this callback sets the momentum before every batch, from the
    same step count (batches, as Keras gives the schedule) and the same two
    half cosines.

    The optimizer's float hyperparameter (`momentum` of `SGD`, `beta_1` of
    `Adam`, `AdamW` and other optimizers with one) is replaced by a variable
    of the optimizer when the callback is attached to the model (`fit` does
    that; call `set_model(model)` yourself before loading a checkpoint
    saved during such a fit, so the optimizer has the same variables), and
    the float is put back, with its last value, when training ends: a model
    saved afterwards saves and loads as usual. Resumed training continues
    the cycle from the optimizer's step count.

    Args:
        schedule: the `OneCycle` schedule of the optimizer's learning rate.
        max_momentum: float in `(0, 1)`, the momentum at the start and the
            end. Defaults to `0.95`.
        min_momentum: float in `(0, max_momentum]`, the momentum at the
            peak learning rate. Defaults to `0.85`.

    Raises:
        ValueError: for a bad argument; from `fit`, for an optimizer without
            momentum (plain SGD, AdaGrad, RMSprop).

    Example:

    >>> import numpy as np
    >>> from keras_training_kit.schedules import OneCycle
    >>> schedule = OneCycle(0.01, total_steps=8)
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.Adam(schedule), "mse")
    >>> cycle = OneCycleMomentum(schedule)
    >>> _ = model.fit(np.ones((32, 2)), np.ones((32, 1)), batch_size=8,
    ...               epochs=2, callbacks=[cycle], verbose=0)
    >>> [round(m, 3) for m in cycle.momentums]
    [0.95, 0.9, 0.85, 0.857, 0.875, 0.9, 0.925, 0.943]

    References:
        - [Smith, 2018](https://arxiv.org/abs/1803.09820), section 4.3.
    """

    def __init__(
        self,
        schedule: OneCycle,
        max_momentum: float = MOMENTUM_RANGE[0],
        min_momentum: float = MOMENTUM_RANGE[1],
    ):
        super().__init__()
        if not isinstance(schedule, OneCycle):
            raise ValueError(
                "`schedule` must be a keras_training_kit.schedules.OneCycle. "
                f"Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.max_momentum = check_float(
            "max_momentum",
            max_momentum,
            0,
            1,
            include_low=False,
            include_high=False,
        )
        self.min_momentum = check_float(
            "min_momentum",
            min_momentum,
            0,
            self.max_momentum,
            include_low=False,
        )
        self.momentums = []  # the momentum of every batch of the last fit
        self._optimizer = None
        self._attribute = None
        self._variable = None
        self._batches = 0
        self._first_step = 0
        self._table = None

    def momentum(self, step: int) -> float:
        """Returns the momentum of step (batch) `step`."""
        if self._table is None:
            # Every step's value in one call: a batch then only looks up.
            steps = keras.ops.arange(self.schedule.total_steps + 1)
            self._table = keras.ops.convert_to_numpy(
                two_phase_cosine(
                    steps,
                    self.schedule.warmup_steps,
                    self.schedule.total_steps,
                    self.max_momentum,
                    self.min_momentum,
                    self.max_momentum,
                )
            ).tolist()
        return self._table[min(int(step), self.schedule.total_steps)]

    def set_model(self, model):
        super().set_model(model)
        self._attach()

    def _attach(self):
        optimizer = self.model.optimizer
        # A mixed-precision LossScaleOptimizer wraps the one that steps.
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if self._optimizer is optimizer and self._variable is not None:
            return
        if hasattr(optimizer, "beta_1"):
            attribute = "beta_1"
        elif getattr(optimizer, "momentum", 0):
            attribute = "momentum"
        else:
            raise ValueError(
                "`OneCycleMomentum` needs an optimizer with momentum (SGD "
                "with momentum > 0, or one with `beta_1` such as Adam). "
                f"Received: optimizer={type(optimizer).__name__}"
            )
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self._optimizer, self._attribute = optimizer, attribute
        self._variable = keras_compat.HyperparameterVariable(
            getattr(optimizer, attribute), name=attribute
        )
        setattr(optimizer, attribute, self._variable)

    def on_train_begin(self, logs=None):
        self._attach()
        self._first_step = keras_compat.optimizer_steps(self._optimizer)
        self._batches = 0
        self.momentums = []

    def on_train_batch_begin(self, batch, logs=None):
        step = self._first_step + self._batches
        self._batches += 1
        value = self.momentum(step)
        # The JAX trainer carries the variables' values from step to step;
        # after a sync it reads them again, with this assignment.
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()
        self._variable.assign(value)
        self.momentums.append(value)

    def on_train_end(self, logs=None):
        optimizer, variable = self._optimizer, self._variable
        if variable is None:
            return
        keras_compat.untrack_optimizer_variable(optimizer, variable)
        setattr(
            optimizer,
            self._attribute,
            float(keras.ops.convert_to_numpy(variable)),
        )
        self._variable = None
        logger.debug(
            "OneCycleMomentum: %s back to a float (%.4g)",
            self._attribute,
            getattr(optimizer, self._attribute),
        )
