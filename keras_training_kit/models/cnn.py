"""`build_cnn()`: a convolutional classifier for 1-D signals and images."""

import keras

from keras_training_kit.models import blocks
from keras_training_kit.validation import check_activation
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_input_shape
from keras_training_kit.validation import check_num_classes
from keras_training_kit.validation import check_positive_int
from keras_training_kit.validation import check_rate
from keras_training_kit.validation import check_widths

POOLINGS = ("max", "average", None)


def build_cnn(
    input_shape: tuple,
    num_classes: int,
    filters: tuple = (32, 64),
    *,
    kernel_size: int = 3,
    convs_per_stage: int = 1,
    pooling: str | None = "max",
    dense_units: tuple = (128,),
    activation: str = "relu",
    kernel_initializer="auto",
    normalization: str | None = None,
    normalization_position: str = "before_activation",
    dropout: float = 0.0,
    spatial_dropout: float = 0.0,
    l2: float = 0.0,
    l1: float = 0.0,
    output: str = "logits",
    maxout_pieces: int | None = None,
    whitening_stem: bool = False,
    whitening_images=None,
    whitening_kernel_size: int = 2,
    name: str = "cnn",
) -> keras.Model:
    """Builds an uncompiled convolutional classifier.

    Inputs of shape `(length, channels)` (such as MNIST-1D) get `Conv1D`
    layers, inputs of shape `(height, width, channels)` get `Conv2D` (channels
    last). Each stage is `convs_per_stage` conv blocks
    (`Conv -> [normalization] -> activation -> [normalization]`) followed by
    pooling (halving each spatial size) and spatial dropout; then the feature
    map is flattened into dense blocks with dropout and the output layer.

    With `whitening_stem=True` (images only), a frozen `Conv2D` named
    `"whitening_stem"` comes first: its kernel is
    `initializers.patch_whitening_kernel(whitening_images,
    whitening_kernel_size)`, so it maps every patch of the input to its
    PCA-whitened coordinates and their negatives (the airbench CIFAR-10
    recipe), with the bias subtracting the mean patch. A builder sees no
    data, so the training images are passed as `whitening_images` (an
    array or a batched `tf.data.Dataset`; the stem is adapted on them once,
    when the model is built).

    Args:
        input_shape: tuple, `(length, channels)` or
            `(height, width, channels)`.
        num_classes: int >= 2, the number of classes.
        filters: int or sequence of ints, the filters of each stage.
            Defaults to `(32, 64)`.
        kernel_size: int, the convolution window. Defaults to `3`.
        convs_per_stage: int, conv blocks per stage. Defaults to `1`.
        pooling: `"max"`, `"average"` or `None` (no pooling). Defaults to
            `"max"`.
        dense_units: int or sequence of ints (may be empty), the dense
            layers after the convolutions. Defaults to `(128,)`.
        activation: str, any Keras activation name, or `"maxout"`.
            Defaults to `"relu"`.
        kernel_initializer: `"auto"` (He for the ReLU family, Glorot for
            tanh/sigmoid), a Keras initializer name or instance. Defaults to
            `"auto"`.
        normalization: `None`, `"batch"` or `"layer"`. Defaults to `None`.
        normalization_position: `"before_activation"` or
            `"after_activation"`. Defaults to `"before_activation"`.
        dropout: float in `[0, 1)`, dropout after each dense layer.
            Defaults to `0.0`.
        spatial_dropout: float in `[0, 1)`, channel-wise dropout
            (`SpatialDropout1D`/`SpatialDropout2D`) after each stage.
            Defaults to `0.0`.
        l2: float >= 0, L2 weight decay on every kernel. Defaults to `0.0`.
        l1: float >= 0, L1 weight decay on every kernel. Defaults to `0.0`.
        output: `"logits"` or `"softmax"`. Defaults to `"logits"`.
        maxout_pieces: int or `None`, pieces per unit; only with
            `activation="maxout"` (`None` there means 2).
            Defaults to `2`.
        whitening_stem: bool, start with a frozen patch-whitening `Conv2D`
            (`"valid"` padding, `2 * k * k * channels` filters). Needs
            `whitening_images`. Defaults to `False`.
        whitening_images: the training images `(N, H, W, C)` the stem is
            adapted on (array, tensor or batched `tf.data.Dataset`). Defaults
            to `None`.
        whitening_kernel_size: int, the stem's patch size. Defaults to `2`.
        name: str, the model's name. Defaults to `"cnn"`.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for any invalid option, naming the option, the allowed
            values and the received value.

    Example:

    >>> model = build_cnn((40, 1), 10, filters=(16, 32), spatial_dropout=0.1)
    >>> model.output_shape
    (None, 10)
    """
    input_shape = check_input_shape(input_shape)
    if len(input_shape) not in (2, 3):
        raise ValueError(
            "`input_shape` must be (length, channels) for Conv1D or "
            "(height, width, channels) for Conv2D; use `build_mlp` for flat "
            f"features. Received: input_shape={input_shape!r}"
        )
    check_num_classes(num_classes)
    filters = check_widths("filters", filters)
    dense_units = (
        ()
        if dense_units in ((), [], None)
        else check_widths("dense_units", dense_units)
    )
    check_positive_int("kernel_size", kernel_size)
    check_positive_int("convs_per_stage", convs_per_stage)
    maxout_pieces = blocks.check_maxout_pieces(maxout_pieces, activation)
    check_choice("pooling", pooling, POOLINGS)
    activation = check_activation(activation)
    check_choice("normalization", normalization, blocks.NORMALIZATIONS)
    check_choice(
        "normalization_position",
        normalization_position,
        blocks.NORMALIZATION_POSITIONS,
    )
    check_rate("dropout", dropout)
    check_rate("spatial_dropout", spatial_dropout)
    check_choice("output", output, blocks.OUTPUTS)
    if not isinstance(whitening_stem, bool):
        raise ValueError(
            "`whitening_stem` must be a bool (pass the training images as "
            f"`whitening_images`). Received: whitening_stem={whitening_stem!r}"
        )
    if whitening_stem and len(input_shape) != 3:
        raise ValueError(
            "`whitening_stem=True` needs image inputs (height, width, "
            f"channels). Received: input_shape={input_shape!r}"
        )
    if whitening_stem and whitening_images is None:
        raise ValueError(
            "`whitening_stem=True` needs the training images to adapt the "
            "stem on: pass `whitening_images=x_train`. Received: "
            "whitening_images=None"
        )
    check_positive_int("whitening_kernel_size", whitening_kernel_size)
    regularizer = blocks.make_regularizer(l1, l2)
    next_initializer = blocks.initializer_factory(
        kernel_initializer, activation
    )

    one_d = len(input_shape) == 2
    Conv = keras.layers.Conv1D if one_d else keras.layers.Conv2D
    Pool = {
        ("max", True): keras.layers.MaxPooling1D,
        ("max", False): keras.layers.MaxPooling2D,
        ("average", True): keras.layers.AveragePooling1D,
        ("average", False): keras.layers.AveragePooling2D,
    }.get((pooling, one_d))
    SpatialDropout = (
        keras.layers.SpatialDropout1D
        if one_d
        else keras.layers.SpatialDropout2D
    )

    def make_conv(width, use_bias, layer_name):
        return Conv(
            width,
            kernel_size,
            padding="same",
            use_bias=use_bias,
            kernel_initializer=next_initializer(),
            kernel_regularizer=regularizer,
            name=layer_name,
        )

    def make_dense(units, use_bias, layer_name):
        return keras.layers.Dense(
            units,
            use_bias=use_bias,
            kernel_initializer=next_initializer(),
            kernel_regularizer=regularizer,
            name=layer_name,
        )

    block_options = dict(
        activation=activation,
        normalization=normalization,
        normalization_position=normalization_position,
        maxout_pieces=maxout_pieces,
    )
    inputs = keras.Input(input_shape, name="features")
    x = inputs
    if whitening_stem:
        from keras_training_kit.initializers import patch_whitening_kernel

        kernel, bias = patch_whitening_kernel(
            whitening_images, whitening_kernel_size, return_bias=True
        )
        if kernel.shape[2] != input_shape[-1]:
            raise ValueError(
                "`whitening_images` must have the model's channels "
                f"({input_shape[-1]}). Received: whitening_images with "
                f"{kernel.shape[2]} channels"
            )
        stem = keras.layers.Conv2D(
            kernel.shape[-1],
            whitening_kernel_size,
            padding="valid",
            trainable=False,
            name="whitening_stem",
        )
        x = stem(x)
        stem.set_weights([kernel, bias])
    for stage, width in enumerate(filters, start=1):
        for conv in range(1, convs_per_stage + 1):
            suffix = f"{stage}" if convs_per_stage == 1 else f"{stage}_{conv}"
            x = blocks.hidden_block(
                x,
                make_conv,
                width=width,
                name=f"conv_{suffix}",
                **block_options,
            )
        # Pool only while there is something left to halve.
        if Pool is not None and min(x.shape[1:-1]) >= 2:
            x = Pool(2, name=f"pool_{stage}")(x)
        if spatial_dropout:
            x = SpatialDropout(
                spatial_dropout, name=f"spatial_dropout_{stage}"
            )(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for index, units in enumerate(dense_units, start=1):
        x = blocks.hidden_block(
            x, make_dense, width=units, name=f"dense_{index}", **block_options
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dense_{index}_dropout")(x)
    outputs = blocks.output_layer(num_classes, output, regularizer)(x)
    return keras.Model(inputs, outputs, name=name)
