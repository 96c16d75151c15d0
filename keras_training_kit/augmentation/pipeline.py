"""`AugmentationPipeline`: a seeded, label-aware `tf.data` augmentation."""

import math

import keras
from keras import ops

from keras_training_kit.augmentation.cutout import RandomCutout
from keras_training_kit.augmentation.noise import RandomGaussianNoise
from keras_training_kit.augmentation.pixel_shift import RandomPixelShift
from keras_training_kit.augmentation.presets import get_preset
from keras_training_kit.validation import check_int

# Option name -> (default, upper bound or None). 0 / False switch an
# operation off. Order is the order operations run in: geometry, colour,
# filters, noise, blocking, then label mixing.
_FACTORS = {
    "translation": 1.0,  # fraction of the side, [0, 1) or (h, w) pair
    "rotation": 0.5,  # fraction of a full turn, as Keras' RandomRotation
    "zoom": 1.0,  # fraction, [0, 1) or (h, w) pair: h != w stretches
    "shear": 1.0,
    "brightness": 1.0,
    "contrast": 1.0,
    "hue": 1.0,
    "saturation": 0.5,  # 0.5 turns colour off or doubles it at most
    "blur": None,  # largest Gaussian sigma in pixels
    "noise": None,  # largest noise standard deviation
    "cutout": 1.0,  # side of the hole as a fraction of the image side
    "mixup": None,  # Beta(alpha, alpha) concentration
    "cutmix": None,
}
_PAIR_OPTIONS = ("translation", "zoom")
# Images per call of the augmentation map in `apply`.
_MAP_IMAGES = 512
_XLA_SAFE = (RandomPixelShift, RandomCutout, RandomGaussianNoise)
_BETWEEN_SHIFT_AND_CUTOUT = tuple(_FACTORS)[1 : tuple(_FACTORS).index("cutout")]
_MIXING = ("mixup", "cutmix")
_COLOR = ("hue", "saturation")
OPTIONS = (
    ("horizontal_flip", "vertical_flip")
    + tuple(_FACTORS)
    + (
        "num_classes",
        "value_range",
    )
)


class _BatchSeed(keras.random.SeedGenerator):
    """Feeds Keras' random layers stateless seeds derived from one tensor.

    Keras' layers draw randomness from a `SeedGenerator`, whose state is a
    variable: updated from parallel `tf.data` map calls, it would make the
    batches depend on thread timing. Each mapped batch instead gets a seed
    tensor from a seeded `tf.data.Dataset.random` stream, and every draw of
    every layer gets `seed + [0, k]` for the k-th draw in the traced graph.
    `SeedGenerator.__init__` is not called on purpose: it creates the state
    variable this class replaces; `keras.random` only calls `next()`.
    """

    def __init__(self, seed):
        self._seed = ops.cast(seed, "int64")
        self._draws = 0

    def next(self, ordered=True):
        self._draws += 1
        return self._seed + ops.convert_to_tensor([0, self._draws], "int64")


def _check_factor(name, value, upper):
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if name in _PAIR_OPTIONS and isinstance(value, (tuple, list)):
        if len(value) == 2 and all(
            isinstance(v, (int, float))
            and not isinstance(v, bool)
            and 0 <= v < upper
            for v in value
        ):
            return (float(value[0]), float(value[1]))
    elif (
        is_number
        and value >= 0
        and (
            upper is None
            or value < upper
            or (value == upper and name not in _PAIR_OPTIONS)
        )
    ):
        return float(value)
    if upper is None:
        allowed = "a float >= 0"
    elif name in _PAIR_OPTIONS:
        allowed = (
            f"a float in [0, {upper}) or a (height, width) pair of such floats"
        )
    else:
        allowed = f"a float in [0, {upper}]"
    raise ValueError(
        f"`{name}` must be {allowed} (0 switches it off). "
        f"Received: {name}={value!r}"
    )


