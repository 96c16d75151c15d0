"""`ParametricELU`: ELU with learnable positive parameters (PELU)."""

import keras

from keras_training_kit.saving import register
from keras_training_kit.validation import check_float


@register
class MinValue(keras.constraints.Constraint):
    """Clips every weight to at least `min_value` (keeps PELU's a, b > 0).

    Args:
        min_value: float > 0, the smallest value a weight may take. Defaults
            to `0.1`, the bound of the PELU paper.
    """

    def __init__(self, min_value: float = 0.1):
        self.min_value = check_float(
            "min_value", min_value, 0, include_low=False
        )

    def __call__(self, w):
        return keras.ops.maximum(w, keras.ops.cast(self.min_value, w.dtype))

    def get_config(self):
        return {"min_value": self.min_value}


@register
class ParametricELU(keras.layers.Layer):
    """Parametric Exponential Linear Unit with learnable `a, b > 0`.

    Formula:
    ```python
    f(x) = (a / b) * x            for x >= 0
    f(x) = a * (exp(x / b) - 1)   for x < 0
    ```
    computed as `a * elu(x / b)` with Keras' own `keras.ops.elu`. `a` and
    `b` are learned per element of the input (without the batch axis), or
    shared along `shared_axes` as in `keras.layers.PReLU`. Constraints keep
    both at least `0.1` (the paper's bound), so the unit stays
    differentiable and monotonic. With `a = b = 1` it is the ELU.

    Args:
        a_initializer: initializer for `a`. Defaults to `"ones"`.
        b_initializer: initializer for `b`. Defaults to `"ones"`.
        a_regularizer: regularizer for `a`. Defaults to `None`.
        b_regularizer: regularizer for `b`. Defaults to `None`.
        a_constraint: constraint for `a`; `None` gives `MinValue(0.1)`.
            Defaults to `None`.
        b_constraint: constraint for `b`; `None` gives `MinValue(0.1)`.
            Defaults to `None`.
        shared_axes: int or list of ints, the axes (counting the batch axis
            as 0) along which `a` and `b` are shared; `[1, 2]` for one pair
            per channel of a 2-D feature map. Defaults to `None`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: a tensor of any shape.

    Returns:
        A tensor of the same shape as `inputs`.

    Raises:
        ValueError: if `shared_axes` holds axes that are not in
            `[1, rank)`.

    Example:

    >>> layer = ParametricELU(shared_axes=[1, 2])
    >>> tuple(layer(keras.ops.ones((2, 4, 4, 3))).shape)
    (2, 4, 4, 3)
    >>> [tuple(w.shape) for w in layer.weights]
    [(1, 1, 3), (1, 1, 3)]

    References:
        - [Trottier et al., 2017](https://arxiv.org/abs/1605.09332)
    """

    def __init__(
        self,
        a_initializer="ones",
        b_initializer="ones",
        a_regularizer=None,
        b_regularizer=None,
        a_constraint=None,
        b_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.a_initializer = keras.initializers.get(a_initializer)
        self.b_initializer = keras.initializers.get(b_initializer)
        self.a_regularizer = keras.regularizers.get(a_regularizer)
        self.b_regularizer = keras.regularizers.get(b_regularizer)
        self.a_constraint = keras.constraints.get(a_constraint) or MinValue()
        self.b_constraint = keras.constraints.get(b_constraint) or MinValue()
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        rank = len(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if isinstance(axis, bool) or not (
                isinstance(axis, int) and 1 <= axis < rank
            ):
                raise ValueError(
                    f"`shared_axes` must hold ints in [1, {rank}) for inputs "
                    f"of rank {rank}. Received: shared_axes={self.shared_axes}"
                )
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                "ParametricELU needs known sizes on the axes that are not "
                f"shared; share the unknown ones. Received: input_shape="
                f"{tuple(input_shape)}, shared_axes={self.shared_axes}"
            )
        self.a = self.add_weight(
            shape=param_shape,
            name="a",
            initializer=self.a_initializer,
            regularizer=self.a_regularizer,
            constraint=self.a_constraint,
        )
        self.b = self.add_weight(
            shape=param_shape,
            name="b",
            initializer=self.b_initializer,
            regularizer=self.b_regularizer,
            constraint=self.b_constraint,
        )

    def call(self, inputs):
        a = keras.ops.cast(self.a, inputs.dtype)
        b = keras.ops.cast(self.b, inputs.dtype)
        return a * keras.ops.elu(inputs / b)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "a_initializer": keras.initializers.serialize(self.a_initializer),
            "b_initializer": keras.initializers.serialize(self.b_initializer),
            "a_regularizer": keras.regularizers.serialize(self.a_regularizer),
            "b_regularizer": keras.regularizers.serialize(self.b_regularizer),
            "a_constraint": keras.constraints.serialize(self.a_constraint),
            "b_constraint": keras.constraints.serialize(self.b_constraint),
            "shared_axes": self.shared_axes,
        }
        return {**base_config, **config}
