"""`build_deep_mlp()`: CS231n's deep network for initialization studies.

It is the network of the deep, narrow-initialization experiment.
"""

import keras

from keras_training_kit.models import blocks
from keras_training_kit.validation import check_activation
from keras_training_kit.validation import check_num_classes
from keras_training_kit.validation import check_positive_int


def build_deep_mlp(
    input_dim: int = 500,
    depth: int = 10,
    width: int = 500,
    *,
    activation: str = "tanh",
    kernel_initializer="auto",
    use_bias: bool = False,
    num_classes: int | None = None,
    name: str = "deep_mlp",
) -> keras.Model:
    """Builds CS231n's deep MLP for studying activations across depth.

    `depth` layers `h = activation(h @ W)` of `width` units named
    `layer_1 ... layer_{depth}` (the activation is fused into each `Dense`,
    so each layer's output is its post-activation). With
    `num_classes=None` the model outputs the last hidden layer; otherwise a
    logits layer is added, with `build_mlp`'s small initial weights
    (`VarianceScaling(scale=0.1, mode="fan_in")`, so the loss starts at
    about ln C).

    Args:
        input_dim: int, the number of input features. Defaults to `500`.
        depth: int, the number of hidden layers. Defaults to `10`.
        width: int, the units of every hidden layer. Defaults to `500`.
        activation: str, any Keras activation name. Defaults to `"tanh"`.
        kernel_initializer: the hidden layers' initializer: `"auto"`, a
            Keras initializer name or instance (for example
            `keras.initializers.RandomNormal(stddev=0.01)`, CS231n's
            `0.01 * randn`). Defaults to `"auto"`.
        use_bias: bool, whether layers have a bias. Defaults to `False`.
        num_classes: int or `None`, add a logits layer with that many
            classes. Defaults to `None`.
        name: str, the model's name. Defaults to `"deep_mlp"`.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> model = build_deep_mlp(depth=3, width=16, input_dim=8)
    >>> [layer.name for layer in model.layers[1:]]
    ['layer_1', 'layer_2', 'layer_3']
    """
    check_positive_int("input_dim", input_dim)
    check_positive_int("depth", depth)
    check_positive_int("width", width)
    activation = check_activation(activation)
    if activation == "maxout":
        raise ValueError(
            "`activation` must be a Keras activation name for "
            "build_deep_mlp; use build_mlp for maxout. "
            f"Received: activation={activation!r}"
        )
    if num_classes is not None:
        check_num_classes(num_classes)
    next_initializer = blocks.initializer_factory(
        kernel_initializer, activation
    )
    inputs = keras.Input((input_dim,), name="features")
    x = inputs
    for index in range(1, depth + 1):
        x = keras.layers.Dense(
            width,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=next_initializer(),
            name=f"layer_{index}",
        )(x)
    if num_classes is not None:
        x = blocks.output_layer(num_classes, "logits", None)(x)
    return keras.Model(inputs, x, name=name)
