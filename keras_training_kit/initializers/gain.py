"""`calculate_gain`: the init gain of a nonlinearity (PyTorch's table)."""

import math

_UNIT_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
NONLINEARITIES = _UNIT_GAIN + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Returns the gain that keeps activations' scale through a nonlinearity.

    The same table as PyTorch's `torch.nn.init.calculate_gain`, so
    initializations ported from PyTorch keep their scale:

    | nonlinearity                        | gain                          |
    |-------------------------------------|-------------------------------|
    | linear, conv*, conv_transpose*, sigmoid | 1                         |
    | tanh                                | 5 / 3                         |
    | relu                                | sqrt(2)                       |
    | leaky_relu                          | sqrt(2 / (1 + slope ** 2))    |
    | selu                                | 3 / 4                         |

    Args:
        nonlinearity: str, one of the names above.
        param: float or `None`, the negative slope of `leaky_relu`;
            ignored by the others. `None` means `0.01`. Defaults to `None`.

    Returns:
        The gain, a float.

    Raises:
        ValueError: if `nonlinearity` is unknown or `param` is not a number.

    Example:

    >>> calculate_gain("tanh")
    1.6666666666666667
    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(
                "`param` (the negative slope of leaky_relu) must be a number. "
                f"Received: param={param!r}"
            )
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(
        f"`nonlinearity` must be one of {NONLINEARITIES}. "
        f"Received: nonlinearity={nonlinearity!r}"
    )
