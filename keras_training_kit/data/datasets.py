"""`load_dataset()`: embedded digits, MNIST-1D and tensorflow-datasets.

MNIST-1D is generated procedurally.
"""

import dataclasses
import os
import random

import numpy as np
import tensorflow as tf

# Data sets that never touch the network: digits ships with scikit-learn and
# MNIST-1D is generated procedurally by the `mnist1d` package.
OFFLINE_DATASETS = ("digits", "mnist1d")
"""The data sets `load_dataset` reads without a network: `"digits"`
(scikit-learn's 8x8 digits) and `"mnist1d"` (generated procedurally).
"""
# Image classification sets of tensorflow-datasets that we know load as
# `(image, label)`; any other tfds name is accepted too (see `load_dataset`).
TFDS_EXAMPLES = (
    "mnist",
    "fashion_mnist",
    "cifar10",
    "cifar100",
    "svhn_cropped",
)

# The test split of the embedded digits set is fixed whatever `seed` is, so
# test accuracies of different runs are comparable.
_DIGITS_TEST_FRACTION = 0.2
_DIGITS_TEST_SEED = 1234


@dataclasses.dataclass(frozen=True)
class DatasetSplits:
    """A classification data set split into train, validation and test.

    Attributes:
        name: str, the data set's name.
        train: unbatched `tf.data.Dataset` of `(features, label)`.
        validation: unbatched `tf.data.Dataset` of `(features, label)`.
        test: unbatched `tf.data.Dataset` of `(features, label)`.
        num_classes: int, the number of classes (labels are integers in
            `[0, num_classes)`).
        input_shape: tuple, the shape of one example's features.
        cardinality: dict with the number of examples of each split (`None`
            where tensorflow-datasets does not know it).
    """

    name: str
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    num_classes: int
    input_shape: tuple
    cardinality: dict


def load_dataset(
    name: str = "digits",
    *,
    validation_split: float = 0.1,
    seed: int = 0,
    data_dir: str | None = None,
    download: bool = True,
) -> DatasetSplits:
    """Loads a classification data set as unbatched `tf.data` splits.

    Features are float32 and labels int32 scalars. Images are scaled to
    `[0, 1]` and always have a channel axis.

    - `"digits"` (the embedded default): scikit-learn's bundled 8x8 digits,
      1797 images of shape `(8, 8, 1)`. A fixed 20% test split; the
      validation split is drawn from the rest with `seed`. Works offline.
    - `"mnist1d"`: MNIST-1D (Greydanus & Kobak), generated procedurally by
      the `mnist1d` package: 4000 train / 1000 test signals of shape
      `(40, 1)`. Never downloaded; NumPy's and Python's global random state
      are left untouched.
    - Any tensorflow-datasets name with `image` and `label` features
      (`"mnist"`, `"fashion_mnist"`, `"cifar10"`, ...), loaded with
      `tfds` from `data_dir` (downloaded there if missing and `download`
      is set). The validation split is the last `validation_split` of the
      tfds `train` split. Offline, a download fails within seconds, not
      after tfds' minutes of retries: each host of the set's URLs gets one
      short probe first (through the environment's `HTTPS_PROXY`, ...), and
      a failed download leaves no temporary folders in `data_dir`.

    Args:
        name: str, the data set. Defaults to `"digits"`.
        validation_split: float in `[0, 1)`, the fraction of the training
            data held out for validation. Defaults to `0.1`.
        seed: int, seed of the train/validation split of the embedded sets.
            Defaults to `0`.
        data_dir: str or `None`, the tensorflow-datasets data directory.
            Defaults to `None` (tfds' default, `~/tensorflow_datasets`).
        download: bool, whether a tensorflow-datasets set missing from
            `data_dir` may be downloaded. Defaults to `True`.

    Returns:
        A `DatasetSplits` with `.train`, `.validation`, `.test`,
        `.num_classes`, `.input_shape` and `.name`.

    Raises:
        ValueError: for an unknown name or a bad `validation_split`.
        FileNotFoundError: when a tensorflow-datasets set is not in
            `data_dir` and `download` is `False`.
        DownloadError: (a `FileNotFoundError`) when the download fails,
            e.g. without network; `.reason` says why.

    Example:

    >>> data = load_dataset("digits")
    >>> data.input_shape, data.num_classes
    ((8, 8, 1), 10)
    >>> features, label = next(iter(data.train))
    """
    if not isinstance(name, str) or not name:
        raise ValueError(
            "`name` must be a non-empty data set name such as "
            f"{OFFLINE_DATASETS + TFDS_EXAMPLES}. Received: name={name!r}"
        )
    if isinstance(validation_split, bool) or not (
        isinstance(validation_split, (int, float)) and 0 <= validation_split < 1
    ):
        raise ValueError(
            "`validation_split` must be a float in [0, 1). "
            f"Received: validation_split={validation_split!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be an int. Received: seed={seed!r}")
    if name == "digits":
        return _load_digits(validation_split, seed)
    if name == "mnist1d":
        return _load_mnist1d(validation_split, seed)
    return _load_tfds(name, validation_split, data_dir, download)


