"""Nonlinearity-aware random initializers: Kaiming (He) and Xavier (Glorot).

Each is a `keras.initializers.VarianceScaling` with `scale = gain ** 2`, so
Keras draws the values; `compute_fans` is the package's one place that
computes fans and agrees with the fans `VarianceScaling` uses.
"""

import math

import keras

from keras_training_kit.initializers.gain import calculate_gain
from keras_training_kit.saving import register

MODES = ("fan_in", "fan_out", "fan_avg")
KAIMING_MODES = ("fan_in", "fan_out")


def compute_fans(shape: tuple) -> tuple:
    """Returns `(fan_in, fan_out)` of a weight shape, following Keras.

    A 2-D kernel `(inputs, outputs)` has fans `(inputs, outputs)`; a
    convolution kernel `(*kernel_size, in_channels, out_channels)` has
    `fan_in = prod(kernel_size) * in_channels` and
    `fan_out = prod(kernel_size) * out_channels`; a 1-D shape has both fans
    equal to its size and a scalar has `(1, 1)`. These are the fans
    `keras.initializers.VarianceScaling` scales by.

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


def _check_seed(seed):
    # An int seed stays an int in the config, where the model builders
    # re-seed it per layer; Keras would also take a `SeedGenerator`.
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int)
    ):
        raise ValueError(
            f"`seed` must be an int or None. Received: seed={seed!r}"
        )


def _check_gain(gain):
    if isinstance(gain, bool) or not (
        isinstance(gain, (int, float)) and gain > 0
    ):
        raise ValueError(f"`gain` must be a float > 0. Received: gain={gain!r}")


class _GainScaling(keras.initializers.VarianceScaling):
    """A `VarianceScaling` with `scale = gain ** 2` that reports its std."""

    _distribution = "untruncated_normal"

    def __init__(self, gain, mode, seed):
        _check_seed(seed)
        self.gain = gain
        super().__init__(
            scale=gain**2, mode=mode, distribution=self._distribution, seed=seed
        )

    def stddev(self, shape: tuple) -> float:
        """Returns the standard deviation the initializer draws for `shape`.

        Args:
            shape: tuple of ints, the weight shape.

        Returns:
            A float, `gain / sqrt(fan)` (for a uniform, its bound over
            `sqrt(3)`).
        """
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out}.get(
            self.mode, (fan_in + fan_out) / 2.0
        )
        # `VarianceScaling`'s own formula.
        return math.sqrt(self.scale / max(1.0, fan))

    def get_config(self):
        # The seed as passed (`None` stays `None`), as `VarianceScaling`
        # saves it; scale and distribution follow from the other arguments.
        return {"mode": self.mode, "seed": super().get_config()["seed"]}


class _Kaiming(_GainScaling):
    def __init__(
        self,
        nonlinearity: str = "relu",
        negative_slope: float | None = None,
        mode: str = "fan_in",
        seed: int | None = None,
    ):
        _check_mode(mode, KAIMING_MODES)
        self.nonlinearity = nonlinearity
        self.negative_slope = negative_slope
        # `calculate_gain` validates `nonlinearity` and `negative_slope`.
        super().__init__(
            calculate_gain(nonlinearity, negative_slope), mode, seed
        )

    def get_config(self):
        config = {
            "nonlinearity": self.nonlinearity,
            "negative_slope": self.negative_slope,
        }
        return {**super().get_config(), **config}


class _Xavier(_GainScaling):
    def __init__(
        self, gain: float = 1.0, mode: str = "fan_avg", seed: int | None = None
    ):
        _check_mode(mode, MODES)
        _check_gain(gain)
        super().__init__(float(gain), mode, seed)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


@register
class KaimingNormal(_Kaiming):
    """Kaiming (He) normal initializer, untruncated, as PyTorch's.

    Draws from `N(0, std)` with `std = gain / sqrt(fan)`, where `gain =
    calculate_gain(nonlinearity, negative_slope)` and the fan is chosen by
    `mode` from `compute_fans(shape)`. This is
    `keras.initializers.VarianceScaling(scale=gain ** 2, mode=mode,
    distribution="untruncated_normal")`. Unlike Keras' `HeNormal`, the
    normal is not truncated, so the kernel's standard deviation is exactly
    `std`.

    Args:
        nonlinearity: str, the nonlinearity that follows the layer, a name
            of `calculate_gain` (`"relu"`, `"leaky_relu"`, `"tanh"`,
            `"selu"`, `"linear"`, ...). Defaults to `"relu"`.
        negative_slope: float or `None`, the slope of `"leaky_relu"`;
            `None` means `0.01`. Defaults to `None`.
        mode: str, `"fan_in"` (keeps the variance of the forward signal) or
            `"fan_out"` (keeps that of the gradients). Defaults to
            `"fan_in"`.
        seed: int or `None`. The same seed gives the same values; an
            unseeded instance draws its seed once, so repeated calls return
            the same values. Defaults to `None`.

    Raises:
        ValueError: if `nonlinearity`, `negative_slope`, `mode` or `seed`
            is not one of the allowed values.

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
    """Kaiming (He) uniform initializer, as PyTorch's.

    Draws from `U(-bound, bound)` with `bound = sqrt(3) * gain / sqrt(fan)`,
    where `gain = calculate_gain(nonlinearity, negative_slope)` and the fan
    is chosen by `mode` from `compute_fans(shape)`, so the kernel has the
    same standard deviation as with `KaimingNormal`. This is
    `keras.initializers.VarianceScaling(scale=gain ** 2, mode=mode,
    distribution="uniform")`.

    Args:
        nonlinearity: str, the nonlinearity that follows the layer, a name
            of `calculate_gain` (`"relu"`, `"leaky_relu"`, `"tanh"`,
            `"selu"`, `"linear"`, ...). Defaults to `"relu"`.
        negative_slope: float or `None`, the slope of `"leaky_relu"`;
            `None` means `0.01`. Defaults to `None`.
        mode: str, `"fan_in"` (keeps the variance of the forward signal) or
            `"fan_out"` (keeps that of the gradients). Defaults to
            `"fan_in"`.
        seed: int or `None`. The same seed gives the same values; an
            unseeded instance draws its seed once, so repeated calls return
            the same values. Defaults to `None`.

    Raises:
        ValueError: if `nonlinearity`, `negative_slope`, `mode` or `seed`
            is not one of the allowed values.

    Example:

    >>> init = KaimingUniform(nonlinearity="leaky_relu", negative_slope=0.2)
    >>> kernel = init((3, 3, 16, 32))
    >>> tuple(kernel.shape)
    (3, 3, 16, 32)

    References:
        - [He et al., 2015](https://arxiv.org/abs/1502.01852)
    """

    _distribution = "uniform"


