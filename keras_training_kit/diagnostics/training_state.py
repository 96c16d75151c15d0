"""What a model's optimizer tells of its training: rate, updates, batch.

The diagnostics' advice depends on it: the initial-loss check applies only
to a model that has not been trained, and an update ratio is judged
against the learning rate the next update applies.
"""

import keras


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
