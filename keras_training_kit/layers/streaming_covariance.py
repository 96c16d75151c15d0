"""Streaming mean and covariance, and principal axes, for whitening.

`StreamingCovariance` merges batch statistics (Chan et al.) without ever
holding the data set in memory; `Whitening.adapt()` and
`patch_whitening_kernel` both use it. It runs on every Keras backend and
keeps float64-accurate statistics on all of them (JAX included, where
float64 arrays are float32 unless x64 is enabled):

- on the device, in float32 with `keras.ops`, each batch is shifted by its
  own mean (the subtraction of nearby floats is exact, so the shifted
  batch is well conditioned) and reduced to its residual sum and its Gram
  matrix `Y^T Y` (one GEMM, only the upper block triangle for wide rows);
- on the host, in float64 NumPy, the Gram blocks are added to the running
  co-moment and the batches are merged with Chan et al.'s pairwise update,
  whose rank-one terms are buffered and applied as one GEMM every
  `_FLUSH` batches.

The cost over a float32 GEMM is one device-to-host copy of the Gram blocks
and one float64 add of them per batch: O(d^2) per batch against the GEMM's
O(rows * d^2), so batches of thousands of rows make it small. This is
`adapt()`-time code on the host side of the layer, not the layer's `call`.
TensorFlow is imported only for a `tf.data.Dataset` input.
"""

import itertools
import sys

import keras
import numpy as np

# Rows per step for arrays: large enough that the per-batch GEMM
# (rows * d^2) dominates the O(d^2) merge of the running statistics.
DEFAULT_BATCH_SIZE = 8192
# Batches whose rank-one merge terms are buffered before one GEMM applies
# them (instead of two d x d float64 passes per batch).
_FLUSH = 32


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


def _blocks(num_features):
    """The column blocks of the Gram matrix, as `(start, stop)` pairs.

    Keras has no symmetric rank-k update (BLAS SYRK); computing only the
    blocks `i <= j` of `blocks` column blocks does `(blocks + 1) / (2 *
    blocks)` of the full GEMM's work (62.5% for 4 blocks). It pays off
    once the GEMM dominates (from about 512 features).
    """
    blocks = 4 if num_features >= 512 else 1
    size = num_features // blocks
    return [
        (i * size, (i + 1) * size if i < blocks - 1 else num_features)
        for i in range(blocks)
    ]


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

    Each batch is reduced on the device in float32 (shifted by its own
    mean, one GEMM) and merged on the host in float64 (Chan et al.), so
    the statistics are float64-accurate on every Keras backend.

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
        self._blocks = _blocks(num_features)
        self._count = 0
        self._mean = np.zeros((num_features,))
        # Only the upper block triangle is accumulated (see `_blocks`).
        self._comoment = np.zeros((num_features, num_features))
        # Chan's rank-one merge terms, applied by `_flush`: vectors `v` with
        # weights `w`, the co-moment gaining `sum(w v v^T)`.
        self._vectors = []
        self._weights = []
        self._batches = 0

    def update(self, rows) -> None:
        """Merges a batch of rows (any shape `(..., num_features)`).

        Raises:
            ValueError: for NaN or Inf values, naming their count and the
                batch's index (from 0); the batch is not merged.
        """
        ops = keras.ops
        rows = ops.reshape(to_tensor(rows), (-1, self.num_features))
        index, self._batches = self._batches, self._batches + 1
        bad = int(
            ops.convert_to_numpy(
                ops.sum(ops.cast(ops.logical_not(ops.isfinite(rows)), "int32"))
            )
        )
        if bad:
            raise ValueError(
                f"`adapt()` data must be finite: batch {index} (counting "
                f"from 0) holds {bad} NaN or Inf values. Received: data "
                "with non-finite values"
            )
        batch_count = int(rows.shape[0])
        if batch_count == 0:
            return
        # Shifted by its float32 mean, the batch is well conditioned, so
        # the GEMM runs in float32 at full speed; the small residual mean
        # corrects the shift in float64.
        shift = ops.mean(rows, axis=0)
        centered = rows - shift
        residual = ops.convert_to_numpy(ops.sum(centered, axis=0)).astype(
            "float64"
        ) / float(batch_count)
        parts = [centered[:, start:stop] for start, stop in self._blocks]
        for i, (start, stop) in enumerate(self._blocks):
            transposed = ops.transpose(parts[i])
            for j in range(i, len(parts)):
                begin, end = self._blocks[j]
                # float64 += float32, converted chunk by chunk in place.
                np.add(
                    self._comoment[start:stop, begin:end],
                    ops.convert_to_numpy(ops.matmul(transposed, parts[j])),
                    out=self._comoment[start:stop, begin:end],
                )
        batch_mean = ops.convert_to_numpy(shift).astype("float64") + residual
        total = self._count + batch_count
        delta = batch_mean - self._mean
        # The batch's own rank-one correction (-n_b r r^T) and Chan's merge
        # term (n n_b / total delta delta^T).
        self._vectors += [residual, delta]
        self._weights += [-batch_count, self._count * batch_count / total]
        self._mean = self._mean + delta * (batch_count / total)
        self._count = total
        if len(self._vectors) >= 2 * _FLUSH:
            self._flush()

    def _flush(self):
        if self._vectors:
            vectors = np.stack(self._vectors, axis=1)
            self._comoment += (vectors * np.asarray(self._weights)) @ (
                vectors.T
            )
            self._vectors, self._weights = [], []

    @property
    def count(self) -> float:
        """The number of rows merged."""
        return float(self._count)

    @property
    def mean(self) -> np.ndarray:
        """The float64 mean of the rows merged."""
        return self._mean.copy()

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
        comoment = self._comoment.copy()
        for i, (start, stop) in enumerate(self._blocks):
            for begin, end in self._blocks[:i]:
                # The lower blocks mirror the accumulated upper ones (the
                # rank-one terms were added to both, so overwrite them).
                comoment[start:stop, begin:end] = comoment[
                    begin:end, start:stop
                ].T
        return comoment / (n - 1.0)


def principal_axes(covariance) -> tuple:
    """Eigenvalues (descending, >= 0) and eigenvectors of a covariance.

    One symmetric eigendecomposition in float64 LAPACK. The eigenvectors
    (columns) follow scikit-learn's sign convention: the largest |loading|
    of each is positive.

    Example:

    >>> values, vectors = principal_axes(np.diag([1.0, 4.0]))
    >>> values.tolist(), vectors[:, 0].tolist()
    ([4.0, 1.0], [0.0, 1.0])
    """
    eigenvalues, eigenvectors = np.linalg.eigh(
        np.asarray(covariance, dtype="float64")
    )
    eigenvalues = np.clip(eigenvalues[::-1], 0.0, None)
    eigenvectors = eigenvectors[:, ::-1]
    signs = np.sign(
        eigenvectors[
            np.argmax(np.abs(eigenvectors), axis=0),
            np.arange(eigenvectors.shape[1]),
        ]
    )
    return eigenvalues, eigenvectors * np.where(signs == 0, 1.0, signs)