@register
class XavierNormal(_Xavier):
    """Xavier (Glorot) normal initializer with a gain, untruncated.

    Draws from `N(0, std)` with `std = gain / sqrt(fan)`, the fan chosen by
    `mode` from `compute_fans(shape)`; with `mode="fan_avg"` this is
    Glorot's `gain * sqrt(2 / (fan_in + fan_out))`. This is
    `keras.initializers.VarianceScaling(scale=gain ** 2, mode=mode,
    distribution="untruncated_normal")`; unlike Keras' `GlorotNormal`, the
    normal is not truncated.

    Args:
        gain: float > 0, multiplies the standard deviation (see
            `calculate_gain`). Defaults to `1.0`.
        mode: str, `"fan_avg"` for Glorot's `(fan_in + fan_out) / 2`,
            `"fan_in"` for CS231n's `randn(fan_in, fan_out) /
            sqrt(fan_in)`, or `"fan_out"`. Defaults to `"fan_avg"`.
        seed: int or `None`. The same seed gives the same values; an
            unseeded instance draws its seed once, so repeated calls return
            the same values. Defaults to `None`.

    Raises:
        ValueError: if `gain`, `mode` or `seed` is not one of the allowed
            values.

    Example:

    >>> init = XavierNormal(mode="fan_in", seed=0)  # randn / sqrt(fan_in)
    >>> round(init.stddev((500, 500)), 4)
    0.0447

    References:
        - [Glorot & Bengio, 2010](https://proceedings.mlr.press/v9/glorot10a)
    """


@register
class XavierUniform(_Xavier):
    """Xavier (Glorot) uniform initializer with a gain.

    Draws from `U(-bound, bound)` with `bound = sqrt(3) * gain / sqrt(fan)`,
    the fan chosen by `mode` from `compute_fans(shape)`. This is
    `keras.initializers.VarianceScaling(scale=gain ** 2, mode=mode,
    distribution="uniform")`; with `mode="fan_avg"` and `gain=1` it is
    Keras' `GlorotUniform`.

    Args:
        gain: float > 0, multiplies the standard deviation (see
            `calculate_gain`). Defaults to `1.0`.
        mode: str, `"fan_avg"` for Glorot's `(fan_in + fan_out) / 2`,
            `"fan_in"` for CS231n's `randn(fan_in, fan_out) /
            sqrt(fan_in)`, or `"fan_out"`. Defaults to `"fan_avg"`.
        seed: int or `None`. The same seed gives the same values; an
            unseeded instance draws its seed once, so repeated calls return
            the same values. Defaults to `None`.

    Raises:
        ValueError: if `gain`, `mode` or `seed` is not one of the allowed
            values.

    Example:

    >>> init = XavierUniform(gain=calculate_gain("tanh"), seed=0)
    >>> kernel = init((256, 128))
    >>> round(init.stddev((256, 128)), 4)
    0.1203

    References:
        - [Glorot & Bengio, 2010](https://proceedings.mlr.press/v9/glorot10a)
    """

    _distribution = "uniform"
