"""Streaming mean and covariance, and principal axes, for whitening.

`StreamingCovariance` merges batch statistics (Chan et al.) without ever
holding the data set in memory; `Whitening.adapt()` and
`patch_whitening_kernel` both use it. TensorFlow runs the per-batch GEMM
(a compiled function, float32 GEMM on shifted rows, float64 merge): this is
`adapt()`-time code on the host side of the layer, not the layer's `call`.
"""

import functools
import itertools

import keras
import numpy as np

# Rows per step for arrays: large enough that the per-batch GEMM
# (rows * d^2) dominates the O(d^2) merge of the running statistics.
DEFAULT_BATCH_SIZE = 8192


def _features(batch):
    """Returns `x` from a batch that may be `(x, y)` or `(x, y, weights)`."""
    if isinstance(batch, (tuple, list)):
        return batch[0]
    return batch


def _gram(centered, blocks):
    """`centered.T @ centered`, computing only the upper block triangle.

    TensorFlow has no symmetric rank-k update (BLAS SYRK); splitting the
    features into `blocks` column blocks and multiplying only pairs
    `i <= j` does `(blocks + 1) / (2 * blocks)` of the full GEMM's work
    (62.5% for 4 blocks), the lower blocks being transposes.
    """
    import tensorflow as tf

    if blocks == 1:
        return tf.linalg.matmul(centered, centered, transpose_a=True)
    size = centered.shape[1] // blocks
    parts = [
        centered[:, i * size : (i + 1) * size if i < blocks - 1 else None]
        for i in range(blocks)
    ]
    upper = {
        (i, j): tf.linalg.matmul(parts[i], parts[j], transpose_a=True)
        for i in range(blocks)
        for j in range(i, blocks)
    }
    return tf.concat(
        [
            tf.concat(
                [
                    upper[i, j] if j >= i else tf.transpose(upper[j, i])
                    for j in range(blocks)
                ],
                axis=1,
            )
            for i in range(blocks)
        ],
        axis=0,
    )


@functools.cache
def _update_function(num_features):
    """The compiled per-batch merge of `(count, mean, co-moment)`.

    One function per process and feature count, traced once.
    """
    import tensorflow as tf

    # Blocking pays off once the GEMM dominates (measured at d=3072: the
    # accumulation of 50k rows took 0.7x the time of one full GEMM a batch).
    blocks = 4 if num_features >= 512 else 1

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, num_features), tf.float32),
            tf.TensorSpec((), tf.float64),
            tf.TensorSpec((num_features,), tf.float64),
            tf.TensorSpec((num_features, num_features), tf.float64),
        ]
    )
    def update(rows, count, mean, comoment):
        bad = tf.math.count_nonzero(~tf.math.is_finite(rows))
        if bad > 0:
            return count, mean, comoment, bad
        batch_count = tf.cast(tf.shape(rows)[0], tf.float64)
        # Shifted by its float32 mean, the batch is well conditioned (the
        # subtraction of nearby floats is exact), so the GEMM runs in float32
        # at full speed; the small residual mean corrects the shift, and the
        # merge across batches (Chan et al.) is float64.
        shift = tf.reduce_mean(rows, axis=0)
        centered = rows - shift
        residual = tf.cast(tf.reduce_mean(centered, axis=0), tf.float64)
        batch_mean = tf.cast(shift, tf.float64) + residual
        total = count + batch_count
        delta = batch_mean - mean
        new_mean = mean + delta * (batch_count / total)
        # The batch's own rank-one correction (-n_b r r^T) and Chan's merge
        # term (n n_b / total delta delta^T) in one (d x 2) @ (2 x d)
        # product, so the d x d float64 matrix is touched by two adds only.
        vectors = tf.stack([residual, delta], axis=1)
        weights = tf.stack([-batch_count, count * batch_count / total])
        correction = tf.linalg.matmul(
            vectors * weights, vectors, transpose_b=True
        )
        gram = tf.cast(_gram(centered, blocks), tf.float64)
        return total, new_mean, comoment + (gram + correction), bad

    return update


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
    """
    import tensorflow as tf

    if isinstance(data, tf.data.Dataset):
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
    elif isinstance(data, np.ndarray) or keras.ops.is_tensor(data):
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

    Args:
        num_features: int, the row length.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 3))
    >>> stats = StreamingCovariance(3)
    >>> for batch in (x[:30], x[30:]):
    ...     stats.update(batch)
    >>> bool(np.allclose(stats.covariance(), np.cov(x, rowvar=False)))
    True
    """

    def __init__(self, num_features: int):
        import tensorflow as tf

        self.num_features = num_features
        self._update = _update_function(num_features)
        self._count = tf.constant(0.0, tf.float64)
        self._mean = tf.zeros((num_features,), tf.float64)
        self._comoment = tf.zeros((num_features, num_features), tf.float64)
        self._batches = 0

    def update(self, rows) -> None:
        """Merges a batch of rows (any shape `(..., num_features)`).

        Raises:
            ValueError: for NaN or Inf values, naming their count and the
                batch's index (from 0); the batch is not merged.
        """
        import tensorflow as tf

        rows = tf.reshape(
            tf.cast(tf.convert_to_tensor(rows), tf.float32),
            (-1, self.num_features),
        )
        count, mean, comoment, bad = self._update(
            rows, self._count, self._mean, self._comoment
        )
        index, self._batches = self._batches, self._batches + 1
        bad = int(bad)
        if bad:
            raise ValueError(
                f"`adapt()` data must be finite: batch {index} (counting "
                f"from 0) holds {bad} NaN or Inf values. Received: data "
                "with non-finite values"
            )
        self._count, self._mean, self._comoment = count, mean, comoment

    @property
    def count(self) -> float:
        """The number of rows merged."""
        return float(self._count)

    @property
    def mean(self) -> np.ndarray:
        """The float64 mean of the rows merged."""
        return self._mean.numpy()

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
        return self._comoment.numpy() / (n - 1.0)


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
