"""`BatchAugmentation`: the options of an augmentation, run on one batch."""

import math
import random

import keras
from keras import ops

from keras_training_kit import keras_compat
from keras_training_kit.augmentation.cutout import RandomCutout
from keras_training_kit.augmentation.noise import RandomGaussianNoise
from keras_training_kit.augmentation.shift_flip_cutout import (
    RandomShiftFlipCutout,
)
from keras_training_kit.validation import check_bool
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_value_range

# The options in the order their operations run: flips, geometry, colour,
# filters, noise, blocking, then label mixing.
OPTIONS = (
    "horizontal_flip",
    "vertical_flip",
    "translation",
    "rotation",
    "zoom",
    "shear",
    "brightness",
    "contrast",
    "hue",
    "saturation",
    "blur",
    "noise",
    "cutout",
    "mixup",
    "cutmix",
    "num_classes",
    "value_range",
)
# Cutout joins the shift's gather when none of the operations that run
# between them is on.
_ROTATION, _CUTOUT = OPTIONS.index("rotation"), OPTIONS.index("cutout")
_BETWEEN_SHIFT_AND_CUTOUT = OPTIONS[_ROTATION:_CUTOUT]
_PAIR_OPTIONS = ("translation", "zoom")
_MIXING = ("mixup", "cutmix")
_COLOR = ("hue", "saturation")
# The layers that XLA compiles (no ImageProjectiveTransformV3).
XLA_COMPATIBLE = (RandomShiftFlipCutout, RandomCutout, RandomGaussianNoise)
_OFF = " (0 switches it off)"
# The dtype of every layer: augmentation computes in float32.
_FLOAT32 = {"dtype": "float32"}


