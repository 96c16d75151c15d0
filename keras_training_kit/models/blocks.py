"""The options shared by every builder and the hidden block they all use.

One place validates builder options, resolves `kernel_initializer="auto"`
and lays out `linear -> normalization -> activation -> dropout`, so the
MLP, CNN and deep-MLP builders cannot drift apart.
"""

import keras

from keras_training_kit.validation import check_non_negative
from keras_training_kit.validation import check_positive_int

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
            f"Received: maxout_pieces={maxout_pieces}, "
            f"activation={activation!r}"
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
    use_bias = not (
        normalization and normalization_position == "before_activation"
    )
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
