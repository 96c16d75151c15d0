"""A label-aware `tf.data` augmentation pipeline over Keras' random layers."""

from keras_training_kit.augmentation.augmentation_layer import AugmentationLayer
from keras_training_kit.augmentation.cutout import RandomCutout
from keras_training_kit.augmentation.noise import RandomGaussianNoise
from keras_training_kit.augmentation.pipeline import AugmentationPipeline
from keras_training_kit.augmentation.pixel_shift import RandomPixelShift
from keras_training_kit.augmentation.presets import PRESETS
from keras_training_kit.augmentation.presets import get_preset
from keras_training_kit.augmentation.preview import preview
from keras_training_kit.augmentation.shift_flip_cutout import (
    RandomShiftFlipCutout,
)

# The public API, in the order of its page of the API reference.
__all__ = [
    "AugmentationPipeline",
    "AugmentationLayer",
    "RandomCutout",
    "RandomGaussianNoise",
    "RandomPixelShift",
    "RandomShiftFlipCutout",
    "PRESETS",
    "get_preset",
    "preview",
]
