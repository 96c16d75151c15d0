"""The options shared by every builder and the blocks they all use.

One place validates builder options, resolves `kernel_initializer="auto"`,
lays out `linear -> normalization -> activation -> dropout` and builds the
classifier head, so the MLP, CNN and deep-MLP builders cannot drift apart.
"""

import keras

from keras_training_kit.validation import check_activation
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_input_shape
from keras_training_kit.validation import check_non_negative
from keras_training_kit.validation import check_num_classes
from keras_training_kit.validation import check_positive_int
from keras_training_kit.validation import check_rate

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
# The classifier head's kernel starts as `VarianceScaling(OUTPUT_SCALE,
# "fan_in")`, LeCun normal with a tenth of its variance: each logit's std
# is about 0.3x the last hidden layer's rms, whatever its width, so the
# softmax starts near uniform and the loss at ln C (CS231n's first
# sanity check). Glorot there would start the default models at 2.4-4.4
# against ln 10 = 2.30; a fixed std (0.01, 0.02) overshoots on a wide last
# layer, and heads smaller than this one train slightly worse in the
# default 30 epochs (Adam grows them ~lr per step). Adam(1e-3)'s first
# step is ~1e-3 * sqrt(fan_in / OUTPUT_SCALE) of the head's norm: 0.04 at
# 128 units, 0.2 at 4,096, inside `diagnose`'s band.
OUTPUT_SCALE = 0.1
# The head's initializer as a Keras config (`keras.initializers.get` takes
# it): the one definition the builders and `diagnostics.rules` share.
OUTPUT_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {
        "scale": OUTPUT_SCALE,
        "mode": "fan_in",
        "distribution": "truncated_normal",
    },
}


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


def normalization_layer(normalization, name, batch_norm_momentum=None):
    """A `BatchNormalization` (with `batch_norm_momentum`, Keras' 0.99 when
    `None`) or a `LayerNormalization` named `name`."""
    if normalization == "batch":
        if batch_norm_momentum is None:
            return keras.layers.BatchNormalization(name=name)
        return keras.layers.BatchNormalization(
            momentum=batch_norm_momentum, name=name
        )
    return keras.layers.LayerNormalization(name=name)


def check_batch_norm_momentum(batch_norm_momentum, normalization):
    """Returns the momentum as a float (or `None`); raises when it is not
    in `[0, 1)` or given without batch normalization."""
    if batch_norm_momentum is None:
        return None
    momentum = check_float(
        "batch_norm_momentum", batch_norm_momentum, 0.0, 1.0, include_high=False
    )
    if normalization != "batch":
        raise ValueError(
            "`batch_norm_momentum` applies only with "
            "`normalization='batch'`. Received: "
            f"batch_norm_momentum={batch_norm_momentum!r}, "
            f"normalization={normalization!r}"
        )
    return momentum


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


def check_classifier_options(
    input_shape,
    num_classes,
    *,
    activation,
    normalization,
    normalization_position,
    dropout,
    output,
    maxout_pieces,
    l1,
    l2,
    batch_norm_momentum=None,
) -> tuple:
    """Validates the options `build_mlp` and `build_cnn` share.

    Returns:
        `(input_shape, block_options, regularizer)`: the example shape as
        a tuple, the keyword arguments of `hidden_block` (`activation`,
        `normalization`, `normalization_position`, `maxout_pieces`,
        `batch_norm_momentum`) and the kernel regularizer (`None` without
        `l1` and `l2`).

    Raises:
        ValueError: for any invalid option, naming it and the received
            value.
    """
    input_shape = check_input_shape(input_shape)
    check_num_classes(num_classes)
    activation = check_activation(activation)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice(
        "normalization_position",
        normalization_position,
        NORMALIZATION_POSITIONS,
    )
    check_rate("dropout", dropout)
    check_choice("output", output, OUTPUTS)
    block_options = dict(
        activation=activation,
        normalization=normalization,
        normalization_position=normalization_position,
        maxout_pieces=check_maxout_pieces(maxout_pieces, activation),
        batch_norm_momentum=check_batch_norm_momentum(
            batch_norm_momentum, normalization
        ),
    )
    return input_shape, block_options, make_regularizer(l1, l2)


def linear_factory(layer_class, next_initializer, regularizer, **kwargs):
    """Returns `make_linear(width, use_bias, name)` for `hidden_block`.

    Each layer is `layer_class(width, use_bias=..., **kwargs)` with the
    next hidden initializer of `next_initializer` and `regularizer`.
    """

    def make_linear(width, use_bias, layer_name):
        return layer_class(
            width,
            use_bias=use_bias,
            kernel_initializer=next_initializer(),
            kernel_regularizer=regularizer,
            name=layer_name,
            **kwargs,
        )

    return make_linear


def dense_blocks(x, make_dense, units, dropout, block_options):
    """`dense_1 ... dense_n` hidden blocks on `x`, each with its dropout."""
    for index, width in enumerate(units, start=1):
        x = hidden_block(
            x, make_dense, width=width, name=f"dense_{index}", **block_options
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dense_{index}_dropout")(x)
    return x


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
    batch_norm_momentum=None,
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
        batch_norm_momentum: float or `None`, the `BatchNormalization`
            momentum (`None`: Keras' 0.99).

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
        x = normalization_layer(
            normalization, f"{name}_norm", batch_norm_momentum
        )(x)
    if maxout:
        from keras_training_kit.layers import Maxout

        x = Maxout(width, name=f"{name}_act")(x)
    else:
        x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    if normalization and normalization_position == "after_activation":
        x = normalization_layer(
            normalization, f"{name}_norm", batch_norm_momentum
        )(x)
    return x


def output_initializer():
    """A fresh initializer for a classifier head (see `OUTPUT_SCALE`)."""
    return keras.initializers.VarianceScaling(**OUTPUT_INITIALIZER["config"])


def output_layer(num_classes, output, kernel_regularizer, name="output"):
    """The classifier head: a float32 `Dense` with small initial weights."""
    # float32 output keeps the loss numerically safe under `mixed_float16`.
    return keras.layers.Dense(
        num_classes,
        activation="softmax" if output == "softmax" else None,
        kernel_initializer=output_initializer(),
        kernel_regularizer=kernel_regularizer,
        dtype="float32",
        name=name,
    )
