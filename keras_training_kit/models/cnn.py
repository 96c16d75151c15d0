"""`build_cnn()`: a convolutional classifier for 1-D signals and images."""

import keras

from keras_training_kit.models import blocks
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_positive_int
from keras_training_kit.validation import check_rate
from keras_training_kit.validation import check_widths

POOLINGS = ("max", "average", None)
# (pooling, one_d) -> the pooling layer class.
POOL_CLASSES = {
    ("max", True): keras.layers.MaxPooling1D,
    ("max", False): keras.layers.MaxPooling2D,
    ("average", True): keras.layers.AveragePooling1D,
    ("average", False): keras.layers.AveragePooling2D,
}


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
    batch_norm_momentum: float | None = None,
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

    Whatever `kernel_initializer` is, the output layer's kernel starts
    small: `VarianceScaling(scale=0.1, mode="fan_in")`, LeCun normal with a
    tenth of its variance. Each logit's std is then about 0.3x the last
    hidden layer's rms activation, whatever its width, so the softmax
    starts near uniform and the loss before training is about ln C, the
    first sanity check of `babysitting.diagnose` (with Glorot there, the
    defaults would start at up to 1.9x ln C on MNIST-1D). Small but not zero,
    the head still sends a gradient to the hidden layers at the first step.

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
        kernel_initializer: the hidden layers' initializer: `"auto"` (He
            for the ReLU family, Glorot for tanh/sigmoid, LeCun for selu),
            a Keras initializer name or instance. Defaults to `"auto"`.
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
            Defaults to `None`.
        batch_norm_momentum: float in `[0, 1)` or `None`, the momentum of
            the running mean and variance of every `BatchNormalization`;
            only with `normalization="batch"`. `None` keeps Keras' 0.99,
            which averages over the last ~100 batches and suits long runs;
            0.9 (PyTorch's default) settles within a short run of a few
            hundred steps. Defaults to `None`.
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
    filters, dense_units = _check_cnn_options(
        input_shape,
        filters,
        dense_units,
        kernel_size=kernel_size,
        convs_per_stage=convs_per_stage,
        pooling=pooling,
        spatial_dropout=spatial_dropout,
        whitening_stem=whitening_stem,
        whitening_images=whitening_images,
        whitening_kernel_size=whitening_kernel_size,
    )
    next_initializer = blocks.initializer_factory(
        kernel_initializer, block_options["activation"]
    )
    one_d = len(input_shape) == 2
    make_conv = _conv_factory(one_d, next_initializer, regularizer, kernel_size)
    inputs = keras.Input(input_shape, name="features")
    x = inputs
    if whitening_stem:
        x = _whitening_stem(
            x, input_shape, whitening_images, whitening_kernel_size
        )
    for stage, width in enumerate(filters, start=1):
        x = _conv_stage(
            x,
            make_conv,
            stage=stage,
            width=width,
            convs=convs_per_stage,
            pooling=pooling,
            spatial_dropout=spatial_dropout,
            block_options=block_options,
        )
    x = keras.layers.Flatten(name="flatten")(x)
    make_dense = blocks.linear_factory(
        keras.layers.Dense, next_initializer, regularizer
    )
    x = blocks.dense_blocks(x, make_dense, dense_units, dropout, block_options)
    outputs = blocks.output_layer(num_classes, output, regularizer)(x)
    return keras.Model(inputs, outputs, name=name)


def _check_cnn_options(
    input_shape,
    filters,
    dense_units,
    *,
    kernel_size,
    convs_per_stage,
    pooling,
    spatial_dropout,
    whitening_stem,
    whitening_images,
    whitening_kernel_size,
) -> tuple:
    """Validates `build_cnn`'s own options; returns the widths as tuples."""
    if len(input_shape) not in (2, 3):
        raise ValueError(
            "`input_shape` must be (length, channels) for Conv1D or "
            "(height, width, channels) for Conv2D; use `build_mlp` for flat "
            f"features. Received: input_shape={input_shape!r}"
        )
    filters = check_widths("filters", filters)
    dense_units = (
        ()
        if dense_units in ((), [], None)
        else check_widths("dense_units", dense_units)
    )
    check_positive_int("kernel_size", kernel_size)
    check_positive_int("convs_per_stage", convs_per_stage)
    check_choice("pooling", pooling, POOLINGS)
    check_rate("spatial_dropout", spatial_dropout)
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
    return filters, dense_units


def _whitening_stem(x, input_shape, images, kernel_size):
    """The frozen patch-whitening `Conv2D` on `x`, adapted on `images`."""
    from keras_training_kit.initializers import patch_whitening_kernel

    kernel, bias = patch_whitening_kernel(images, kernel_size, return_bias=True)
    if kernel.shape[2] != input_shape[-1]:
        raise ValueError(
            "`whitening_images` must have the model's channels "
            f"({input_shape[-1]}). Received: whitening_images with "
            f"{kernel.shape[2]} channels"
        )
    stem = keras.layers.Conv2D(
        kernel.shape[-1],
        kernel_size,
        padding="valid",
        trainable=False,
        name="whitening_stem",
    )
    x = stem(x)
    stem.set_weights([kernel, bias])
    return x


def _conv_factory(one_d, next_initializer, regularizer, kernel_size):
    """`make_linear` for the conv blocks: `Conv1D` or `Conv2D`, "same"."""
    return blocks.linear_factory(
        keras.layers.Conv1D if one_d else keras.layers.Conv2D,
        next_initializer,
        regularizer,
        kernel_size=kernel_size,
        padding="same",
    )


def _conv_stage(
    x,
    make_conv,
    *,
    stage,
    width,
    convs,
    pooling,
    spatial_dropout,
    block_options,
):
    """Stage `stage`: `convs` conv blocks, pooling, spatial dropout."""
    one_d = len(x.shape) == 3
    for conv in range(1, convs + 1):
        suffix = f"{stage}" if convs == 1 else f"{stage}_{conv}"
        x = blocks.hidden_block(
            x, make_conv, width=width, name=f"conv_{suffix}", **block_options
        )
    # Pool only while there is something left to halve.
    if pooling is not None and min(x.shape[1:-1]) >= 2:
        pool = POOL_CLASSES[(pooling, one_d)]
        x = pool(2, name=f"pool_{stage}")(x)
    if spatial_dropout:
        dropout_class = (
            keras.layers.SpatialDropout1D
            if one_d
            else keras.layers.SpatialDropout2D
        )
        x = dropout_class(spatial_dropout, name=f"spatial_dropout_{stage}")(x)
    return x
