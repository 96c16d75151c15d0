"""Streaming mean and covariance, and principal axes, for whitening.

`StreamingCovariance` accumulates the co-moment of a stream of batches
without ever holding the data set in memory; `Whitening.adapt()` and
`patch_whitening_kernel` both use it. It runs on every Keras backend and
keeps float64-accurate statistics on all of them, whatever the batch size
(JAX included, where float64 arrays are float32 unless x64 is enabled):
each batch comes to the host as a NumPy array, is shifted by one fixed
float32 vector (exact in float64 for float32 data) into a float64 chunk
of rows, and each full chunk is added to the running co-moment by one
float64 BLAS SYRK, in place (`scipy.linalg.blas.dsyrk`).

A float32 product accumulation cannot be float64-accurate: its error
grows with the rows summed times the condition number. The float64 SYRK
costs about 1.8x the float32 one on a CPU; the other costs (the copy into
the chunk, the finiteness check) are O(rows * d) against the SYRK's
O(rows * d^2). This is `adapt()`-time code on the host side of the layer,
not the layer's `call`. TensorFlow is imported only for a `tf.data.Dataset`
input.
"""

import itertools
import sys

import keras
import numpy as np
from scipy import linalg
from scipy.linalg import blas

# Rows per step for arrays.
DEFAULT_BATCH_SIZE = 8192
# The float64 values of one chunk of shifted rows (64 MiB): SYRK over a
# few thousand rows runs at full speed, and the memory stays O(chunk * d).
_CHUNK_VALUES = 2**23


def _features(batch):
    """Returns `x` from a batch that may be `(x, y)` or `(x, y, weights)`."""
    if isinstance(batch, (tuple, list)):
        return batch[0]
    return batch


def _is_dataset(data):
    # A `tf.data.Dataset` exists only once TensorFlow has been imported.
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(data, tf.data.Dataset)


def to_tensor(batch, dtype="float32"):
    """A batch (array, backend tensor or another framework's) as a tensor.

    A tensor of another framework (a `tf.Tensor` from a `tf.data` pipeline
    under JAX or PyTorch) goes through NumPy.
    """
    if not (keras.ops.is_tensor(batch) or isinstance(batch, np.ndarray)):
        batch = np.asarray(batch)
    return keras.ops.cast(keras.ops.convert_to_tensor(batch), dtype)


def to_numpy(batch) -> np.ndarray:
    """A batch (array, backend tensor or another framework's) on the host.

    Example:

    >>> to_numpy(keras.ops.ones((2, 3))).shape
    (2, 3)
    """
    if isinstance(batch, np.ndarray):
        return batch
    if keras.ops.is_tensor(batch):
        return keras.ops.convert_to_numpy(batch)
    return np.asarray(batch)


def feature_batches(data, batch_size=None, steps=None):
    """Yields batches of examples from `data` (labels dropped).

    Args:
        data: a NumPy array or tensor of examples, a `tf.data.Dataset` (of
            examples or `(examples, labels)`, taken as batched unless
            `batch_size` is given) or any iterable of batches.
        batch_size: int or `None`, the examples per batch for arrays and
            tensors (`None`: `DEFAULT_BATCH_SIZE`), or the batch size
            applied to an unbatched dataset. Defaults to `None`.
        steps: int or `None`, the most batches to yield. Defaults to
            `None` (all).

    Raises:
        TypeError: for any other `data`.

    Example:

    >>> x = np.arange(20.0).reshape(10, 2)
    >>> [len(batch) for batch in feature_batches(x, batch_size=4)]
    [4, 4, 2]
    """
    if _is_dataset(data):
        import tensorflow as tf

        dataset = (
            data.map(
                lambda *batch: batch[0], num_parallel_calls=tf.data.AUTOTUNE
            )
            if isinstance(data.element_spec, tuple)
            else data
        )
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        batches = iter(dataset.prefetch(tf.data.AUTOTUNE))
    elif (
        isinstance(data, np.ndarray)
        or keras.ops.is_tensor(data)
        or (hasattr(data, "__array__") and hasattr(data, "shape"))
    ):
        # Arrays, backend tensors and other array-likes (a `tf.Tensor`
        # under another backend) are sliced, not iterated row by row.
        size = batch_size or DEFAULT_BATCH_SIZE
        batches = (
            data[i : i + size] for i in range(0, int(data.shape[0]), size)
        )
    elif hasattr(data, "__iter__"):
        batches = (_features(batch) for batch in data)
    else:
        raise TypeError(
            "`data` must be a NumPy array, a tensor, a `tf.data.Dataset` or "
            "an iterable of batches. Received: data of type "
            f"{type(data).__name__}"
        )
    return batches if steps is None else itertools.islice(batches, steps)


