import keras
import numpy as np
import pytest

from keras_training_kit.layers.streaming_covariance import StreamingCovariance
from keras_training_kit.layers.streaming_covariance import feature_batches
from keras_training_kit.layers.streaming_covariance import principal_axes
from tests.conftest import requires_tensorflow


@pytest.mark.parametrize("num_features", [5, 600])  # 600: several chunks
def test_uneven_batches_match_numpy(num_features):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(1500, num_features)).astype("float32")
    stats = StreamingCovariance(num_features)
    for start, stop in ((0, 1), (1, 700), (700, 701), (701, 1500)):
        stats.update(x[start:stop])
    assert stats.count == 1500
    np.testing.assert_allclose(
        stats.mean, x.astype("float64").mean(0), atol=1e-6
    )
    np.testing.assert_allclose(
        stats.covariance(), np.cov(x.astype("float64"), rowvar=False), atol=1e-5
    )


def ill_conditioned(n=20_000, d=16, seed=0):
    """float32 rows with variances 1e4 to 1 along random axes, mean ~50."""
    rng = np.random.default_rng(seed)
    axes, _ = np.linalg.qr(rng.normal(size=(d, d)))
    scales = np.sqrt(np.logspace(4, 0, d))
    mean = rng.normal(50.0, 10.0, size=d)
    return ((rng.normal(size=(n, d)) * scales) @ axes.T + mean).astype(
        "float32"
    )


def smallest_eigenvalue_error(covariance, x):
    """The relative error of the smallest eigenvalue against float64 NumPy."""
    expected, *_ = np.linalg.eigvalsh(np.cov(x.astype("float64"), rowvar=0))
    return abs(np.linalg.eigvalsh(covariance)[0] - expected) / expected


@pytest.mark.parametrize("batch_size", [16, 600, 8192, 20_000])
def test_float64_accurate_at_any_batch_size(batch_size):
    # A float32 accumulation is off by 1e-6 to 1e-4 here, growing with the
    # rows per batch.
    x = ill_conditioned()
    stats = StreamingCovariance(16)
    for batch in feature_batches(x, batch_size):
        stats.update(keras.ops.convert_to_tensor(batch))
    assert smallest_eigenvalue_error(stats.covariance(), x) <= 1e-9
    np.testing.assert_allclose(
        stats.mean, x.astype("float64").mean(0), rtol=1e-13
    )


def test_non_finite_rows_are_refused_and_not_merged():
    stats = StreamingCovariance(2)
    stats.update(np.ones((3, 2)))
    bad = np.array([[1.0, np.nan], [np.inf, 0.0]])
    with pytest.raises(ValueError, match="batch 1 .* holds 2 NaN or Inf"):
        stats.update(bad)
    assert stats.count == 3
    with pytest.raises(ValueError, match="at least 2 samples.*Received: 1"):
        one = StreamingCovariance(2)
        one.update(np.ones((1, 2)))
        one.covariance()


def test_feature_batches_of_arrays_tensors_and_iterables():
    x = np.arange(20.0).reshape(10, 2)
    assert [len(b) for b in feature_batches(x, 4)] == [4, 4, 2]
    assert len(list(feature_batches(x, 4, steps=2))) == 2
    tensor = keras.ops.convert_to_tensor(x)
    assert [tuple(b.shape) for b in feature_batches(tensor, 6)] == [
        (6, 2),
        (4, 2),
    ]
    pairs = [(x[:5], None), (x[5:], None)]
    assert [b.shape for b in feature_batches(pairs)] == [(5, 2), (5, 2)]
    with pytest.raises(TypeError, match="Received: data of type int"):
        feature_batches(3)


@requires_tensorflow
def test_feature_batches_of_datasets():
    import tensorflow as tf

    x = np.arange(20.0).reshape(10, 2)
    labelled = tf.data.Dataset.from_tensor_slices((x, np.zeros(10)))
    (batch,) = list(feature_batches(labelled, 10))
    np.testing.assert_array_equal(batch, x)


def test_principal_axes_are_sorted_with_sklearns_signs():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    values, vectors = principal_axes(np.cov(x, rowvar=False))
    assert np.all(np.diff(values) <= 0) and np.all(values >= 0)
    largest = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(4)]
    assert np.all(largest > 0)
    from sklearn.decomposition import PCA

    pca = PCA(svd_solver="full").fit(x)
    np.testing.assert_allclose(values, pca.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(
        np.abs(vectors.T), np.abs(pca.components_), atol=1e-8
    )
