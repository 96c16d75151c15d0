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
