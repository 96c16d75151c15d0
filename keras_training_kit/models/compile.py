"""`compile_classifier()`: the one way builders' models are compiled."""

import keras

# The module, not its function: `optimizers` imports Keras, whose import
# hook registers the package's classes, which import this module (a first
# `from keras_training_kit.optimizers import ...` would find it half-made).
from keras_training_kit import optimizers


def compile_classifier(
    model: keras.Model,
    *,
    optimizer="adam",
    learning_rate=1e-3,
    jit_compile="auto",
    one_hot_labels: bool = False,
) -> keras.Model:
    """Compiles a classifier built by this package for integer labels.

    Uses `SparseCategoricalCrossentropy` (with `from_logits` read off the
    model's output activation) and accuracy; with `one_hot_labels=True`,
    `CategoricalCrossentropy` and categorical accuracy instead, for one-hot
    or mixed (MixUp / CutMix) labels.

    Args:
        model: a `keras.Model` whose last layer outputs logits or softmax
            probabilities.
        optimizer: str, an optimizer name accepted by
            `keras_training_kit.optimizers.build_optimizer`, or a
            `keras.optimizers.Optimizer` (then `learning_rate` is not used).
            Defaults to `"adam"`.
        learning_rate: float > 0 or a
            `keras.optimizers.schedules.LearningRateSchedule`. Defaults to
            `1e-3`.
        jit_compile: bool or `"auto"`, passed to `model.compile`. Defaults
            to `"auto"`.
        one_hot_labels: bool, whether labels are one-hot (or soft) vectors
            rather than integers. Defaults to `False`.

    Returns:
        The same model, compiled.

    Example:

    >>> from keras_training_kit.models import build_mlp
    >>> model = compile_classifier(build_mlp((4,), 3), learning_rate=0.01)
    """
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    from_logits = getattr(activation, "__name__", "linear") != "softmax"
    if one_hot_labels:
        loss = keras.losses.CategoricalCrossentropy(from_logits=from_logits)
        accuracy = keras.metrics.CategoricalAccuracy(name="accuracy")
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits
        )
        accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    model.compile(
        optimizer=(
            optimizer
            if isinstance(optimizer, keras.optimizers.Optimizer)
            else optimizers.build_optimizer(optimizer, learning_rate)
        ),
        loss=loss,
        metrics=[accuracy],
        jit_compile=jit_compile,
    )
    return model
