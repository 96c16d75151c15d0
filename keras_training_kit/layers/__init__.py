"""Layers Keras lacks: Maxout, ParametricELU, Whitening."""

from keras_training_kit.layers.maxout import Maxout
from keras_training_kit.layers.parametric_elu import ParametricELU
from keras_training_kit.layers.whitening import Whitening

# The public API, in the order of its page of the API reference.
__all__ = [
    "Maxout",
    "ParametricELU",
    "Whitening",
]
