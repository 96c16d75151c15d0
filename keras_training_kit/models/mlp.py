"""`build_mlp()`: a fully connected classifier with the lecture's options."""

import keras

from keras_training_kit.models import blocks
from keras_training_kit.validation import check_activation
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_input_shape
from keras_training_kit.validation import check_num_classes
from keras_training_kit.validation import check_rate
from keras_training_kit.validation import check_widths


def build_mlp(
    input_shape: tuple,
    num_classes: int,
    hidden_units: tuple = (256, 128),
    *,
    activation: str = "relu",
    kernel_initializer="auto",
    normalization: str | None = None,
    normalization_position: str = "before_activation",
    dropout: float = 0.0,
    l2: float = 0.0,
    l1: float = 0.0,
    output: str = "logits",
    maxout_pieces: int | None = None,
    name: str = "mlp",
) -> keras.Model:
    """Builds an uncompiled multilayer perceptron classifier.

    Inputs of any rank are flattened. Each hidden layer is
    `Dense -> [normalization] -> activation -> [normalization] -> [Dropout]`,
    with the normalization before or after the activation.

    Args:
        input_shape: tuple, the shape of one example, e.g. `(8, 8, 1)`.
        num_classes: int >= 2, the number of classes.
        hidden_units: int or sequence of ints, the width of each hidden
            layer. Defaults to `(256, 128)`.
        activation: str, any Keras activation name, or `"maxout"`.
            Defaults to `"relu"`.
        kernel_initializer: `"auto"` (He for the ReLU family, Glorot for
            tanh/sigmoid, LeCun for selu), a Keras initializer name or an
            initializer instance. Defaults to `"auto"`.
        normalization: `None`, `"batch"` or `"layer"`. Defaults to `None`.
        normalization_position: `"before_activation"` or
            `"after_activation"`. Defaults to `"before_activation"`.
        dropout: float in `[0, 1)`, dropout rate after each hidden layer.
            Defaults to `0.0`.
        l2: float >= 0, L2 weight decay on every kernel. Defaults to `0.0`.
        l1: float >= 0, L1 weight decay on every kernel. Defaults to `0.0`.
        output: `"logits"` (no activation; use
            `SparseCategoricalCrossentropy(from_logits=True)`) or
            `"softmax"`. Defaults to `"logits"`.
        maxout_pieces: int or `None`, pieces per unit; only with
            `activation="maxout"` (`None` there means 2).
            Defaults to `2`.
        name: str, the model's name. Defaults to `"mlp"`.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for any invalid option, naming the option, the allowed
            values and the received value.

    Example:

    >>> model = build_mlp((8, 8, 1), 10, (64,), normalization="batch",
    ...                   dropout=0.2, l2=1e-4)
    >>> model.output_shape
    (None, 10)
    """
    input_shape = check_input_shape(input_shape)
    check_num_classes(num_classes)
    hidden_units = check_widths("hidden_units", hidden_units)
    activation = check_activation(activation)
    check_choice("normalization", normalization, blocks.NORMALIZATIONS)
    check_choice(
        "normalization_position",
        normalization_position,
        blocks.NORMALIZATION_POSITIONS,
    )
    check_rate("dropout", dropout)
    check_choice("output", output, blocks.OUTPUTS)
    maxout_pieces = blocks.check_maxout_pieces(maxout_pieces, activation)
    regularizer = blocks.make_regularizer(l1, l2)
    next_initializer = blocks.initializer_factory(
        kernel_initializer, activation
    )

    def make_dense(units, use_bias, layer_name):
        return keras.layers.Dense(
            units,
            use_bias=use_bias,
            kernel_initializer=next_initializer(),
            kernel_regularizer=regularizer,
            name=layer_name,
        )

    inputs = keras.Input(input_shape, name="features")
    x = (
        keras.layers.Flatten(name="flatten")(inputs)
        if len(input_shape) > 1
        else inputs
    )
    for index, units in enumerate(hidden_units, start=1):
        x = blocks.hidden_block(
            x,
            make_dense,
            width=units,
            activation=activation,
            normalization=normalization,
            normalization_position=normalization_position,
            name=f"dense_{index}",
            maxout_pieces=maxout_pieces,
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dense_{index}_dropout")(x)
    outputs = blocks.output_layer(num_classes, output, regularizer)(x)
    return keras.Model(inputs, outputs, name=name)