def _split_indices(n, fraction, seed, labels):
    """Stratified, seeded split of `range(n)` into (kept, held_out)."""
    if fraction == 0:
        return np.arange(n), np.arange(0)
    from sklearn.model_selection import train_test_split

    return train_test_split(
        np.arange(n), test_size=fraction, random_state=seed, stratify=labels
    )


def _from_arrays(
    name, x_train, y_train, x_test, y_test, validation_split, seed
):
    keep, held_out = _split_indices(
        len(x_train), validation_split, seed, y_train
    )

    def make(x, y):
        return tf.data.Dataset.from_tensor_slices(
            (x.astype("float32"), y.astype("int32"))
        )

    return DatasetSplits(
        name=name,
        train=make(x_train[keep], y_train[keep]),
        validation=make(x_train[held_out], y_train[held_out]),
        test=make(x_test, y_test),
        num_classes=int(max(y_train.max(), y_test.max()) + 1),
        input_shape=tuple(x_train.shape[1:]),
        cardinality={
            "train": len(keep),
            "validation": len(held_out),
            "test": len(x_test),
        },
    )


def _load_digits(validation_split, seed):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0)[..., np.newaxis]  # pixel values are 0..16
    labels = bunch.target
    train_idx, test_idx = _split_indices(
        len(labels), _DIGITS_TEST_FRACTION, _DIGITS_TEST_SEED, labels
    )
    return _from_arrays(
        "digits",
        images[train_idx],
        labels[train_idx],
        images[test_idx],
        labels[test_idx],
        validation_split,
        seed,
    )


def _load_mnist1d(validation_split, seed):
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    # `make_dataset` calls `np.random.seed` and `random.seed`: keep the
    # caller's global random streams as they were.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        args = get_dataset_args()
        generated = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return _from_arrays(
        "mnist1d",
        generated["x"][..., np.newaxis],
        generated["y"],
        generated["x_test"][..., np.newaxis],
        generated["y_test"],
        validation_split,
        seed,
    )


def check_dataset_name(name: str) -> None:
    """Raises `ValueError` unless `name` is an offline or tfds data set.

    Loads nothing: only tensorflow-datasets' list of names is read. The
    list of community sets (`"namespace:name"`) is fetched from Google Cloud
    Storage, so it is read only for such a name: behind an unreachable
    proxy, TensorFlow's GCS client retries for about 10 minutes.
    """
    if name in OFFLINE_DATASETS:
        return
    import tensorflow_datasets as tfds

    community = isinstance(name, str) and ":" in name
    known = tfds.list_builders(with_community_datasets=community)
    if not isinstance(name, str) or name not in known:
        raise ValueError(
            f"Unknown data set {name!r}. Valid names are the offline sets "
            f"{OFFLINE_DATASETS} and any tensorflow-datasets name, such as "
            f"{TFDS_EXAMPLES}. Received: name={name!r}"
        )


