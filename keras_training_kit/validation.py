"""The one check of integer arguments, shared by every public function."""


def check_int(option: str, value, minimum: int = 1, allow_none: bool = False):
    """Raises `ValueError` unless `value` is an int >= `minimum` (or `None`).

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value.
        minimum: int, the smallest allowed value. Defaults to `1`.
        allow_none: bool, whether `None` is allowed. Defaults to `False`.

    Example:

    >>> check_int("batch_size", 32)
    """
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        allowed = f"an int >= {minimum}" + (" or None" if allow_none else "")
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
