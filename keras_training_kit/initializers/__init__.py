"""Initializers: gain table, Kaiming/Xavier, LSUV, patch-whitening kernels."""

from keras_training_kit.initializers.gain import calculate_gain
from keras_training_kit.initializers.lsuv import lsuv_initialize
from keras_training_kit.initializers.patch_whitening import (
    patch_whitening_kernel,
)
from keras_training_kit.initializers.random_initializers import KaimingNormal
from keras_training_kit.initializers.random_initializers import KaimingUniform
from keras_training_kit.initializers.random_initializers import XavierNormal
from keras_training_kit.initializers.random_initializers import XavierUniform
from keras_training_kit.initializers.random_initializers import compute_fans

# The public API, in the order of its page of the API reference.
__all__ = [
    "KaimingNormal",
    "KaimingUniform",
    "XavierNormal",
    "XavierUniform",
    "calculate_gain",
    "compute_fans",
    "lsuv_initialize",
    "patch_whitening_kernel",
]
