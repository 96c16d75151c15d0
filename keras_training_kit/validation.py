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


def check_float(
    option: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    include_low: bool = False,
    include_high: bool = False,
):
    """Raises `ValueError` unless `value` is a number in the given interval.

    Args:
        option: str, the argument's name, quoted in the message.
        value: the received value (an int or a float, not a bool or NaN).
        low: float or `None`, the lower bound. Defaults to `None` (none).
        high: float or `None`, the upper bound. Defaults to `None` (none).
        include_low: bool, whether `low` itself is allowed. Defaults to
            `False`.
        include_high: bool, whether `high` itself is allowed. Defaults to
            `False`.

    Example:

    >>> check_float("rate", 0.5, 0, 1, include_low=True)
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    above = low is None or (
        number and (value >= low if include_low else value > low)
    )
    below = high is None or (
        number and (value <= high if include_high else value < high)
    )
    if number and value == value and above and below:
        return
    allowed = "a float"
    if low is not None and high is not None:
        allowed += (
            f" in {'[' if include_low else '('}{low:g}, "
            f"{high:g}{']' if include_high else ')'}"
        )
    elif low is not None:
        allowed += f" {'>=' if include_low else '>'} {low:g}"
    elif high is not None:
        allowed += f" {'<=' if include_high else '<'} {high:g}"
    raise ValueError(
        f"`{option}` must be {allowed}. Received: {option}={value!r}"
    )
