"""Data sets: `load_dataset()` returns unbatched `tf.data` splits.

The splits are train, validation and test.
"""

from keras_training_kit.data.batching import batched_splits
from keras_training_kit.data.datasets import OFFLINE_DATASETS
from keras_training_kit.data.datasets import DatasetSplits
from keras_training_kit.data.datasets import DownloadError
from keras_training_kit.data.datasets import check_dataset_name
from keras_training_kit.data.datasets import load_dataset

# The public API, in the order of its page of the API reference.
__all__ = [
    "load_dataset",
    "DatasetSplits",
    "DownloadError",
    "OFFLINE_DATASETS",
    "check_dataset_name",
    "batched_splits",
]