class StreamingCovariance:
    """The running count, mean and co-moment of rows of `num_features`.

    The rows are shifted by one float32 vector (the first batch's mean)
    and accumulated in float64 on the host (BLAS SYRK over row chunks), so
    the statistics are float64-accurate on every Keras backend, for any
    batch size, with memory `O(chunk * d + d^2)`.

    Args:
        num_features: int, the row length.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(100, 3))
    >>> stats = StreamingCovariance(3)
    >>> for batch in (x[:30], x[30:]):
    ...     stats.update(batch)
    >>> bool(np.allclose(stats.covariance(), np.cov(x, rowvar=False)))
    True
    """

    def __init__(self, num_features: int):
        self.num_features = num_features
        self._count = 0
        self._batches = 0
        self._shift = None
        # Rows shifted by `_shift`, with a last column of ones: one SYRK
        # of a chunk adds its co-moment, its column sums and its row count
        # to the upper triangle of `_gram` (Fortran order, updated in
        # place by BLAS).
        rows = int(np.clip(_CHUNK_VALUES // (num_features + 1), 256, 8192))
        self._chunk = np.empty((rows, num_features + 1))
        self._filled = 0
        self._gram = np.zeros((num_features + 1,) * 2, order="F")

    def update(self, rows) -> None:
        """Merges a batch of rows (any shape `(..., num_features)`).

        Raises:
            ValueError: for NaN or Inf values, naming their count and the
                batch's index (from 0); the batch is not merged.
        """
        rows = to_numpy(rows).reshape(-1, self.num_features)
        if rows.dtype not in (np.float32, np.float64):
            rows = rows.astype("float64")
        index, self._batches = self._batches, self._batches + 1
        if not np.isfinite(rows).all():
            bad = rows.size - int(np.count_nonzero(np.isfinite(rows)))
            raise ValueError(
                f"`adapt()` data must be finite: batch {index} (counting "
                f"from 0) holds {bad} NaN or Inf values. Received: data "
                "with non-finite values"
            )
        if len(rows) == 0:
            return
        if self._shift is None:
            # float32 values minus a float32 shift are exact in float64;
            # near the mean, the shift keeps the co-moment well scaled.
            self._shift = (
                rows.mean(axis=0, dtype="float64")
                .astype("float32")
                .astype("float64")
            )
        d, size = self.num_features, len(self._chunk)
        start = 0
        while start < len(rows):
            stop = min(len(rows), start + size - self._filled)
            chunk = self._chunk[self._filled : self._filled + stop - start]
            # A cast, then a float64 subtraction: faster than one mixed
            # subtraction.
            np.copyto(chunk[:, :d], rows[start:stop])
            chunk[:, :d] -= self._shift
            chunk[:, d] = 1.0
            self._filled += stop - start
            start = stop
            if self._filled == size:
                self._flush()
        self._count += len(rows)

    def _flush(self):
        if self._filled:
            # C-ordered rows, so the transpose is the Fortran-ordered
            # `(d + 1, rows)` matrix SYRK takes without a copy.
            self._gram = blas.dsyrk(
                1.0,
                self._chunk[: self._filled].T,
                beta=1.0,
                c=self._gram,
                overwrite_c=1,
            )
            self._filled = 0

    @property
    def count(self) -> float:
        """The number of rows merged."""
        return float(self._count)

    @property
    def mean(self) -> np.ndarray:
        """The float64 mean of the rows merged."""
        if not self._count:
            return np.zeros((self.num_features,))
        self._flush()
        return self._shift + self._gram[:-1, -1] / self._count

    def covariance(self) -> np.ndarray:
        """The float64 covariance (ddof=1) of the rows merged.

        Raises:
            ValueError: with fewer than 2 rows.
        """
        n = self.count
        if n < 2:
            raise ValueError(
                "`adapt()` needs at least 2 samples to estimate a covariance "
                f"(ddof=1). Received: {int(n)} sample(s)"
            )
        self._flush()
        # SYRK wrote the upper triangle only (the lower one is still 0):
        # mirrored, less the shift's rank-one term, in place.
        upper = self._gram[:-1, :-1]
        comoment = np.add(upper, upper.T, out=np.empty(upper.shape))
        np.fill_diagonal(comoment, upper.diagonal())
        scaled = self._gram[:-1, -1] / np.sqrt(n)
        # The transpose of a C-ordered symmetric matrix is itself, in the
        # Fortran order BLAS updates in place.
        blas.dger(-1.0, scaled, scaled, a=comoment.T, overwrite_a=1)
        comoment *= 1.0 / (n - 1.0)
        return comoment


def principal_axes(covariance) -> tuple:
    """Eigenvalues (descending, >= 0) and eigenvectors of a covariance.

    One symmetric eigendecomposition in float64 LAPACK (divide and conquer,
    `dsyevd`, as `numpy.linalg.eigh`, but in place on one copy: ~15%
    faster at 3,072 features on 2 CPU cores). The eigenvectors (columns)
    follow scikit-learn's sign convention: the largest |loading| of each is
    positive.

    Example:

    >>> values, vectors = principal_axes(np.diag([1.0, 4.0]))
    >>> values.tolist(), vectors[:, 0].tolist()
    ([4.0, 1.0], [0.0, 1.0])
    """
    eigenvalues, eigenvectors = linalg.eigh(
        np.array(covariance, dtype="float64", order="F"),
        driver="evd",
        overwrite_a=True,
    )
    eigenvalues = np.clip(eigenvalues[::-1], 0.0, None)
    eigenvectors = eigenvectors[:, ::-1]
    # Row-wise reductions (a column-wise argmax of |v| is a strided pass):
    # the largest |loading| is positive where max >= -min; at an exact tie
    # the first of them decides, as `argmax` would.
    high, low = eigenvectors.max(axis=0), eigenvectors.min(axis=0)
    signs = np.where(high >= -low, 1.0, -1.0)
    for j in np.flatnonzero(high == -low):
        column = eigenvectors[:, j]
        signs[j] = np.sign(column[np.argmax(np.abs(column))]) or 1.0
    return eigenvalues, eigenvectors * signs
