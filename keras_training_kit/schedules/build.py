"""`build_schedule()`: a schedule name and a learning rate to a schedule."""

import keras

from keras_training_kit.schedules.one_cycle import DIV_FACTOR
from keras_training_kit.schedules.one_cycle import FINAL_DIV_FACTOR
from keras_training_kit.schedules.one_cycle import OneCycle
from keras_training_kit.schedules.warmup import LinearWarmup
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

SCHEDULES = ("constant", "step", "exponential", "cosine", "one-cycle")
"""The names `build_schedule` accepts."""
# What the learning rate decays to at the end, as a fraction of it.
_FINAL_FRACTION = {"exponential": 0.01, "cosine": 0.0}


def build_schedule(
    name: str,
    learning_rate: float,
    total_steps: int,
    *,
    warmup_steps: int | None = None,
    final_fraction: float | None = None,
    boundaries: tuple = (0.5, 0.75),
    factor: float = 0.1,
    div_factor: float = DIV_FACTOR,
    final_div_factor: float = FINAL_DIV_FACTOR,
):
    """Builds a learning-rate schedule for `total_steps` training steps.

    "Fast at first, then finer": every schedule but `"constant"` lowers the
    learning rate as training goes on. The decays are Keras' own schedules;
    a warm-up is `LinearWarmup` in front of them (the same for every name),
    and `"one-cycle"` is `OneCycle`, which Keras lacks:

    - `"constant"`: `learning_rate` throughout.
    - `"step"`: `learning_rate`, times `factor` at each of `boundaries`
      (fractions of the steps after the warm-up): Keras'
      `PiecewiseConstantDecay`.
    - `"exponential"`: from `learning_rate` down to
      `learning_rate * final_fraction` at the last step, smoothly: Keras'
      `ExponentialDecay`.
    - `"cosine"`: half a cosine from `learning_rate` down to
      `learning_rate * final_fraction`: Keras' `CosineDecay`.
    - `"one-cycle"`: from `learning_rate / div_factor` up to
      `learning_rate` over `warmup_steps`, then down to
      `learning_rate / final_div_factor` (fastai's defaults). Pair it with
      `OneCycleMomentum` to cycle the momentum too.

    Args:
        name: str, one of `SCHEDULES`.
        learning_rate: float > 0, the peak (and first, after any warm-up)
            learning rate.
        total_steps: int >= 1, the steps of the whole training: epochs
            times batches per epoch (Keras evaluates a schedule at the batch
            count, with gradient accumulation too).
        warmup_steps: int >= 0 or `None`, the steps of a linear warm-up
            from 0 (for `"one-cycle"`, of its rising phase), included in
            `total_steps`. `None` means none, and fastai's 25% of
            `total_steps` for `"one-cycle"`. Defaults to `None`.
        final_fraction: float in `[0, 1]` or `None`, the last learning rate
            of `"exponential"` and `"cosine"` over `learning_rate`; `None`
            takes `0.01` and `0.0`. Defaults to `None`.
        boundaries: tuple of floats in `(0, 1)`, increasing: where
            `"step"` multiplies by `factor`. Defaults to `(0.5, 0.75)`.
        factor: float in `(0, 1]`, `"step"`'s factor. Defaults to `0.1`.
        div_factor: float >= 1, `OneCycle`'s. Defaults to `25.0`.
        final_div_factor: float >= 1, `OneCycle`'s. Defaults to `1e5`.

    Returns:
        A `keras.optimizers.schedules.LearningRateSchedule` to pass as an
        optimizer's `learning_rate`; for `"constant"` without warm-up, the
        float `learning_rate` itself (so callbacks such as
        `ReduceLROnPlateau` can still change it).

    Raises:
        ValueError: for a bad name or option, naming it.

    Example:

    >>> schedule = build_schedule("cosine", 0.1, total_steps=100)
    >>> [round(float(schedule(step)), 4) for step in (0, 50, 100)]
    [0.1, 0.05, 0.0]
    >>> build_schedule("one-cycle", 0.1, 100).warmup_steps
    25
    """
    check_choice("schedule", name, SCHEDULES)
    learning_rate = check_float(
        "learning_rate", learning_rate, 0, include_low=False
    )
    check_int("total_steps", total_steps, minimum=1)
    check_int("warmup_steps", warmup_steps, minimum=0, allow_none=True)
    if name == "one-cycle":
        return OneCycle(
            learning_rate,
            total_steps,
            warmup_steps=warmup_steps,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
        )
    # Every option is checked, also those the chosen name does not use.
    factor = check_float("factor", factor, 0, 1, include_low=False)
    _step_boundaries(boundaries, total_steps)
    warmup_steps = warmup_steps or 0
    if warmup_steps > total_steps or (
        name != "constant" and warmup_steps >= total_steps
    ):
        raise ValueError(
            f"`warmup_steps` must leave steps for the {name!r} schedule out "
            f"of total_steps={total_steps}. Received: "
            f"warmup_steps={warmup_steps}"
        )
    decay_steps = total_steps - warmup_steps
    if final_fraction is None:
        final_fraction = _FINAL_FRACTION.get(name, 1.0)
    final_fraction = check_float("final_fraction", final_fraction, 0, 1)
    schedules = keras.optimizers.schedules
    if name == "constant":
        after = learning_rate
    elif name == "step":
        after = schedules.PiecewiseConstantDecay(
            _step_boundaries(boundaries, decay_steps),
            [learning_rate * factor**i for i in range(len(boundaries) + 1)],
        )
    elif name == "exponential":
        if final_fraction == 0:
            raise ValueError(
                "`final_fraction` must be > 0 for 'exponential' (it never "
                "reaches 0). Received: final_fraction=0"
            )
        after = schedules.ExponentialDecay(
            learning_rate, decay_steps, final_fraction
        )
    else:
        after = schedules.CosineDecay(
            learning_rate, decay_steps, alpha=final_fraction
        )
    if warmup_steps == 0:
        return after
    return LinearWarmup(after, warmup_steps)


def _step_boundaries(boundaries, decay_steps):
    fractions = (
        list(boundaries) if isinstance(boundaries, (list, tuple)) else None
    )
    if (
        not fractions
        or not all(isinstance(f, (int, float)) and 0 < f < 1 for f in fractions)
        or fractions != sorted(set(fractions))
    ):
        raise ValueError(
            "`boundaries` must be increasing fractions in (0, 1), such as "
            f"(0.5, 0.75). Received: boundaries={boundaries!r}"
        )
    return [max(1, round(f * decay_steps)) for f in fractions]
