"""What a model's optimizer tells of its training: rate, updates, batch.

The diagnostics' advice depends on it: the initial-loss check applies only
to a model that has not been trained, and an update ratio is judged at the
peak of the learning rate (the rate `--lr` sets).
"""

import keras
import numpy as np

# A schedule's attributes that name a step it changes course at.
_LAST_STEPS = ("total_steps", "warmup_steps", "decay_steps")


def current_learning_rate(optimizer) -> float | None:
    """The learning rate `optimizer` applies at its next update, or `None`.

    A schedule is read at the optimizer's current step, as Keras reads it.

    Args:
        optimizer: a `keras.optimizers.Optimizer` or `None`.

    Returns:
        float, or `None` for `None` or an object without a learning rate.

    Example:

    >>> current_learning_rate(keras.optimizers.SGD(0.5))
    0.5
    """
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def peak_learning_rate(optimizer) -> float | None:
    """The highest rate `optimizer`'s learning rate reaches, or `None`.

    A constant rate is itself. A schedule's peak is what `ktk train --lr`
    sets and what an update ratio is judged at: one-cycle ends 1e5 times
    below it by design, so the rate of its last step would call any
    trained model's updates too small. The schedule is read at 65 steps
    spread up to its last known step (its `total_steps` or
    `warmup_steps`, or the optimizer's steps so far), peak included.

    Example:

    >>> from keras_training_kit.schedules import OneCycle
    >>> peak_learning_rate(keras.optimizers.Adam(OneCycle(0.01, 100)))
    0.01
    """
    config = getattr(optimizer, "get_config", lambda: {})()
    schedule = config.get("learning_rate")
    if not isinstance(schedule, dict):
        return current_learning_rate(optimizer)
    schedule = keras.optimizers.schedules.deserialize(schedule)
    peak = getattr(schedule, "max_learning_rate", None)
    if peak is not None:
        return float(peak)
    last = max(
        [int(getattr(schedule, name, 0) or 0) for name in _LAST_STEPS]
        + [int(keras.ops.convert_to_numpy(optimizer.iterations))]
    )
    steps = np.unique(np.linspace(0, last, 65).round())
    return max(
        float(keras.ops.convert_to_numpy(schedule(step))) for step in steps
    )


def optimizer_updates(model) -> int:
    """The updates `model`'s optimizer has applied (0: not trained).

    A saved `.keras` model keeps its optimizer and its `iterations`, so a
    model trained and reloaded still counts as trained.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> optimizer_updates(model)
    0
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return 0
    return int(keras.ops.convert_to_numpy(optimizer.iterations))
