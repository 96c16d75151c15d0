"""`build_optimizer()`: a name and a learning rate to an optimizer.

It is the one place that turns a name and a learning rate into an optimizer.
Everything it builds is a stock Keras optimizer: the options below are
Keras' own (`weight_decay`, `clipnorm`, `global_clipnorm`, `use_ema`,
`gradient_accumulation_steps`), passed through after a check.
"""

import keras

from keras_training_kit.validation import check_bool
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

__all__ = ["build_optimizer", "OPTIMIZERS"]

OPTIMIZERS = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
)
"""The names `build_optimizer` accepts."""
# Optimizers whose update has a momentum term a one-cycle policy can cycle.
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov", "adam", "adamw")


def build_optimizer(
    name: str = "adam",
    learning_rate=1e-3,
    momentum: float = 0.9,
    *,
    weight_decay: float | None = None,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    use_ema: bool = False,
    gradient_accumulation_steps: int | None = None,
) -> keras.optimizers.Optimizer:
    """Builds a Keras optimizer from a short name and a learning rate.

    Args:
        name: str, one of `"sgd"` (plain SGD), `"momentum"` (SGD with
            momentum), `"nesterov"` (SGD with Nesterov momentum),
            `"adagrad"`, `"rmsprop"`, `"adam"` or `"adamw"`. Defaults to
            `"adam"`.
        learning_rate: float > 0, or a
            `keras.optimizers.schedules.LearningRateSchedule` (see
            `keras_training_kit.schedules.build_schedule`). Defaults to
            `1e-3`.
        momentum: float in `[0, 1)`, used by `"momentum"` and
            `"nesterov"`. Defaults to `0.9`.
        weight_decay: float >= 0 or `None`, Keras' decoupled weight decay
            (`w -= lr * weight_decay * w` each step, apart from the
            gradient). `None` keeps the optimizer's default: none, and
            `0.004` for AdamW. Defaults to `None`.
        clipnorm: float > 0 or `None`, clip each gradient to this norm.
            Defaults to `None`.
        global_clipnorm: float > 0 or `None`, clip all gradients together
            to this global norm (not with `clipnorm`). Defaults to `None`.
        use_ema: bool, keep an exponential moving average of the weights
            and write it into the model at the end of `fit`. Defaults to
            `False`.
        gradient_accumulation_steps: int >= 1 or `None`: update the weights
            every this many batches with their mean gradient (Keras' own
            accumulation, for a large effective batch when memory is
            short). `None` or `1` update every batch. Learning-rate
            schedules still count batches (Keras passes them the batch
            count), so give them the steps of the whole run in batches.
            Defaults to `None`.

    Returns:
        A new `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for a bad argument, naming it.

    Example:

    >>> build_optimizer("momentum", 0.01).momentum
    0.9
    >>> optimizer = build_optimizer("adagrad", gradient_accumulation_steps=4)
    >>> type(optimizer).__name__, optimizer.gradient_accumulation_steps
    ('Adagrad', 4)
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"`optimizer` must be one of {OPTIMIZERS}. Received: "
            f"optimizer={name!r}"
        )
    if not isinstance(
        learning_rate, keras.optimizers.schedules.LearningRateSchedule
    ):
        learning_rate = check_float(
            "learning_rate", learning_rate, 0, include_low=False
        )
    check_float("momentum", momentum, 0, 1, include_high=False)
    options = {"use_ema": check_bool("use_ema", use_ema)}
    if weight_decay is not None:
        options["weight_decay"] = check_float("weight_decay", weight_decay, 0)
    for option, value in (
        ("clipnorm", clipnorm),
        ("global_clipnorm", global_clipnorm),
    ):
        if value is not None:
            options[option] = check_float(option, value, 0, include_low=False)
    if clipnorm is not None and global_clipnorm is not None:
        raise ValueError(
            "Only one of `clipnorm` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm!r}, "
            f"global_clipnorm={global_clipnorm!r}"
        )
    if gradient_accumulation_steps is not None:
        check_int(
            "gradient_accumulation_steps",
            gradient_accumulation_steps,
            minimum=1,
        )
        if gradient_accumulation_steps > 1:
            options["gradient_accumulation_steps"] = gradient_accumulation_steps
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, **options)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate,
            momentum=float(momentum),
            nesterov=name == "nesterov",
            **options,
        )
    if name == "adagrad":
        return keras.optimizers.Adagrad(learning_rate, **options)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate, **options)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate, **options)
    return keras.optimizers.Adam(learning_rate, **options)