class DownloadError(FileNotFoundError):
    """A tensorflow-datasets set could not be downloaded and prepared.

    A `FileNotFoundError`: the data set is still missing from `data_dir`.

    Attributes:
        name: str, the data set's name.
        data_dir: str, the tensorflow-datasets data directory.
        reason: str, one line saying why, such as
            `"https://www.cs.toronto.edu is unreachable (ProxyError)"`.
    """

    def __init__(self, name: str, data_dir: str, reason: str):
        super().__init__(
            f"Could not download the tensorflow-datasets set {name!r} into "
            f"data_dir={data_dir!r}: {reason}. Download it where the network "
            f"is reachable, pass the `data_dir` that holds it, or use an "
            f"offline data set: {OFFLINE_DATASETS}."
        )
        self.name = name
        self.data_dir = data_dir
        self.reason = reason


def _prepare_tfds(name, data_dir, download):
    """A tfds builder of `name` whose data is prepared in its data_dir."""
    import tensorflow_datasets as tfds

    from keras_training_kit.data import downloads

    builder = tfds.builder(name, data_dir=data_dir)
    # Not `tfds.load`: its `is_prepared()` logs "Variant folder ... has no
    # dataset_info.json" for every set that is not there (yet).
    if downloads.is_prepared(builder):
        return builder
    folder = os.fspath(builder.data_dir_root)
    if not download:
        raise FileNotFoundError(
            f"The tensorflow-datasets set {name!r} is not prepared in "
            f"data_dir={folder!r} and could not be loaded "
            f"(download=False). Prepare it there on a machine with network "
            f"access, pass the `data_dir` that holds it, or use an offline "
            f"data set: {OFFLINE_DATASETS}."
        )
    try:
        downloads.download_and_prepare(builder)
    except Exception as error:  # the network, checksums, disk space, ...
        reason = str(error).strip().splitlines() or [""]
        if not isinstance(error, ConnectionError):
            reason[0] = f"{type(error).__name__}: {reason[0]}"
        raise DownloadError(name, folder, reason[0].rstrip(".")) from error
    return builder


def _load_tfds(name, validation_split, data_dir, download):
    check_dataset_name(name)
    builder = _prepare_tfds(name, data_dir, download)
    percent = int(round(100 * (1 - validation_split)))
    splits = [f"train[:{percent}%]", f"train[{percent}%:]", "test"]
    try:
        train, validation, test = builder.as_dataset(
            split=splits, as_supervised=True
        )
    except Exception as error:  # tfds raises many types for "no data here"
        raise FileNotFoundError(
            f"The tensorflow-datasets set {name!r} could not be loaded from "
            f"data_dir={os.fspath(builder.data_dir_root)!r} ({error}). "
            f"Prepare it there again, pass the `data_dir` that holds it, or "
            f"use an offline data set: {OFFLINE_DATASETS}."
        ) from error
    info = builder.info
    features = info.features
    if "label" not in features or "image" not in features:
        raise ValueError(
            f"The tensorflow-datasets set {name!r} has no `image` and "
            f"`label` features; only image classification sets are "
            f"supported. Received: name={name!r}"
        )

    def to_float(image, label):
        return tf.cast(image, "float32") / 255.0, tf.cast(label, "int32")

    def prepare(ds):
        return ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)

    def count(split):
        try:
            return int(info.splits[split].num_examples)
        except Exception:
            return None

    return DatasetSplits(
        name=name,
        train=prepare(train),
        validation=prepare(validation),
        test=prepare(test),
        num_classes=int(features["label"].num_classes),
        input_shape=tuple(features["image"].shape),
        cardinality={
            "train": count(splits[0]),
            "validation": count(splits[1]),
            "test": count("test"),
        },
    )
