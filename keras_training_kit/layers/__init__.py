"""Layers Keras lacks: Maxout, ParametricELU, Whitening."""

from keras_training_kit.layers.maxout import Maxout
from keras_training_kit.layers.parametric_elu import ParametricELU
from keras_training_kit.layers.whitening import Whitening
