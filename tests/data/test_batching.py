import numpy as np
import pytest

from keras_training_kit.data import batched_splits
from keras_training_kit.data import load_dataset


def test_batches_and_reshuffles_each_epoch():
    data = load_dataset("digits")
    train, validation, test = batched_splits(data, 100, seed=3)
    first = [y.numpy() for _, y in train]
    second = [y.numpy() for _, y in train]
    assert first[0].shape == (100,) and sum(len(b) for b in first) == 1293
    assert not np.array_equal(first[0], second[0])
    again = [y.numpy() for _, y in batched_splits(data, 100, seed=3)[0]]
    np.testing.assert_array_equal(first[0], again[0])
    x, y = next(iter(validation))
    assert x.shape == (100, 8, 8, 1) and y.shape == (100,)
    assert sum(len(y) for _, y in test) == 360


def test_mixing_augmentation_makes_every_split_one_hot():
    from keras_training_kit.augmentation import AugmentationPipeline

    data = load_dataset("digits")
    pipeline = AugmentationPipeline(mixup=0.2, num_classes=10)
    train, validation, test = batched_splits(data, 16, augmentation=pipeline)
    for dataset in (train, validation, test):
        _, y = next(iter(dataset))
        assert y.shape == (16, 10)
        np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-5)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size.*Received: batch_size=0"):
        batched_splits(load_dataset("digits"), 0)
