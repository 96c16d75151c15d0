"""`AugmentationPipeline`: a seeded, label-aware `tf.data` augmentation."""

from keras_training_kit import keras_compat
from keras_training_kit.augmentation.augmentation_layer import AugmentationLayer
from keras_training_kit.augmentation.batch_augmentation import BatchAugmentation
from keras_training_kit.augmentation.presets import get_preset
from keras_training_kit.validation import check_int

# Images per call of the augmentation map in `apply`.
_MAP_IMAGES = 512


class AugmentationPipeline(BatchAugmentation):
    """A seeded, label-aware image augmentation for `tf.data` and models.

    Operations are named after what they do; each is off at `0`/`False`.
    They run in this order, batch by batch: flips, translation, rotation,
    zoom, shear, brightness, contrast, hue, saturation, blur, noise,
    cutout, MixUp, CutMix. Keras' random layers do the work
    (`RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomShear`,
    `RandomBrightness`, `RandomContrast`, `RandomHue`, `RandomSaturation`,
    `RandomGaussianBlur`, `MixUp`, `CutMix`); translation (with the
    flips, and cutout when nothing runs between, fused into it), cutout and
    noise use this package's `RandomShiftFlipCutout`, `RandomCutout` and
    `RandomGaussianNoise` (see their docstrings for why). The options and
    the work on one batch are those of `BatchAugmentation`; this class adds
    presets, the `tf.data` path (`apply`) and the model path (`as_layer`).

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

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "AugmentationPipeline":
        """Builds the preset `name` (see `presets.PRESETS`), with overrides.

        Example:

        >>> pipeline = AugmentationPipeline.from_preset(
        ...     "cifar10", mixup=0.2, num_classes=10)
        """
        return cls.from_config({**get_preset(name), **overrides})

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
        buffer_size = _shuffle_buffer_size(shuffle)
        if not training:
            return dataset.batch(
                batch_size, drop_remainder=drop_remainder
            ).prefetch(tf.data.AUTOTUNE)
        self._check_mixing_labels(dataset.element_spec[1])
        if buffer_size:
            dataset = dataset.shuffle(
                buffer_size, seed=seed, reshuffle_each_iteration=True
            )
        if self.is_identity:
            dataset = self._batch_and_check(dataset, batch_size, drop_remainder)
        else:
            dataset = self._augment_in_groups(
                dataset, batch_size, seed, drop_remainder
            )
        return dataset.prefetch(tf.data.AUTOTUNE)

    def _check_mixing_labels(self, labels_spec):
        """Refuses integer labels without `num_classes` when mixing."""
        if (
            self.mixes_labels
            and self.num_classes is None
            and labels_spec.shape.rank == 0
        ):
            # Checked here: inside the map it would fail in autograph.
            raise ValueError(
                "MixUp/CutMix need one-hot labels: the dataset has integer "
                "labels, so give the pipeline `num_classes`. Received: "
                f"num_classes=None, labels {labels_spec}"
            )

    def _batch_and_check(self, dataset, batch_size, drop_remainder):
        """Batches `dataset` in parallel, in order, and checks its images."""
        import tensorflow as tf

        dataset = dataset.batch(
            batch_size,
            drop_remainder=drop_remainder,
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        self.check_images(dataset.element_spec[0].shape)
        return dataset

    def _augment_in_groups(self, dataset, batch_size, seed, drop_remainder):
        """Augments groups of batches, then splits them back into batches.

        A group holds about `_MAP_IMAGES` images: the per-call costs of the
        map are paid once per group. The order of the examples is that of
        `batch` alone; MixUp/CutMix draw partners from the whole group.
        """
        import tensorflow as tf

        group = max(1, _MAP_IMAGES // batch_size)
        examples = dataset.cardinality()
        dataset = self._batch_and_check(
            dataset, batch_size * group, drop_remainder and group == 1
        )
        # One stateless seed per batch from a seeded stream that gives new
        # values each epoch: batches are independent of thread timing, so
        # the parallel map below stays deterministic.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(2)
        augment = self._batch_augment_function()
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, batch_seed: augment(*batch, batch_seed),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        if group > 1:
            dataset = _split_groups(
                dataset, batch_size, examples, drop_remainder
            )
        return dataset

    def _batch_augment_function(self):
        """Returns `augment(images, labels, batch_seed)` for the map."""
        import tensorflow as tf

        def augment(images, labels, batch_seed):
            return self.augment(
                images, labels, seed=keras_compat.BatchSeed(batch_seed)
            )

        if self.compiles_with_xla:
            # XLA fuses the index arithmetic into the gather of the fast
            # path (the "cifar10" preset).
            augment = tf.function(augment, jit_compile=True)
        return augment

    def as_layer(self, seed: int | None = None, **kwargs):
        """Returns an `AugmentationLayer` running this pipeline in a model.

        The layer augments only when `training` (in `fit`), so the same
        model evaluates and predicts on clean images. MixUp and CutMix
        need labels and are refused there: use `apply()` for them.

        Args:
            seed: int or `None`, the layer's seed. Defaults to `None`.
            **kwargs: passed to the layer (`name`, ...).

        Example:

        >>> import keras
        >>> layer = AugmentationPipeline(translation=0.1).as_layer(seed=0)
        >>> inputs = keras.Input((8, 8, 1))
        >>> model = keras.Model(inputs, layer(inputs))
        """
        return AugmentationLayer(self.get_config(), seed=seed, **kwargs)

    def __repr__(self):
        on = {
            k: v
            for k, v in self.get_config().items()
            if v and k not in ("value_range", "num_classes")
        }
        options = ", ".join(f"{k}={v!r}" for k, v in on.items())
        return f"AugmentationPipeline({options})"


def _shuffle_buffer_size(shuffle):
    """Returns the shuffle buffer size that `apply`'s `shuffle` asks for."""
    if isinstance(shuffle, bool):
        return 10_000 if shuffle else 0
    if isinstance(shuffle, int) and shuffle >= 0:
        return shuffle
    raise ValueError(
        "`shuffle` must be a bool or an int buffer size >= 0. "
        f"Received: shuffle={shuffle!r}"
    )


def _split_groups(dataset, batch_size, examples, drop_remainder):
    """Splits augmented groups back into batches of `batch_size`.

    Args:
        dataset: the `tf.data.Dataset` of augmented groups.
        batch_size: int, the size of the batches to yield.
        examples: the cardinality of the unbatched dataset.
        drop_remainder: bool, drop a last, smaller batch.
    """
    import tensorflow as tf

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
    return dataset
