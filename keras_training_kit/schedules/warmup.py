"""`LinearWarmup`: a linear warm-up in front of any learning rate."""

import keras
from keras import ops

from keras_training_kit.saving import register
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int


@register
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """Raises the learning rate linearly, then hands over to a schedule.

    For the first `warmup_steps` steps the learning rate grows linearly from
    `initial_learning_rate` towards `after(0)`; from then on it is
    `after(step - warmup_steps)`, so the wrapped schedule starts where the
    warm-up ends and keeps its own length. Large learning rates and
    adaptive optimizers (whose second-moment estimates are poor in the
    first steps) are then safe from the start.

    Args:
        after: a `keras.optimizers.schedules.LearningRateSchedule` or a
            float > 0, the learning rate after the warm-up.
        warmup_steps: int >= 0, the number of steps of the warm-up.
        initial_learning_rate: float >= 0, the learning rate of step 0.
            Defaults to `0.0`.
        name: str, the schedule's name. Defaults to `"LinearWarmup"`.

    Example:

    >>> schedule = LinearWarmup(0.1, warmup_steps=10)
    >>> [round(float(schedule(step)), 3) for step in (0, 5, 10, 20)]
    [0.0, 0.05, 0.1, 0.1]
    """

    def __init__(
        self,
        after,
        warmup_steps: int,
        initial_learning_rate: float = 0.0,
        name: str = "LinearWarmup",
    ):
        super().__init__()
        if not isinstance(
            after, keras.optimizers.schedules.LearningRateSchedule
        ):
            after = check_float(
                "after",
                after,
                0,
                include_low=False,
                note=" or a LearningRateSchedule",
            )
        check_int("warmup_steps", warmup_steps, minimum=0)
        self.after = after
        self.warmup_steps = warmup_steps
        self.initial_learning_rate = check_float(
            "initial_learning_rate", initial_learning_rate, 0
        )
        self.name = name

    def _after(self, step):
        if callable(self.after):
            return ops.cast(self.after(step), "float32")
        return ops.cast(self.after, "float32")

    def __call__(self, step):
        step = ops.cast(step, "float32")
        after = self._after(ops.maximum(step - self.warmup_steps, 0.0))
        if self.warmup_steps == 0:
            return after
        fraction = ops.minimum(step / self.warmup_steps, 1.0)
        warm = self.initial_learning_rate + fraction * (
            self._after(0) - self.initial_learning_rate
        )
        return ops.where(step < self.warmup_steps, warm, after)

    def get_config(self):
        after = self.after
        if callable(after):
            after = keras.optimizers.schedules.serialize(after)
        return {
            "after": after,
            "warmup_steps": self.warmup_steps,
            "initial_learning_rate": self.initial_learning_rate,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config["after"], dict):
            config["after"] = keras.optimizers.schedules.deserialize(
                config["after"]
            )
        return cls(**config)
