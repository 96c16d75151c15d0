"""Argument checks: the one home of every check of the package.

Each raises `ValueError` naming the argument, saying what is allowed and
ending with the received value (`Received: rate=1.5`).
"""

import math


def check_int(
    option: str,
    value,
    minimum: int = 1,
    allow_none: bool = False,
    also: tuple = (),
):
    """Raises `ValueError` unless `value` is an int >= `minimum` (or `None`).

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value.
        minimum: int, the smallest allowed value. Defaults to `1`.
        allow_none: bool, whether `None` is allowed. Defaults to `False`.
        also: tuple of strings allowed besides the ints, such as
            `("auto",)`. Defaults to `()`.

    Example:

    >>> check_int("batch_size", 32)
    >>> check_int("min_resource", "auto", also=("auto",))
    """
    if (allow_none and value is None) or (
        isinstance(value, str) and value in also
    ):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        allowed = f"an int >= {minimum}"
        allowed += "".join(f" or {choice!r}" for choice in also)
        allowed += " or None" if allow_none else ""
        raise ValueError(
            f"`{option}` must be {allowed}. Received: {option}={value!r}"
        )


# Checks of bools, number ranges and value ranges (augmentation options).


def check_bool(option: str, value) -> bool:
    """Raises `ValueError` unless `value` is a bool; returns it.

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value.

    Returns:
        `value`.

    Example:

    >>> check_bool("horizontal_flip", True)
    True
    """
    if not isinstance(value, bool):
        raise ValueError(
            f"`{option}` must be a bool. Received: {option}={value!r}"
        )
    return value


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_float(
    option: str,
    value,
    low: float = 0.0,
    high: float | None = None,
    *,
    include_low: bool = True,
    include_high: bool = True,
    pair: bool = False,
    note: str = "",
):
    """Raises `ValueError` unless `value` is a number in a range.

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value.
        low: float, the lower bound. Defaults to `0.0`.
        high: float or `None`, the upper bound; `None` for none. Defaults
            to `None`.
        include_low: bool, whether `low` itself is allowed. Defaults to
            `True`.
        include_high: bool, whether `high` itself is allowed. Defaults to
            `True`.
        pair: bool, whether a `(height, width)` pair of such numbers is
            allowed too. Defaults to `False`.
        note: str, appended to what is allowed in the message, e.g.
            `" (0 switches it off)"`. Defaults to `""`.

    Returns:
        `value` as a float, or a pair as a tuple of two floats.

    Example:

    >>> check_float("rate", 0.5, 0.0, 1.0, include_high=False)
    0.5
    >>> check_float("zoom", [0.1, 0.2], 0.0, 1.0, pair=True)
    (0.1, 0.2)
    """

    def inside(v):
        return (
            _is_real(v)
            and (v >= low if include_low else v > low)
            and (high is None or (v <= high if include_high else v < high))
        )

    if pair and isinstance(value, (tuple, list)):
        if len(value) == 2 and all(inside(v) for v in value):
            return (float(value[0]), float(value[1]))
    elif inside(value):
        return float(value)
    if high is None:
        allowed = f"a float {'>=' if include_low else '>'} {low:g}"
    else:
        allowed = (
            f"a float in {'[' if include_low else '('}{low:g}, "
            f"{high:g}{']' if include_high else ')'}"
        )
    if pair:
        allowed += " or a (height, width) pair of such floats"
    raise ValueError(
        f"`{option}` must be {allowed}{note}. Received: {option}={value!r}"
    )


def check_value_range(option: str, value) -> tuple:
    """Raises `ValueError` unless `value` is a `(low, high)` pair, low < high.

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value.

    Returns:
        `(low, high)` as a tuple of two floats.

    Example:

    >>> check_value_range("value_range", [0, 255])
    (0.0, 255.0)
    """
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_real(v) for v in value)
        or not value[0] < value[1]
    ):
        raise ValueError(
            f"`{option}` must be a (low, high) pair of numbers with "
            f"low < high. Received: {option}={value!r}"
        )
    return (float(value[0]), float(value[1]))


# Checks of builder and search options.


def check_choice(option, value, allowed):
    """Raises `ValueError` unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(
            f"`{option}` must be one of {allowed}. Received: {option}={value!r}"
        )


def check_rate(option, value):
    """Raises `ValueError` unless `value` is a float in `[0, 1)` (a rate)."""
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and 0 <= value < 1
    ):
        raise ValueError(
            f"`{option}` must be a float in [0, 1). "
            f"Received: {option}={value!r}"
        )


def check_positive_int(option, value):
    """Raises `ValueError` unless `value` is an int >= 1."""
    check_int(option, value, minimum=1)


def check_non_negative(option, value):
    """Raises `ValueError` unless `value` is a float >= 0 (a penalty)."""
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and value >= 0
    ):
        raise ValueError(
            f"`{option}` must be a float >= 0. Received: {option}={value!r}"
        )


def check_widths(option, values):
    """Returns `values` as a tuple of positive ints (layer widths) or raises."""
    if isinstance(values, int):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if not values or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(
            f"`{option}` must be a positive int or a non-empty sequence of "
            f"positive ints. Received: {option}={values!r}"
        )
    return values


def check_activation(activation):
    """Returns a Keras activation name/callable or raises `ValueError`."""
    import keras

    if isinstance(activation, str) and activation == "maxout":
        return activation
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "`activation` must be the name of a Keras activation (such as "
            "'relu', 'tanh', 'leaky_relu', 'elu', 'selu', 'gelu') or "
            f"'maxout'. Received: activation={activation!r}"
        ) from error
    return activation


def check_input_shape(input_shape):
    """Returns the shape of one example as a tuple or raises `ValueError`."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if not shape or not all(
        d is None or (isinstance(d, int) and d > 0) for d in shape
    ):
        raise ValueError(
            "`input_shape` must be a non-empty tuple of positive ints (the "
            f"shape of one example). Received: input_shape={input_shape!r}"
        )
    return shape


def check_num_classes(num_classes):
    """Raises `ValueError` unless `num_classes` is an int >= 2."""
    check_int("num_classes", num_classes, minimum=2)


def check_log_range(option, value):
    """Returns `(min, max)` for a log-scale range, `(v, v)` for a fixed value.

    Raises:
        ValueError: unless `value` is a positive number or a pair
            `(min, max)` with `0 < min < max`.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value > 0 and math.isfinite(value):
            return (float(value), float(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = value
        if (
            all(
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v)
                for v in value
            )
            and 0 < low < high
        ):
            return (float(low), float(high))
    raise ValueError(
        f"`{option}` must be a pair (min, max) with 0 < min < max (a log-scale "
        f"range) or a single positive float (a fixed value). "
        f"Received: {option}={value!r}"
    )
