"""The tuning tests' small digits search data (modules may define their own)."""

import pytest

from keras_training_kit.data import load_dataset


@pytest.fixture(scope="module")
def digits():
    """`(data, train, validation)`: 512 training and 128 validation
    examples of digits, in batches of 64 and 128."""
    data = load_dataset("digits", validation_split=0.2)
    return (
        data,
        data.train.take(512).batch(64),
        data.validation.take(128).batch(128),
    )
