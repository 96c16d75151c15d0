"""`build_mlp()`: a fully connected classifier with CS231n's options."""

import keras

from keras_training_kit.models import blocks
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
    batch_norm_momentum: float | None = None,
    name: str = "mlp",
) -> keras.Model:
    """Builds an uncompiled multilayer perceptron classifier.

    Inputs of any rank are flattened. Each hidden layer is
    `Dense -> [normalization] -> activation -> [normalization] -> [Dropout]`,
    with the normalization before or after the activation.

    Whatever `kernel_initializer` is, the output layer's kernel starts
    small: `VarianceScaling(scale=0.1, mode="fan_in")`, LeCun normal with a
    tenth of its variance. Each logit's std is then about 0.3x the last
    hidden layer's rms activation, whatever its width, so the softmax
    starts near uniform and the loss before training is about ln C, the
    first sanity check of `babysitting.diagnose` (with Glorot there, the
    defaults would start at up to 1.9x ln C on MNIST-1D). Small but not zero,
    the head still sends a gradient to the hidden layers at the first step.

    Args:
        input_shape: tuple, the shape of one example, e.g. `(8, 8, 1)`.
        num_classes: int >= 2, the number of classes.
        hidden_units: int or sequence of ints, the width of each hidden
            layer. Defaults to `(256, 128)`.
        activation: str, any Keras activation name, or `"maxout"`.
            Defaults to `"relu"`.
        kernel_initializer: the hidden layers' initializer: `"auto"` (He
            for the ReLU family, Glorot for tanh/sigmoid, LeCun for selu),
            a Keras initializer name or an initializer instance. Defaults
            to `"auto"`.
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
            Defaults to `None`.
        batch_norm_momentum: float in `[0, 1)` or `None`, with
            `normalization="batch"`: the momentum of the running statistics
            (`None`: Keras' 0.99; see `build_cnn`). Defaults to `None`.
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
    input_shape, block_options, regularizer = blocks.check_classifier_options(
        input_shape,
        num_classes,
        activation=activation,
        normalization=normalization,
        normalization_position=normalization_position,
        dropout=dropout,
        output=output,
        maxout_pieces=maxout_pieces,
        batch_norm_momentum=batch_norm_momentum,
        l1=l1,
        l2=l2,
    )
    hidden_units = check_widths("hidden_units", hidden_units)
    make_dense = blocks.linear_factory(
        keras.layers.Dense,
        blocks.initializer_factory(
            kernel_initializer, block_options["activation"]
        ),
        regularizer,
    )
    inputs = keras.Input(input_shape, name="features")
    x = (
        keras.layers.Flatten(name="flatten")(inputs)
        if len(input_shape) > 1
        else inputs
    )
    x = blocks.dense_blocks(x, make_dense, hidden_units, dropout, block_options)
    outputs = blocks.output_layer(num_classes, output, regularizer)(x)
    return keras.Model(inputs, outputs, name=name)
