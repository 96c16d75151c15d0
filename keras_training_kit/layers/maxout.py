"""`Maxout`: the max over groups of linear pieces (Goodfellow et al., 2013)."""

import keras

from keras_training_kit.saving import register


@register
class Maxout(keras.layers.Layer):
    """Keeps the largest of each group of competing channels.

    The `axis` dimension of size `C` is reshaped to `(C // num_units,
    num_units)` and reduced with a max over the first of the two, exactly as
    tensorflow-addons' `Maxout`, so models migrate unchanged: competitors are
    strided, unit `u` takes the max of channels `u, u + num_units, ...`.
    Placed after a `Dense(num_units * k)` or `Conv(num_units * k)` layer it
    gives a maxout unit with `k` pieces. Works on any rank and any axis, with
    unknown batch or spatial dimensions, under XLA and mixed precision.

    Args:
        num_units: int, the number of output units along `axis`; the size of
            `axis` must be a multiple of it.
        axis: int, the channel axis (`-1` for channels-last, `1` for
            channels-first). Defaults to `-1`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: a tensor of rank >= 2.

    Returns:
        A tensor with the same shape as `inputs` except `num_units` along
        `axis`.

    Raises:
        ValueError: if `num_units` is not a positive int, `axis` is not an
            int, or, at build time, `axis` is out of range or its size is not
            a multiple of `num_units`.

    Example:

    >>> x = keras.ops.reshape(keras.ops.arange(6.0), (1, 6))
    >>> # Unit u keeps the max of channels u and u + 3.
    >>> keras.ops.convert_to_numpy(Maxout(3)(x))
    array([[3., 4., 5.]], dtype=float32)

    References:
        - [Goodfellow et al., 2013](https://arxiv.org/abs/1302.4389)
    """

    def __init__(self, num_units: int, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_units, bool) or not (
            isinstance(num_units, int) and num_units > 0
        ):
            raise ValueError(
                "`num_units` must be a positive int. "
                f"Received: num_units={num_units!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"`axis` must be an int. Received: axis={axis!r}")
        self.num_units = num_units
        self.axis = axis
        self.supports_masking = False

    def _channel_axis(self, rank):
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"`axis` must be in [{-rank}, {rank}) for inputs of rank "
                f"{rank}. Received: axis={self.axis}"
            )
        return self.axis % rank

    def _check_channels(self, channels):
        if channels is not None and channels % self.num_units:
            raise ValueError(
                f"The number of features ({channels}) along `axis` must be a "
                f"multiple of `num_units` ({self.num_units}). Received: "
                f"num_units={self.num_units} for {channels} features"
            )

    def build(self, input_shape):
        axis = self._channel_axis(len(input_shape))
        self._check_channels(input_shape[axis])

    def call(self, inputs):
        axis = self._channel_axis(len(inputs.shape))
        self._check_channels(inputs.shape[axis])
        # Static sizes where known, dynamic ones otherwise, so unknown batch
        # or spatial sizes keep working under XLA.
        dynamic = keras.ops.shape(inputs)
        shape = [
            static if static is not None else dynamic[i]
            for i, static in enumerate(inputs.shape)
        ]
        shape[axis : axis + 1] = [-1, self.num_units]
        return keras.ops.max(keras.ops.reshape(inputs, shape), axis=axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._channel_axis(len(shape))] = self.num_units
        return tuple(shape)

    def get_config(self):
        base_config = super().get_config()
        config = {"num_units": self.num_units, "axis": self.axis}
        return {**base_config, **config}
