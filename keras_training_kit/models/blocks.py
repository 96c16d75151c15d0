"""The options shared by every builder and the hidden block they all use.

One place validates builder options, resolves `kernel_initializer="auto"`
and lays out `linear -> normalization -> activation -> dropout`, so the
MLP, CNN and deep-MLP builders cannot drift apart.
"""

import keras

from keras_training_kit.validation import check_int

NORMALIZATIONS = (None, "batch", "layer")
NORMALIZATION_POSITIONS = ("before_activation", "after_activation")
OUTPUTS = ("logits", "softmax")
# Activations that want He (Kaiming) initialization; everything else that is
# zero-centred and saturating (tanh, sigmoid, softsign, linear) wants Glorot.
RELU_FAMILY = (
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "celu",
    "softplus",
    "hard_silu",
    "hard_swish",
    "maxout",
)


def check_choice(option, value, allowed):
    if value not in allowed:
        raise ValueError(
            f"`{option}` must be one of {allowed}. Received: {option}={value!r}"
        )


def check_rate(option, value):
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and 0 <= value < 1
    ):
        raise ValueError(
            f"`{option}` must be a float in [0, 1). Received: {option}={value!r}"
        )


def check_positive_int(option, value):
    check_int(option, value, minimum=1)


def check_non_negative(option, value):
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and value >= 0
    ):
        raise ValueError(
            f"`{option}` must be a float >= 0. Received: {option}={value!r}"
        )


def check_widths(option, values):
    if isinstance(values, int):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if not values or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0
        for v in values
    ):
        raise ValueError(
            f"`{option}` must be a positive int or a non-empty sequence of "
            f"positive ints. Received: {option}={values!r}"
        )
    return values


def check_activation(activation):
    """Returns a Keras activation name/callable or raises `ValueError`."""
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
    check_int("num_classes", num_classes, minimum=2)


def activation_name(activation):
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", str(activation))


def resolve_initializer(kernel_initializer, activation):
    """Resolves `"auto"`: He for the ReLU family, Glorot for the rest."""
    if isinstance(kernel_initializer, str) and kernel_initializer == "auto":
        name = activation_name(activation)
        if name == "selu":
            return keras.initializers.LecunNormal()
        if name in RELU_FAMILY:
            return keras.initializers.HeNormal()
        return keras.initializers.GlorotUniform()
    try:
        return keras.initializers.get(kernel_initializer)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "`kernel_initializer` must be 'auto', a Keras initializer name "
            "(such as 'he_normal' or 'glorot_uniform') or an initializer "
            f"instance. Received: kernel_initializer={kernel_initializer!r}"
        ) from error


def initializer_factory(kernel_initializer, activation):
    """Returns a callable giving a fresh initializer for each layer.

    Keras initializers with an integer seed are stateless: one instance (or
    copies of it) reused across layers would give every layer of the same
    shape the same weights. Each call therefore gets its own copy, and a
    seeded one gets `seed + layer_index`, so a seeded model is reproducible
    and its layers still differ.
    """
    config = keras.initializers.serialize(
        resolve_initializer(kernel_initializer, activation)
    )
    counter = iter(range(1 << 30))

    def next_initializer():
        index = next(counter)
        layer_config = dict(config, config=dict(config.get("config", {})))
        seed = layer_config["config"].get("seed")
        if isinstance(seed, int):
            layer_config["config"]["seed"] = seed + index
        return keras.initializers.deserialize(layer_config)

    return next_initializer


def make_regularizer(l1, l2):
    check_non_negative("l1", l1)
    check_non_negative("l2", l2)
    if not l1 and not l2:
        return None
    return keras.regularizers.L1L2(l1=float(l1), l2=float(l2))


def normalization_layer(normalization, name):
    if normalization == "batch":
        return keras.layers.BatchNormalization(name=name)
    return keras.layers.LayerNormalization(name=name)


def check_maxout_pieces(maxout_pieces, activation) -> int:
    """Returns the pieces per Maxout unit; raises when they cannot apply."""
    if maxout_pieces is None:
        return 2
    check_positive_int("maxout_pieces", maxout_pieces)
    if activation != "maxout":
        raise ValueError(
            "`maxout_pieces` applies only with `activation='maxout'`. "
            f"Received: maxout_pieces={maxout_pieces}, activation={activation!r}"
        )
    return maxout_pieces


def hidden_block(
    x,
    make_linear,
    *,
    width,
    activation,
    normalization,
    normalization_position,
    name,
    maxout_pieces=2,
):
    """`linear -> [norm] -> activation -> [norm]` on `x`.

    Args:
        make_linear: callable `(width, use_bias, name) -> layer` building the
            Dense or Conv layer; `width` is the number of output units or
            filters.
        width: int, output units/filters of the block.
        maxout_pieces: int, with `activation="maxout"` the linear layer has
            `width * maxout_pieces` outputs and `Maxout(width)` keeps the
            largest of each group of `maxout_pieces`.

    A normalization before the activation makes the linear layer's bias
    redundant (the normalization's `beta` plays that role), so it is dropped.
    """
    use_bias = not (normalization and normalization_position == "before_activation")
    maxout = isinstance(activation, str) and activation == "maxout"
    linear_width = width * maxout_pieces if maxout else width
    x = make_linear(linear_width, use_bias, f"{name}_linear")(x)
    if normalization and normalization_position == "before_activation":
        x = normalization_layer(normalization, f"{name}_norm")(x)
    if maxout:
        from keras_training_kit.layers import Maxout

        x = Maxout(width, name=f"{name}_act")(x)
    else:
        x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    if normalization and normalization_position == "after_activation":
        x = normalization_layer(normalization, f"{name}_norm")(x)
    return x


def output_layer(num_classes, output, kernel_regularizer, name="output"):
    # float32 output keeps the loss numerically safe under `mixed_float16`.
    return keras.layers.Dense(
        num_classes,
        activation="softmax" if output == "softmax" else None,
        kernel_regularizer=kernel_regularizer,
        dtype="float32",
        name=name,
    )