class AugmentationPipeline:
    """A seeded, label-aware image augmentation for `tf.data` and models.

    Operations are named after what they do; each is off at `0`/`False`.
    They run in this order, batch by batch: flips, translation, rotation,
    zoom, shear, brightness, contrast, hue, saturation, blur, noise,
    cutout, MixUp, CutMix. Keras' random layers do the work
    (`RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomShear`,
    `RandomBrightness`, `RandomContrast`, `RandomHue`, `RandomSaturation`,
    `RandomGaussianBlur`, `MixUp`, `CutMix`); translation (with the
    flips fused into it when both are on), cutout and noise use this
    package's `RandomPixelShift`, `RandomCutout` and `RandomGaussianNoise`
    (see their docstrings for why).

    Label-preserving operations leave labels untouched. MixUp and CutMix
    mix one-hot labels with the same weights as the images: integer labels
    are one-hot encoded with `num_classes` first, and the pipeline then
    yields float one-hot labels (train with a categorical loss).

    Args:
        horizontal_flip: bool, flip left-right with probability 1/2.
            Defaults to `False`.
        vertical_flip: bool, flip upside-down with probability 1/2.
            Defaults to `False`.
        translation: float in `[0, 1)` or a `(height, width)` pair, the
            largest shift as a fraction of the side (whole pixels).
            Defaults to `0.0`.
        rotation: float in `[0, 0.5]`, the largest rotation as a fraction
            of a full turn (`0.1` is +-36 degrees). Defaults to `0.0`.
        zoom: float in `[0, 1)` or a `(height, width)` pair; height and
            width are zoomed independently (stretching). Defaults to
            `0.0`.
        shear: float in `[0, 1]`, the largest shear on both axes.
            Defaults to `0.0`.
        cutout: float in `[0, 1]`, the side of one blocked-out square as a
            fraction of the image side. Defaults to `0.0`.
        noise: float >= 0, the largest standard deviation of additive
            Gaussian noise. Defaults to `0.0`.
        mixup: float >= 0, MixUp's Beta concentration `alpha`. Defaults
            to `0.0`.
        cutmix: float >= 0, CutMix's Beta concentration `alpha`. Defaults
            to `0.0`.
        blur: float >= 0, the largest Gaussian blur sigma in pixels.
            Defaults to `0.0`.
        brightness: float in `[0, 1]`, the largest brightness change as a
            fraction of the value range. Defaults to `0.0`.
        contrast: float in `[0, 1]`. Defaults to `0.0`.
        hue: float in `[0, 1]` (RGB images only). Defaults to `0.0`.
        saturation: float in `[0, 0.5]`, the saturation factor is drawn
            in `[0.5 - s, 0.5 + s]` (RGB images only). Defaults to `0.0`.
        num_classes: int or `None`, used to one-hot integer labels when
            MixUp or CutMix is on. Defaults to `None`.
        value_range: `(low, high)`, the range of the images; results are
            clipped to it. Defaults to `(0.0, 1.0)`.

    Raises:
        ValueError: for an option outside its range, naming the option.

    Example:

    >>> import tensorflow as tf
    >>> pipeline = AugmentationPipeline(horizontal_flip=True, translation=0.1)
    >>> data = tf.data.Dataset.from_tensor_slices(
    ...     (tf.zeros((8, 16, 16, 3)), tf.zeros((8,), "int32")))
    >>> images, labels = next(iter(pipeline.apply(data, 4, seed=1)))
    >>> images.shape
    TensorShape([4, 16, 16, 3])
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
        given = dict(locals())
        for name in ("horizontal_flip", "vertical_flip"):
            if not isinstance(given[name], bool):
                raise ValueError(
                    f"`{name}` must be a bool. Received: {name}={given[name]!r}"
                )
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        for name, upper in _FACTORS.items():
            setattr(self, name, _check_factor(name, given[name], upper))
        check_int("num_classes", num_classes, minimum=2, allow_none=True)
        self.num_classes = num_classes
        if (
            not isinstance(value_range, (tuple, list))
            or len(value_range) != 2
            or not all(isinstance(v, (int, float)) for v in value_range)
            or not value_range[0] < value_range[1]
        ):
            raise ValueError(
                "`value_range` must be a (low, high) pair of numbers with "
                f"low < high. Received: value_range={value_range!r}"
            )
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self._layers = self._build_layers()

    @classmethod
    def from_config(cls, config: dict) -> "AugmentationPipeline":
        """Builds a pipeline from a dict of options (as `get_config()`).

        Raises:
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

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "AugmentationPipeline":
        """Builds the preset `name` (see `presets.PRESETS`), with overrides.

        Example:

        >>> pipeline = AugmentationPipeline.from_preset(
        ...     "cifar10", mixup=0.2, num_classes=10)
        """
        return cls.from_config({**get_preset(name), **overrides})

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
        return not self._layers

    def _build_layers(self):
        """Returns the Keras layers of the switched-on operations, in order."""
        layers = keras.layers
        value_range = self.value_range
        common = {"dtype": "float32"}
        built = []
        # Cutout rides along in the shift's gather (see RandomPixelShift)
        # when no operation runs between them.
        fuse_cutout = bool(
            self.translation
            and self.cutout
            and not any(
                getattr(self, name) for name in _BETWEEN_SHIFT_AND_CUTOUT
            )
        )
        if self.translation:
            # Flips ride along in the shift's gather too.
            built.append(
                RandomPixelShift(
                    self.translation,
                    horizontal_flip=self.horizontal_flip,
                    vertical_flip=self.vertical_flip,
                    cutout=self.cutout if fuse_cutout else 0.0,
                    fill_value=value_range[0],
                    **common,
                )
            )
        elif self.horizontal_flip or self.vertical_flip:
            mode = {
                (True, False): "horizontal",
                (False, True): "vertical",
                (True, True): "horizontal_and_vertical",
            }[(self.horizontal_flip, self.vertical_flip)]
            built.append(layers.RandomFlip(mode, **common))
        if self.rotation:
            built.append(
                layers.RandomRotation(
                    self.rotation,
                    fill_mode="constant",
                    fill_value=value_range[0],
                    **common,
                )
            )
        if self.zoom:
            height, width = (
                self.zoom
                if isinstance(self.zoom, tuple)
                else (self.zoom, self.zoom)
            )
            built.append(
                layers.RandomZoom(
                    (-height, height),
                    (-width, width),
                    fill_mode="constant",
                    fill_value=value_range[0],
                    **common,
                )
            )
        if self.shear:
            built.append(
                layers.RandomShear(
                    self.shear,
                    self.shear,
                    fill_mode="constant",
                    fill_value=value_range[0],
                    **common,
                )
            )
        if self.brightness:
            built.append(
                layers.RandomBrightness(self.brightness, value_range, **common)
            )
        if self.contrast:
            built.append(
                layers.RandomContrast(self.contrast, value_range, **common)
            )
        if self.hue:
            built.append(layers.RandomHue(self.hue, value_range, **common))
        if self.saturation:
            built.append(
                layers.RandomSaturation(
                    (0.5 - self.saturation, 0.5 + self.saturation),
                    value_range,
                    **common,
                )
            )
        if self.blur:
            # A kernel reaching two sigmas each side.
            kernel_size = 2 * math.ceil(2 * self.blur) + 1
            built.append(
                layers.RandomGaussianBlur(
                    factor=1.0,
                    kernel_size=kernel_size,
                    sigma=(min(0.1, self.blur), self.blur),
                    value_range=value_range,
                    **common,
                )
            )
        if self.noise:
            built.append(RandomGaussianNoise(self.noise, value_range, **common))
        if self.cutout and not fuse_cutout:
            built.append(
                RandomCutout(self.cutout, fill_value=value_range[0], **common)
            )
        if self.mixup:
            built.append(layers.MixUp(alpha=self.mixup, **common))
        if self.cutmix:
            built.append(layers.CutMix(factor=self.cutmix, **common))
        return built

    def _check_images(self, images):
        if images.shape.rank != 4:
            raise ValueError(
                "Images must have the shape (height, width, channels) per "
                f"example. Received: images of shape {tuple(images.shape[1:])}"
            )
        channels = images.shape[-1]
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

    def _augment(self, images, labels, seed):
        """The training path on one batch; `seed` is a `SeedGenerator`."""
        images = ops.cast(images, "float32")
        if self.mixes_labels and labels is not None:
            labels = self._one_hot(labels)
        for layer in self._layers:
            transformation = layer.get_random_transformation(
                images, training=True, seed=seed
            )
            if isinstance(layer, keras.layers.CutMix):
                # Keras weights CutMix labels by the continuous box area,
                # but the mask covers whole pixels (off by up to a row and
                # a column): weight by the pixels actually pasted instead.
                pasted = ops.mean(
                    ops.cast(transformation["batch_masks"][..., 0], "float32"),
                    axis=(1, 2),
                )
                transformation["mix_weight"] = 1.0 - pasted
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

    def augment(self, images, labels=None, *, seed: int | None = None):
        """Augments one batch of images (and labels) eagerly or in a graph.

        Args:
            images: a batch `(batch, height, width, channels)`.
            labels: integer labels `(batch,)`, one-hot labels
                `(batch, num_classes)` or `None`. Defaults to `None`.
            seed: int or `None`; the same seed gives the same result.
                Defaults to `None` (a fresh random seed).

        Returns:
            `(images, labels)`: float32 images; labels unchanged, or one-hot
            mixtures when MixUp / CutMix is on.
        """
        import random

        images = ops.convert_to_tensor(images)
        self._check_images(images)
        if seed is None:
            seed = random.randint(0, 2**31 - 1)
        return self._augment(images, labels, _BatchSeed([seed, 0]))

    def apply(
        self,
        dataset,
        batch_size: int,
        *,
        training: bool = True,
        shuffle: bool | int = True,
        seed: int | None = None,
        drop_remainder: bool = False,
    ):
        """Batches, augments and prefetches a `tf.data.Dataset`.

        Args:
            dataset: unbatched `tf.data.Dataset` of `(image, label)`.
            batch_size: int >= 1.
            training: bool; `False` only batches and prefetches (the
                evaluation path: no shuffling, no augmentation). Defaults
                to `True`.
            shuffle: bool or int, shuffle before batching (an int is the
                buffer size; `True` means 10000). Training only. Defaults
                to `True`.
            seed: int or `None`; a fixed seed gives identical batches in
                every run (shuffling and augmentation). Each epoch still
                gets new draws. Defaults to `None`.
            drop_remainder: bool, drop a last, smaller batch. Defaults to
                `False`.

        Returns:
            A batched, prefetched `tf.data.Dataset` of `(images, labels)`;
            labels are one-hot floats when MixUp or CutMix is on and
            `training` is `True`.

        Raises:
            ValueError: for a bad `batch_size`, images that are not
                `(height, width, channels)`, hue/saturation on non-RGB
                images, or integer labels without `num_classes` when mixing.
        """
        import tensorflow as tf

        check_int("batch_size", batch_size)
        if isinstance(shuffle, bool):
            buffer_size = 10_000 if shuffle else 0
        elif isinstance(shuffle, int) and shuffle >= 0:
            buffer_size = shuffle
        else:
            raise ValueError(
                "`shuffle` must be a bool or an int buffer size >= 0. "
                f"Received: shuffle={shuffle!r}"
            )
        autotune = tf.data.AUTOTUNE
        labels_spec = dataset.element_spec[1]
        if (
            training
            and self.mixes_labels
            and self.num_classes is None
            and labels_spec.shape.rank == 0
        ):
            # Checked here: inside the map it would fail in autograph.
            raise ValueError(
                "MixUp/CutMix need one-hot labels: the dataset has integer "
                "labels, so give the pipeline `num_classes`. Received: "
                f"num_classes=None, labels {labels_spec}"
            )
        if not training:
            return dataset.batch(
                batch_size, drop_remainder=drop_remainder
            ).prefetch(autotune)
        if buffer_size:
            dataset = dataset.shuffle(
                buffer_size, seed=seed, reshuffle_each_iteration=True
            )
        if self.is_identity:
            dataset = dataset.batch(
                batch_size,
                drop_remainder=drop_remainder,
                num_parallel_calls=autotune,
                deterministic=True,
            )
            self._check_images(dataset.element_spec[0])
            return dataset.prefetch(autotune)
        # Augment groups of batches (about _MAP_IMAGES images) and split them
        # back into batches afterwards: the per-call costs of the map are
        # paid once per group (~1.1x more images/s on 2 CPU cores at batch
        # size 128). The order of the examples is that of `batch` alone;
        # MixUp/CutMix draw partners from the whole group.
        group = max(1, _MAP_IMAGES // batch_size)
        examples = dataset.cardinality()
        dataset = dataset.batch(
            batch_size * group,
            drop_remainder=drop_remainder and group == 1,
            num_parallel_calls=autotune,
            deterministic=True,
        )
        self._check_images(dataset.element_spec[0])
        # One stateless seed per batch from a seeded stream that gives new
        # values each epoch: batches are independent of thread timing, so
        # the parallel map below stays deterministic.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(2)

        def augment(images, labels, batch_seed):
            return self._augment(images, labels, _BatchSeed(batch_seed))

        if all(isinstance(layer, _XLA_SAFE) for layer in self._layers):
            # XLA fuses the index arithmetic into the gather of the fast
            # path (the "cifar10" preset): ~1.1-1.2x more images/s on 2 CPU
            # cores. Keras' rotation/zoom/shear (ImageProjectiveTransformV3)
            # and mixing layers are not compiled.
            augment = tf.function(augment, jit_compile=True)

        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, batch_seed: augment(*batch, batch_seed),
            num_parallel_calls=autotune,
            deterministic=True,
        )
        if group > 1:
            dataset = dataset.rebatch(batch_size, drop_remainder=drop_remainder)
            # `rebatch` forgets the number of batches, which `fit` uses.
            if examples >= 0:
                batches = (
                    examples // batch_size
                    if drop_remainder
                    else -(-examples // batch_size)
                )
                dataset = dataset.apply(
                    tf.data.experimental.assert_cardinality(batches)
                )
            elif examples == tf.data.INFINITE_CARDINALITY:
                dataset = dataset.repeat()
        return dataset.prefetch(autotune)

    def as_layer(self, seed: int | None = None, **kwargs):
        """Returns an `AugmentationLayer` running this pipeline in a model.

        The layer augments only when `training` (in `fit`), so the same
        model evaluates and predicts on clean images. MixUp and CutMix
        need labels and are refused there: use `apply()` for them.
        """
        from keras_training_kit.augmentation.augmentation_layer import (
            AugmentationLayer,
        )

        return AugmentationLayer(self.get_config(), seed=seed, **kwargs)

    def __repr__(self):
        on = {
            k: v
            for k, v in self.get_config().items()
            if v and k not in ("value_range", "num_classes")
        }
        options = ", ".join(f"{k}={v!r}" for k, v in on.items())
        return f"AugmentationPipeline({options})"