class BatchAugmentation:
    """The operations of an `AugmentationPipeline`, run on one batch.

    Holds and checks the options (see `AugmentationPipeline` for each one),
    builds the Keras random layers of the operations that are on, and
    augments one batch with `augment()`. `AugmentationPipeline` adds the
    `tf.data` path and presets; `AugmentationLayer` runs one in a model.

    Raises:
        ValueError: for an option outside its range, naming the option.

    Example:

    >>> import numpy as np
    >>> augmentation = BatchAugmentation(horizontal_flip=True, noise=0.05)
    >>> images, _ = augmentation.augment(np.ones((2, 8, 8, 1)), seed=0)
    >>> images.shape
    TensorShape([2, 8, 8, 1])
    """

    def __init__(
        self,
        *,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        translation: float = 0.0,
        rotation: float = 0.0,
        zoom: float = 0.0,
        shear: float = 0.0,
        cutout: float = 0.0,
        noise: float = 0.0,
        mixup: float = 0.0,
        cutmix: float = 0.0,
        blur: float = 0.0,
        brightness: float = 0.0,
        contrast: float = 0.0,
        hue: float = 0.0,
        saturation: float = 0.0,
        num_classes: int | None = None,
        value_range: tuple = (0.0, 1.0),
    ):
        self.horizontal_flip = check_bool("horizontal_flip", horizontal_flip)
        self.vertical_flip = check_bool("vertical_flip", vertical_flip)
        self.translation = check_float(
            "translation",
            translation,
            0.0,
            1.0,
            include_high=False,
            pair=True,
            note=_OFF,
        )
        self.rotation = check_float("rotation", rotation, 0.0, 0.5, note=_OFF)
        self.zoom = check_float(
            "zoom", zoom, 0.0, 1.0, include_high=False, pair=True, note=_OFF
        )
        self.shear = check_float("shear", shear, 0.0, 1.0, note=_OFF)
        self.brightness = check_float(
            "brightness", brightness, 0.0, 1.0, note=_OFF
        )
        self.contrast = check_float("contrast", contrast, 0.0, 1.0, note=_OFF)
        self.hue = check_float("hue", hue, 0.0, 1.0, note=_OFF)
        self.saturation = check_float(
            "saturation", saturation, 0.0, 0.5, note=_OFF
        )
        self.blur = check_float("blur", blur, note=_OFF)
        self.noise = check_float("noise", noise, note=_OFF)
        self.cutout = check_float("cutout", cutout, 0.0, 1.0, note=_OFF)
        self.mixup = check_float("mixup", mixup, note=_OFF)
        self.cutmix = check_float("cutmix", cutmix, note=_OFF)
        check_int("num_classes", num_classes, minimum=2, allow_none=True)
        self.num_classes = num_classes
        self.value_range = check_value_range("value_range", value_range)
        self.layers = self._build_layers()

    @classmethod
    def from_config(cls, config: dict):
        """Builds an instance from a dict of options (as `get_config()`).

        Raises:
            TypeError: when `config` is not a dict.
            ValueError: for a key that is not an option.
        """
        if not isinstance(config, dict):
            raise TypeError(
                "`config` must be a dict of options. "
                f"Received: config={config!r}"
            )
        unknown = sorted(set(config) - set(OPTIONS))
        if unknown:
            raise ValueError(
                f"Unknown augmentation options {unknown}; the options are "
                f"{list(OPTIONS)}. Received: config={config!r}"
            )
        return cls(**config)

    def get_config(self) -> dict:
        """Returns the options as a JSON-friendly dict."""
        config = {name: getattr(self, name) for name in OPTIONS}
        for name in _PAIR_OPTIONS + ("value_range",):
            if isinstance(config[name], tuple):
                config[name] = list(config[name])
        return config

    @property
    def mixes_labels(self) -> bool:
        """Whether MixUp or CutMix is on (labels become one-hot floats)."""
        return any(getattr(self, name) > 0 for name in _MIXING)

    @property
    def is_identity(self) -> bool:
        """Whether no operation is on."""
        return not self.layers

    @property
    def compiles_with_xla(self) -> bool:
        """Whether every layer of the switched-on operations compiles
        with XLA (Keras' rotation, zoom, shear and mixing layers do not)."""
        return all(isinstance(layer, XLA_COMPATIBLE) for layer in self.layers)

    def _build_layers(self):
        """Returns the Keras layers of the switched-on operations, in order."""
        fuse_cutout = self._fuses_cutout()
        built = [self._shift_or_flip_layer(fuse_cutout)]
        built += self._geometry_layers()
        built += self._color_layers()
        built += self._filter_layers()
        if self.cutout and not fuse_cutout:
            built.append(
                RandomCutout(
                    self.cutout, fill_value=self.value_range[0], **_FLOAT32
                )
            )
        if self.mixup:
            built.append(keras.layers.MixUp(alpha=self.mixup, **_FLOAT32))
        if self.cutmix:
            built.append(keras.layers.CutMix(factor=self.cutmix, **_FLOAT32))
        return [layer for layer in built if layer is not None]

    def _fuses_cutout(self):
        """Whether cutout (and the flips) ride along in the shift's gather:
        translation and cutout are on and no operation runs between them."""
        return bool(
            self.translation
            and self.cutout
            and not any(
                getattr(self, name) for name in _BETWEEN_SHIFT_AND_CUTOUT
            )
        )

    def _shift_or_flip_layer(self, fuse_cutout):
        """Returns the shift layer (flips fused in), a flip layer or `None`."""
        if self.translation:
            return RandomShiftFlipCutout(
                self.translation,
                horizontal_flip=self.horizontal_flip,
                vertical_flip=self.vertical_flip,
                cutout=self.cutout if fuse_cutout else 0.0,
                fill_value=self.value_range[0],
                **_FLOAT32,
            )
        if self.horizontal_flip or self.vertical_flip:
            mode = {
                (True, False): "horizontal",
                (False, True): "vertical",
                (True, True): "horizontal_and_vertical",
            }[(self.horizontal_flip, self.vertical_flip)]
            return keras.layers.RandomFlip(mode, **_FLOAT32)
        return None

    def _geometry_layers(self):
        """Returns the rotation, zoom and shear layers that are on."""
        layers = keras.layers
        # Pixels a transform uncovers take the low end of the range.
        fill = {
            "fill_mode": "constant",
            "fill_value": self.value_range[0],
            **_FLOAT32,
        }
        built = []
        if self.rotation:
            built.append(layers.RandomRotation(self.rotation, **fill))
        if self.zoom:
            height, width = (
                self.zoom
                if isinstance(self.zoom, tuple)
                else (self.zoom, self.zoom)
            )
            built.append(
                layers.RandomZoom((-height, height), (-width, width), **fill)
            )
        if self.shear:
            built.append(layers.RandomShear(self.shear, self.shear, **fill))
        return built

    def _color_layers(self):
        """Returns the brightness, contrast, hue and saturation layers that
        are on."""
        layers = keras.layers
        value_range = self.value_range
        built = []
        if self.brightness:
            built.append(
                layers.RandomBrightness(
                    self.brightness, value_range, **_FLOAT32
                )
            )
        if self.contrast:
            built.append(
                layers.RandomContrast(self.contrast, value_range, **_FLOAT32)
            )
        if self.hue:
            built.append(layers.RandomHue(self.hue, value_range, **_FLOAT32))
        if self.saturation:
            built.append(
                layers.RandomSaturation(
                    (0.5 - self.saturation, 0.5 + self.saturation),
                    value_range,
                    **_FLOAT32,
                )
            )
        return built

    def _filter_layers(self):
        """Returns the blur and noise layers that are on."""
        built = []
        if self.blur:
            # A kernel reaching two sigmas each side.
            built.append(
                keras.layers.RandomGaussianBlur(
                    factor=1.0,
                    kernel_size=2 * math.ceil(2 * self.blur) + 1,
                    sigma=(min(0.1, self.blur), self.blur),
                    value_range=self.value_range,
                    **_FLOAT32,
                )
            )
        if self.noise:
            built.append(
                RandomGaussianNoise(self.noise, self.value_range, **_FLOAT32)
            )
        return built

    def check_images(self, shape):
        """Raises `ValueError` unless images of `shape` can be augmented.

        Args:
            shape: the shape of a batch of images, a tuple or a
                `tf.TensorShape`.

        Raises:
            ValueError: for a rank other than 4, or hue/saturation on
                images that are not RGB.
        """
        rank = shape.rank if hasattr(shape, "rank") else len(shape)
        if rank != 4:
            raise ValueError(
                "Images must have the shape (height, width, channels) per "
                f"example. Received: images of shape {tuple(shape[1:])}"
            )
        channels = shape[-1]
        for name in _COLOR:
            if getattr(self, name) and channels != 3:
                raise ValueError(
                    f"`{name}` needs RGB images (3 channels). Received: "
                    f"images with {channels} channel(s), "
                    f"{name}={getattr(self, name)}"
                )

    def _one_hot(self, labels):
        if len(labels.shape) >= 2:
            return ops.cast(labels, "float32")
        if self.num_classes is None:
            raise ValueError(
                "`num_classes` is needed to one-hot integer labels for MixUp "
                "/ CutMix. Received: num_classes=None"
            )
        return ops.one_hot(
            ops.cast(labels, "int32"), self.num_classes, dtype="float32"
        )

    def augment(self, images, labels=None, *, seed=None):
        """Augments one batch of images (and labels) eagerly or in a graph.

        Args:
            images: a batch `(batch, height, width, channels)`.
            labels: integer labels `(batch,)`, one-hot labels
                `(batch, num_classes)` or `None`. Defaults to `None`.
            seed: int, `keras.random.SeedGenerator` or `None`; the same
                int gives the same result, a generator advances with each
                call (as the `seed` of Keras' random layers). Defaults to
                `None` (a fresh random seed).

        Returns:
            `(images, labels)`: float32 images; labels unchanged, or one-hot
            mixtures when MixUp / CutMix is on.

        Raises:
            ValueError: for images `check_images` refuses, or integer labels
                without `num_classes` when mixing.
        """
        images = ops.cast(ops.convert_to_tensor(images), "float32")
        self.check_images(images.shape)
        if not isinstance(seed, keras.random.SeedGenerator):
            if seed is None:
                seed = random.randint(0, 2**31 - 1)
            seed = keras_compat.BatchSeed([seed, 0])
        if self.mixes_labels and labels is not None:
            labels = self._one_hot(labels)
        for layer in self.layers:
            transformation = layer.get_random_transformation(
                images, training=True, seed=seed
            )
            if isinstance(layer, keras.layers.CutMix):
                transformation = keras_compat.weight_cutmix_by_pixels(
                    transformation
                )
            if labels is not None and isinstance(
                layer, (keras.layers.MixUp, keras.layers.CutMix)
            ):
                labels = layer.transform_labels(
                    labels, transformation, training=True
                )
            images = layer.transform_images(
                images, transformation, training=True
            )
        if self.hue or self.saturation:
            # The HSV round trip can leave the range by rounding errors;
            # every other operation keeps values in range by construction.
            images = ops.clip(images, *self.value_range)
        return images, labels
