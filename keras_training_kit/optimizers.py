"""`build_optimizer()`: a name and a learning rate to an optimizer.

It is the one place that turns a name and a learning rate into an optimizer.
"""

import keras

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")


def build_optimizer(
    name: str = "adam", learning_rate: float = 1e-3, momentum: float = 0.9
) -> keras.optimizers.Optimizer:
    """Builds a Keras optimizer from a short name and a learning rate.

    Args:
        name: str, one of `"sgd"` (plain SGD), `"momentum"` (SGD with
            momentum), `"nesterov"` (SGD with Nesterov momentum),
            `"rmsprop"`, `"adam"` or `"adamw"`. Defaults to `"adam"`.
        learning_rate: float > 0. Defaults to `1e-3`.
        momentum: float in `[0, 1)`, used by `"momentum"` and
            `"nesterov"`. Defaults to `0.9`.

    Returns:
        A new `keras.optimizers.Optimizer`.

    Example:

    >>> build_optimizer("momentum", 0.01).momentum
    0.9
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"`optimizer` must be one of {OPTIMIZERS}. Received: "
            f"optimizer={name!r}"
        )
    if isinstance(learning_rate, bool) or not (
        isinstance(learning_rate, (int, float)) and learning_rate > 0
    ):
        raise ValueError(
            "`learning_rate` must be a positive float. Received: "
            f"learning_rate={learning_rate!r}"
        )
    if not 0 <= momentum < 1:
        raise ValueError(
            f"`momentum` must be in [0, 1). Received: momentum={momentum!r}"
        )
    learning_rate = float(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate, momentum=momentum, nesterov=name == "nesterov"
        )
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate)
    return keras.optimizers.Adam(learning_rate)
