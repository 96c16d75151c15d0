"""`RandomImageLayer`: the shared shape of this package's random layers."""

import keras


class RandomImageLayer(keras.layers.Layer):
    """Base of the augmentation layers that Keras lacks.

    Follows the protocol of Keras' image preprocessing layers, so the
    `AugmentationPipeline` drives Keras' layers and these alike:
    `get_random_transformation(images, training, seed)` draws the random
    parameters of a batch and `transform_images(images, transformation,
    training)` applies them. `seed` may be any `keras.random.SeedGenerator`;
    by default the layer's own is used.

    Args:
        seed: int or `None`, seed of the layer's `SeedGenerator`. Defaults
            to `None`.
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        raise NotImplementedError

    def call(self, images, training=True):
        transformation = self.get_random_transformation(images, training)
        return self.transform_images(images, transformation, training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
