"""`batched_splits()`: the one input pipeline from `DatasetSplits` to `fit`."""

import tensorflow as tf

from keras_training_kit.validation import check_int

# Splits up to this many examples are cached in memory after the first epoch.
_CACHE_LIMIT = 100_000


def batched_splits(data, batch_size: int, *, seed: int = 0, augmentation=None):
    """Returns the batched, prefetched train, validation and test datasets.

    The training split is cached (when small), shuffled each epoch with
    `seed`, batched and prefetched; with an `augmentation` pipeline
    (`keras_training_kit.augmentation.AugmentationPipeline`) it is augmented
    by `augmentation.apply`, which batches and prefetches itself. When the
    pipeline mixes labels (MixUp, CutMix) the labels become one-hot, and so
    do the evaluation splits', so one categorical loss fits all three.

    Args:
        data: a `DatasetSplits` from `load_dataset`.
        batch_size: int, the batch size of every split.
        seed: int, the shuffling (and augmentation) seed. Defaults to `0`.
        augmentation: an `AugmentationPipeline` or `None`. Defaults to
            `None`.

    Returns:
        A tuple `(train, validation, test)` of batched `tf.data.Dataset`s.

    Example:

    >>> from keras_training_kit.data import load_dataset
    >>> train, validation, test = batched_splits(load_dataset("digits"), 32)
    """
    check_int("batch_size", batch_size)
    train = data.train
    size = data.cardinality.get("train")
    if size is not None and size <= _CACHE_LIMIT:
        train = train.cache()
    validation, test = data.validation, data.test
    if augmentation is None:
        train = train.shuffle(
            size or 10_000, seed=seed, reshuffle_each_iteration=True
        )
        train = train.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    else:
        train = augmentation.apply(
            train, batch_size, shuffle=size or 10_000, seed=seed
        )
        if augmentation.mixes_labels:

            def one_hot(x, y):
                return x, tf.one_hot(y, data.num_classes)

            validation, test = validation.map(one_hot), test.map(one_hot)
    validation = validation.batch(batch_size).cache().prefetch(tf.data.AUTOTUNE)
    test = test.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return train, validation, test
