"""Nonlinearity-aware random initializers: Kaiming (He) and Xavier (Glorot).

They share `compute_fans` (the package's one place that computes fans) and
a base that turns `(shape, mode, gain)` into a standard deviation.
"""

import math
import random

import keras

from keras_training_kit.api_export import register
from keras_training_kit.initializers.gain import calculate_gain

MODES = ("fan_in", "fan_out", "fan_avg")


def compute_fans(shape: tuple) -> tuple:
    """Returns `(fan_in, fan_out)` of a weight shape, following Keras.

    A 2-D kernel `(inputs, outputs)` has fans `(inputs, outputs)`; a
    convolution kernel `(*kernel_size, in_channels, out_channels)` has
    `fan_in = prod(kernel_size) * in_channels` and
    `fan_out = prod(kernel_size) * out_channels`; a 1-D shape has both fans
    equal to its size and a scalar has `(1, 1)`.

    Args:
        shape: tuple of ints, the weight shape.

    Returns:
        A tuple of two ints `(fan_in, fan_out)`.

    Example:

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(int(d) for d in shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _check_mode(mode, allowed):
    if mode not in allowed:
        raise ValueError(
            f"`mode` must be one of {allowed}. Received: mode={mode!r}"
        )


class _FanScaling(keras.initializers.Initializer):
    """Draws `N(0, std)` or `U(-sqrt(3) std, sqrt(3) std)`.

    `std = gain / sqrt(fan)`, the fan chosen by `mode`.
    """

    distribution = "normal"

    def __init__(self, mode, seed):
        if seed is None:
            # As Keras' random initializers: an unseeded instance draws its
            # seed once, so repeated calls return the same values.
            self._seed = random.randint(1, int(1e9))
        elif isinstance(seed, int) and not isinstance(seed, bool):
            self._seed = seed
        else:
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = seed
        self.mode = mode

    def gain(self):
        raise NotImplementedError

    def stddev(self, shape: tuple) -> float:
        """Returns the standard deviation the initializer draws for `shape`."""
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out}.get(
            self.mode, (fan_in + fan_out) / 2.0
        )
        return self.gain() / math.sqrt(max(1.0, fan))

    def __call__(self, shape, dtype=None):
        std = self.stddev(shape)
        if self.distribution == "normal":
            return keras.random.normal(
                shape, stddev=std, dtype=dtype, seed=self._seed
            )
        bound = math.sqrt(3.0) * std
        return keras.random.uniform(
            shape, minval=-bound, maxval=bound, dtype=dtype, seed=self._seed
        )

    def get_config(self):
        return {"mode": self.mode, "seed": self.seed}


class _Kaiming(_FanScaling):
    def __init__(
        self,
        nonlinearity: str = "relu",
        negative_slope: float | None = None,
        mode: str = "fan_in",
        seed: int | None = None,
    ):
        _check_mode(mode, ("fan_in", "fan_out"))
        calculate_gain(nonlinearity, negative_slope)  # Validates both.
        self.nonlinearity = nonlinearity
        self.negative_slope = negative_slope
        super().__init__(mode, seed)

    def gain(self):
        return calculate_gain(self.nonlinearity, self.negative_slope)

    def get_config(self):
        config = {
            "nonlinearity": self.nonlinearity,
            "negative_slope": self.negative_slope,
        }
        return {**super().get_config(), **config}


class _Xavier(_FanScaling):
    def __init__(
        self, gain: float = 1.0, mode: str = "fan_avg", seed: int | None = None
    ):
        _check_mode(mode, MODES)
        if isinstance(gain, bool) or not (
            isinstance(gain, (int, float)) and gain > 0
        ):
            raise ValueError(
                f"`gain` must be a float > 0. Received: gain={gain!r}"
            )
        self._gain = float(gain)
        super().__init__(mode, seed)

    def gain(self):
        return self._gain

    def get_config(self):
        return {**super().get_config(), "gain": self._gain}


_KAIMING_ARGS = """    Args:
        nonlinearity: str, the nonlinearity that follows the layer, a name of
            `calculate_gain` (`"relu"`, `"leaky_relu"`, `"tanh"`, `"selu"`,
            `"linear"`, ...). Defaults to `"relu"`.
        negative_slope: float or `None`, the slope of `"leaky_relu"`; `None`
            means `0.01`. Defaults to `None`.
        mode: str, `"fan_in"` (keeps the forward signal's variance) or
            `"fan_out"` (keeps the gradients'). Defaults to `"fan_in"`.
        seed: int or `None`, the same seed gives the same values.
            Defaults to `None`.

    Raises:
        ValueError: if an argument is not one of the allowed values.
"""

_XAVIER_ARGS = """    Args:
        gain: float > 0, multiplies the standard deviation (see
            `calculate_gain`). Defaults to `1.0`.
        mode: str, `"fan_avg"` for Glorot's `(fan_in + fan_out) / 2`,
            `"fan_in"` for the lecture's `randn(fan_in, fan_out) /
            sqrt(fan_in)`, or `"fan_out"`. Defaults to `"fan_avg"`.
        seed: int or `None`, the same seed gives the same values.
            Defaults to `None`.

    Raises:
        ValueError: if an argument is not one of the allowed values.
"""


@register
class KaimingNormal(_Kaiming):
    __doc__ = f"""Kaiming (He) normal initializer, untruncated, as PyTorch's.

    Draws from `N(0, std)` with `std = gain / sqrt(fan)`, `gain =
    calculate_gain(nonlinearity, negative_slope)` and fans from
    `compute_fans`. Unlike Keras' `HeNormal`, the normal is not truncated,
    so the kernel's standard deviation is exactly `std`.

{_KAIMING_ARGS}
    Example:

    >>> init = KaimingNormal(nonlinearity="relu", seed=0)
    >>> layer = keras.layers.Dense(64, kernel_initializer=init)
    >>> round(init.stddev((500, 64)), 4)
    0.0632

    References:
        - [He et al., 2015](https://arxiv.org/abs/1502.01852)
    """


@register
class KaimingUniform(_Kaiming):
    __doc__ = f"""Kaiming (He) uniform initializer, as PyTorch's.

    Draws from `U(-bound, bound)` with `bound = sqrt(3) * std` and `std =
    gain / sqrt(fan)`, so the kernel has the same standard deviation as
    with `KaimingNormal`.

{_KAIMING_ARGS}
    Example:

    >>> init = KaimingUniform(nonlinearity="leaky_relu", negative_slope=0.2)
    >>> kernel = init((3, 3, 16, 32))

    References:
        - [He et al., 2015](https://arxiv.org/abs/1502.01852)
    """

    distribution = "uniform"


@register
class XavierNormal(_Xavier):
    __doc__ = f"""Xavier (Glorot) normal initializer with a gain, untruncated.

    Draws from `N(0, std)` with `std = gain / sqrt(fan)`; with
    `mode="fan_avg"` this is Glorot's `gain * sqrt(2 / (fan_in + fan_out))`.

{_XAVIER_ARGS}
    Example:

    >>> init = XavierNormal(mode="fan_in", seed=0)  # randn / sqrt(fan_in)
    >>> round(init.stddev((500, 500)), 4)
    0.0447

    References:
        - [Glorot & Bengio, 2010](https://proceedings.mlr.press/v9/glorot10a)
    """


@register
class XavierUniform(_Xavier):
    __doc__ = f"""Xavier (Glorot) uniform initializer with a gain.

    Draws from `U(-bound, bound)`, `bound = sqrt(3) * gain / sqrt(fan)`;
    with `mode="fan_avg"` and `gain=1` it equals Keras' `GlorotUniform`.

{_XAVIER_ARGS}
    Example:

    >>> init = XavierUniform(gain=calculate_gain("tanh"), seed=0)
    >>> kernel = init((256, 128))

    References:
        - [Glorot & Bengio, 2010](https://proceedings.mlr.press/v9/glorot10a)
    """

    distribution = "uniform"
