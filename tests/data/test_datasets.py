import random

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_training_kit.data import OFFLINE_DATASETS
from keras_training_kit.data import downloads
from keras_training_kit.data import load_dataset


def _arrays(dataset):
    features, labels = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    return np.stack(features), np.array(labels)


def test_digits_shapes_dtypes_and_range():
    data = load_dataset("digits")
    assert data.name == "digits"
    assert data.input_shape == (8, 8, 1)
    assert data.num_classes == 10
    x, y = _arrays(data.train)
    assert x.shape[1:] == (8, 8, 1) and x.dtype == np.float32
    assert y.dtype == np.int32
    assert 0.0 <= x.min() and x.max() == 1.0
    counts = data.cardinality
    assert counts == {"train": 1293, "validation": 144, "test": 360}
    assert sum(1 for _ in data.validation) == counts["validation"]
    assert set(np.unique(y)) == set(range(10))


def test_digits_split_is_seeded_and_test_split_fixed():
    a, b, c = (load_dataset("digits", seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(_arrays(a.train)[0], _arrays(b.train)[0])
    assert not np.array_equal(_arrays(a.train)[1], _arrays(c.train)[1])
    np.testing.assert_array_equal(_arrays(a.test)[0], _arrays(c.test)[0])


def test_digits_splits_are_disjoint():
    data = load_dataset("digits", validation_split=0.25)
    train = {x.tobytes() for x in _arrays(data.train)[0]}
    test = {x.tobytes() for x in _arrays(data.test)[0]}
    validation = {x.tobytes() for x in _arrays(data.validation)[0]}
    # digits has a handful of duplicate images; splits must not share many.
    assert len(train & test) < 5 and len(train & validation) < 5


def test_mnist1d_is_generated_and_leaves_global_rng_alone():
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.rand(), random.random()
    np.random.seed(123)
    random.seed(123)
    data = load_dataset("mnist1d")
    assert (np.random.rand(), random.random()) == (expected_np, expected_py)
    assert data.input_shape == (40, 1)
    assert data.num_classes == 10
    assert data.cardinality == {"train": 3600, "validation": 400, "test": 1000}
    x, y = _arrays(data.test)
    assert x.shape == (1000, 40, 1) and x.dtype == np.float32
    again = _arrays(load_dataset("mnist1d").test)[0]
    np.testing.assert_array_equal(x, again)


def test_zero_validation_split():
    data = load_dataset("digits", validation_split=0.0)
    assert data.cardinality["validation"] == 0
    assert data.cardinality["train"] == 1437


def test_tfds_path_with_mock_data(tmp_path, monkeypatch):
    # mock_data reports the set as not prepared and mocks its download; the
    # probe of cifar10's host before a download is ours: no network here.
    monkeypatch.setattr(downloads, "find_unreachable", lambda urls: None)
    with tfds.testing.mock_data(num_examples=12):
        data = load_dataset("cifar10", data_dir=str(tmp_path))
        assert data.input_shape == (32, 32, 3)
        assert data.num_classes == 10
        x, y = next(iter(data.train))
        assert x.dtype == tf.float32 and y.dtype == tf.int32
        assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
        assert sum(1 for _ in data.test) == 12


def test_tfds_missing_data_raises_naming_data_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_dir=") as info:
        load_dataset("mnist", data_dir=str(tmp_path), download=False)
    message = str(info.value)
    assert str(tmp_path) in message
    for name in OFFLINE_DATASETS:
        assert name in message


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="digits.*mnist1d.*cifar10"):
        load_dataset("no_such_dataset")


@pytest.mark.parametrize("split", [-0.1, 1.0, "0.1", True])
def test_bad_validation_split(split):
    with pytest.raises(ValueError, match="validation_split"):
        load_dataset("digits", validation_split=split)
