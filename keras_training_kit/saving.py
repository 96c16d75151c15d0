"""One registration decorator for every serializable object of the package."""

import keras

PACKAGE = "keras_training_kit"


def register(cls):
    """Registers `cls` for `.keras` saving under the package name.

    Every public layer, initializer, regularizer and callback with state goes
    through this decorator, so a model using it reloads with
    `keras.saving.load_model(path)` in a fresh process (`safe_mode=True`).
    """
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
