"""`compile_classifier()`: the one way builders' models are compiled."""

import keras

from keras_training_kit.optimizers import build_optimizer


def compile_classifier(
    model: keras.Model,
    *,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    jit_compile="auto",
) -> keras.Model:
    """Compiles a classifier built by this package for integer labels.

    Uses `SparseCategoricalCrossentropy` (with `from_logits` read off the
    model's output activation) and accuracy.

    Args:
        model: a `keras.Model` whose last layer outputs logits or softmax
            probabilities.
        optimizer: str, an optimizer name accepted by
            `keras_training_kit.optimizers.build_optimizer`. Defaults to
            `"adam"`.
        learning_rate: float > 0. Defaults to `1e-3`.
        jit_compile: bool or `"auto"`, passed to `model.compile`. Defaults
            to `"auto"`.

    Returns:
        The same model, compiled.

    Example:

    >>> from keras_training_kit.models import build_mlp
    >>> model = compile_classifier(build_mlp((4,), 3), learning_rate=0.01)
    """
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    from_logits = getattr(activation, "__name__", "linear") != "softmax"
    model.compile(
        optimizer=build_optimizer(optimizer, learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
    )
    return model
