"""`RandomGaussianNoise`: additive Gaussian noise as a data augmentation."""

import keras
from keras import ops

from keras_training_kit.augmentation.random_image_layer import RandomImageLayer
from keras_training_kit.saving import register
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_value_range


@register
class RandomGaussianNoise(RandomImageLayer):
    """Adds zero-mean Gaussian noise to images and clips to their range.

    Keras' `GaussianNoise` is a regularization layer: it is active only in
    `model.fit` and does not keep pixel values in range. This layer is a
    data augmentation: it runs in `tf.data` (or a model when `training`),
    draws one noise level per image in `[0, stddev]` so the data set keeps
    clean examples too, and clips to `value_range`.

    Args:
        stddev: float >= 0, the largest standard deviation of the noise, in
            the units of `value_range`.
        value_range: `(low, high)`, the images' range; the result is
            clipped to it. Defaults to `(0.0, 1.0)`.
        seed: int or `None`, seed of the layer's `SeedGenerator`. Defaults
            to `None`.

    Call arguments:
        images: a batch of images `(batch, height, width, channels)`.
        training: bool, add noise only when `True`. Defaults to `True`.

    Returns:
        The noisy images, same shape and dtype.

    Raises:
        ValueError: for a negative `stddev` or a bad `value_range`.

    Example:

    >>> import numpy as np
    >>> layer = RandomGaussianNoise(0.05, seed=1)
    >>> layer(np.full((2, 8, 8, 1), 0.5, "float32")).shape
    TensorShape([2, 8, 8, 1])
    """

    def __init__(
        self,
        stddev: float,
        value_range: tuple = (0.0, 1.0),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.stddev = check_float("stddev", stddev)
        self.value_range = check_value_range("value_range", value_range)

    def get_random_transformation(self, images, training=True, seed=None):
        """Draws each image's noise level and the noise itself."""
        if not training:
            return None
        seed = seed or self.seed_generator
        batch = ops.shape(images)[0]
        levels = keras.random.uniform(
            (batch, 1, 1, 1), 0.0, self.stddev, dtype=images.dtype, seed=seed
        )
        noise = keras.random.normal(
            ops.shape(images), dtype=images.dtype, seed=seed
        )
        return {"noise": levels * noise}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        return ops.clip(images + transformation["noise"], *self.value_range)

    def get_config(self):
        config = {
            "stddev": self.stddev,
            "value_range": self.value_range,
        }
        return {**super().get_config(), **config}
