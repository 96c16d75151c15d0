"""keras-training-kit: CS231n's "Training Neural Networks" toolbox for Keras 3.

The toolbox of the "Training Neural Networks" lectures of Stanford's CS231n
(Convolutional Neural Networks for Visual Recognition) as Keras 3
components: activations and initializers, whitening, augmentation,
babysitting and diagnostics, optimizers and schedules, hyperparameter
search, plots, and the `ktk` command. Each area is a submodule with its
own `__all__`.
"""

__version__ = "0.1.0"

import importlib

# Submodules load on first attribute access so `import keras_training_kit`
# stays cheap and one area never pays for another's imports.
_SUBMODULES = (
    "augmentation",
    "babysitting",
    "callbacks",
    "data",
    "diagnostics",
    "initializers",
    "layers",
    "models",
    "optimizers",
    "plotting",
    "schedules",
    "tuning",
)
# The public API: the version and the areas, each with its own `__all__`.
__all__ = ["__version__", *_SUBMODULES]


from keras_training_kit import registration  # noqa: E402

registration.register_when_keras_is_imported()


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
