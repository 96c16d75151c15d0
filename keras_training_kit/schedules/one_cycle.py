"""`OneCycle`: fastai's one-cycle learning-rate policy as a Keras schedule."""

import keras
from keras import ops

from keras_training_kit.saving import register
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

# fastai's `fit_one_cycle` defaults.
DIV_FACTOR = 25.0
FINAL_DIV_FACTOR = 1e5
WARMUP_FRACTION = 0.25
MOMENTUM_RANGE = (0.95, 0.85)


def two_phase_cosine(step, warmup_steps, total_steps, start, peak, end):
    """Cosine from `start` to `peak` over the warm-up, then to `end`.

    fastai's `combined_cos`: within each phase, at the fraction `p` of it,
    the value is `b + (a - b) * (1 + cos(pi * p)) / 2`. Steps past
    `total_steps` keep `end`. Works on Python numbers and tensors alike
    (`keras.ops`), so the schedule and the momentum callback share it.

    Args:
        step: the step (a number or a scalar tensor), from 0.
        warmup_steps: int >= 0, the length of the first phase.
        total_steps: int > `warmup_steps`, the length of both phases.
        start: float, the value at step 0.
        peak: float, the value at the end of the first phase.
        end: float, the value at `total_steps`.

    Returns:
        A float32 scalar tensor.
    """
    step = ops.cast(step, "float32")
    warm = ops.clip(step / max(warmup_steps, 1), 0.0, 1.0)
    anneal = ops.clip(
        (step - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0
    )

    def cosine(a, b, fraction):
        # Anchored at `b`, so the tiny end value is exact in float32.
        return b + (a - b) * (1.0 + ops.cos(3.141592653589793 * fraction)) / 2

    return ops.where(
        step < warmup_steps,
        cosine(start, peak, warm),
        cosine(peak, end, anneal),
    )


@register
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The one-cycle policy: warm up to a peak learning rate, then anneal.

    Over the first `warmup_steps` steps the learning rate rises from
    `max_learning_rate / div_factor` to `max_learning_rate`, then falls to
    `max_learning_rate / final_div_factor` at `total_steps`, both phases on
    half a cosine (fastai's `fit_one_cycle`, after Smith's super-convergence
    policy). A large learning rate in the middle of training explores; the
    long, low tail settles in. Keras' own schedules map a step to a learning
    rate only, so the matching momentum cycle (high when the learning rate
    is low) is the callback `OneCycleMomentum`.

    Args:
        max_learning_rate: float > 0, the peak learning rate.
        total_steps: int >= 2, the number of steps of training: batches,
            also with gradient accumulation (Keras evaluates a schedule at
            the batch count).
        warmup_steps: int in `[0, total_steps)` or `None`, the steps of the
            rising phase. `None` takes fastai's 25% of `total_steps`.
            Defaults to `None`.
        div_factor: float >= 1, the first learning rate is
            `max_learning_rate / div_factor`. Defaults to `25.0`.
        final_div_factor: float >= 1, the last learning rate is
            `max_learning_rate / final_div_factor`. Defaults to `1e5`.
        name: str, the schedule's name. Defaults to `"OneCycle"`.

    Example:

    >>> schedule = OneCycle(0.1, total_steps=100)
    >>> [float(f"{float(schedule(s)):.3g}") for s in (0, 25, 100)]
    [0.004, 0.1, 1e-06]

    References:
        - [Smith and Topin, 2017](https://arxiv.org/abs/1708.07120)
        - [fastai's fit_one_cycle](https://docs.fast.ai/callback.schedule)
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        warmup_steps: int | None = None,
        div_factor: float = DIV_FACTOR,
        final_div_factor: float = FINAL_DIV_FACTOR,
        name: str = "OneCycle",
    ):
        super().__init__()
        self.max_learning_rate = check_float(
            "max_learning_rate", max_learning_rate, 0, include_low=False
        )
        check_int("total_steps", total_steps, minimum=2)
        self.total_steps = total_steps
        if warmup_steps is None:
            warmup_steps = round(WARMUP_FRACTION * total_steps)
        check_int("warmup_steps", warmup_steps, minimum=0)
        if warmup_steps >= total_steps:
            raise ValueError(
                "`warmup_steps` must be below `total_steps` "
                f"({total_steps}). Received: warmup_steps={warmup_steps}"
            )
        self.warmup_steps = warmup_steps
        self.div_factor = check_float("div_factor", div_factor, 1)
        self.final_div_factor = check_float(
            "final_div_factor", final_div_factor, 1
        )
        self.name = name

    @property
    def initial_learning_rate(self) -> float:
        """The learning rate of step 0."""
        return self.max_learning_rate / self.div_factor

    @property
    def final_learning_rate(self) -> float:
        """The learning rate at `total_steps`."""
        return self.max_learning_rate / self.final_div_factor

    def __call__(self, step):
        return two_phase_cosine(
            step,
            self.warmup_steps,
            self.total_steps,
            self.initial_learning_rate,
            self.max_learning_rate,
            self.final_learning_rate,
        )

    def get_config(self):
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "name": self.name,
        }
