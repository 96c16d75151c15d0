"""Model builders: `build_mlp`, `build_cnn`, `build_deep_mlp`."""

from keras_training_kit.models.cnn import build_cnn
from keras_training_kit.models.compile import compile_classifier
from keras_training_kit.models.deep_mlp import build_deep_mlp
from keras_training_kit.models.mlp import build_mlp

# The public API, in the order of its page of the API reference.
__all__ = [
    "build_mlp",
    "build_cnn",
    "build_deep_mlp",
    "compile_classifier",
]
