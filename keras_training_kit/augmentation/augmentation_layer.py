"""`AugmentationLayer`: an `AugmentationPipeline` inside a model."""

import keras

from keras_training_kit.augmentation.batch_augmentation import BatchAugmentation
from keras_training_kit.saving import register


@register
class AugmentationLayer(keras.layers.Layer):
    """Runs the label-preserving operations of a pipeline in a model.

    Active only when `training` is true (in `fit`): evaluation and
    prediction see the images unchanged. Putting augmentation in the model
    runs it on the accelerator with the training step. The layer computes
    in float32 whatever the global dtype policy. Flips, translation,
    cutout and noise compile with XLA (`jit_compile=True`); Keras'
    rotation, zoom and shear use `ImageProjectiveTransformV3`, which XLA
    cannot compile: with those, compile the model with `jit_compile=False`
    or augment in `tf.data` with `AugmentationPipeline.apply()`.

    Args:
        config: dict, `AugmentationPipeline` options (as
            `AugmentationPipeline.get_config()`); MixUp and CutMix are
            refused because they need the labels.
        seed: int or `None`, seed of the layer's `SeedGenerator`. Defaults
            to `None`.

    Call arguments:
        images: a batch `(batch, height, width, channels)`.
        training: bool, augment only when `True`. Defaults to `None`
            (Keras sets it in `fit`).

    Raises:
        ValueError: for bad options or options that mix labels.

    Example:

    >>> from keras_training_kit.augmentation import AugmentationPipeline
    >>> layer = AugmentationPipeline.from_preset("digits").as_layer(seed=0)
    >>> inputs = keras.Input((8, 8, 1))
    >>> model = keras.Model(inputs, layer(inputs))
    """

    def __init__(self, config: dict, seed: int | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.augmentation = BatchAugmentation.from_config(dict(config))
        if self.augmentation.mixes_labels:
            raise ValueError(
                "MixUp and CutMix need labels and cannot run inside a model; "
                "use `AugmentationPipeline.apply()`. Received: "
                f"mixup={self.augmentation.mixup}, "
                f"cutmix={self.augmentation.cutmix}"
            )
        self.config = self.augmentation.get_config()
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training or self.augmentation.is_identity:
            return images
        images, _ = self.augmentation.augment(images, seed=self.seed_generator)
        return images

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"config": self.config, "seed": self.seed}
        return {**super().get_config(), **config}
