import logging
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from sklearn.decomposition import PCA

from keras_training_kit.layers import Whitening
from tests.conftest import requires_tensorflow
from tests.layers.test_streaming_covariance import ill_conditioned

_numpy = keras.ops.convert_to_numpy


def _data(n=600, d=8, seed=0, offset=3.0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) * np.linspace(2.0, 0.2, d)[:, None]
    return (rng.normal(size=(n, d)) @ mixing + offset).astype("float32")


def _assert_equal_up_to_sign(actual, expected, atol):
    signs = np.sign(np.sum(actual * expected, axis=0))
    np.testing.assert_allclose(actual * signs, expected, atol=atol)


@pytest.mark.parametrize("n_components", [None, 3, 0.9])
def test_pca_whiten_matches_sklearn(n_components):
    x = _data()
    reference = PCA(n_components, whiten=True, svd_solver="full").fit(x)
    layer = Whitening(mode="pca_whiten", n_components=n_components, epsilon=0.0)
    layer.adapt(x, batch_size=64)
    out = _numpy(layer(x))
    assert out.shape == (600, reference.n_components_)
    _assert_equal_up_to_sign(out, reference.transform(x), atol=2e-4)
    np.testing.assert_allclose(
        layer.explained_variance, reference.explained_variance_, rtol=1e-5
    )
    np.testing.assert_allclose(
        layer.explained_variance_ratio,
        reference.explained_variance_ratio_,
        rtol=1e-5,
    )
    _assert_equal_up_to_sign(
        layer.components.T, reference.components_.T, atol=1e-5
    )
    np.testing.assert_allclose(layer.mean, reference.mean_, rtol=1e-6)


def test_pca_projects_and_inverse_reconstructs_like_sklearn():
    x = _data()
    reference = PCA(4, svd_solver="full").fit(x)
    layer = Whitening(mode="pca", n_components=4)
    layer.adapt(x)
    out = _numpy(layer(x))
    _assert_equal_up_to_sign(out, reference.transform(x), atol=2e-4)
    np.testing.assert_allclose(
        _numpy(layer.inverse(out)),
        reference.inverse_transform(reference.transform(x)),
        atol=2e-4,
    )


@pytest.mark.parametrize(
    "mode", ["center", "standardize", "pca", "pca_whiten", "zca"]
)
def test_inverse_round_trip(mode):
    x = _data().reshape(600, 2, 4)
    layer = Whitening(mode=mode)
    layer.adapt(x)
    out = layer(x)
    expected_shape = (600, 8) if mode in ("pca", "pca_whiten") else (600, 2, 4)
    assert tuple(out.shape) == expected_shape
    np.testing.assert_allclose(_numpy(layer.inverse(out)), x, atol=5e-4)


def test_zca_has_identity_covariance_and_keeps_shape():
    x = _data(n=2000)
    layer = Whitening(mode="zca", epsilon=1e-5)
    layer.adapt(x)
    out = _numpy(layer(x))
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.eye(8), atol=1e-3)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)
    # ZCA is the symmetric whitening matrix: the closest whitened data to x.
    forward = _numpy(layer.inverse(np.eye(8, dtype="float32"))) - layer.mean
    np.testing.assert_allclose(forward, forward.T, atol=1e-3)


def test_standardize_and_center():
    x = _data()
    center = Whitening(mode="center")
    center.adapt(x)
    np.testing.assert_allclose(_numpy(center(x)), x - x.mean(axis=0), atol=1e-5)
    standardize = Whitening(mode="standardize", epsilon=0.0)
    standardize.adapt(x)
    expected = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    np.testing.assert_allclose(_numpy(standardize(x)), expected, atol=1e-4)


def test_per_channel_matches_image_data_generator_featurewise_center():
    rng = np.random.default_rng(1)
    images = (
        rng.random((50, 6, 5, 3)) * [1.0, 2.0, 3.0] + [0.1, 0.5, 0.9]
    ).astype("float32")
    # What Keras 2's ImageDataGenerator(featurewise_center=True).fit(x) and
    # .standardize(x) computed (channels last: row axis 1, column axis 2).
    keras2_mean = np.mean(images, axis=(0, 1, 2)).reshape((1, 1, 3))
    keras2_centered = images - keras2_mean
    layer = Whitening(mode="center", per_channel=True)
    layer.adapt(images, batch_size=7)
    np.testing.assert_allclose(layer.mean, keras2_mean.ravel(), rtol=1e-6)
    np.testing.assert_allclose(
        _numpy(layer(images)), keras2_centered, atol=1e-5
    )
    # featurewise_std_normalization divided by np.std (ddof=0); ours is ddof=1.
    standardize = Whitening(mode="standardize", per_channel=True, epsilon=0.0)
    standardize.adapt(images)
    keras2_std = np.std(images, axis=(0, 1, 2), ddof=1)
    np.testing.assert_allclose(
        _numpy(standardize(images)), keras2_centered / keras2_std, atol=1e-5
    )


def test_per_channel_zca_decorrelates_colors():
    rng = np.random.default_rng(2)
    images = rng.normal(size=(40, 4, 4, 3)) @ np.array(
        [[1.0, 0.8, 0.2], [0, 1, 0.5], [0, 0, 1]]
    )
    layer = Whitening(mode="zca", per_channel=True, epsilon=0.0)
    layer.adapt(images.astype("float32"))
    out = _numpy(layer(images.astype("float32")))
    assert out.shape == images.shape
    np.testing.assert_allclose(
        np.cov(out.reshape(-1, 3), rowvar=False), np.eye(3), atol=1e-4
    )


def _assert_streams_the_statistics(x, **kwargs):
    layer = Whitening(mode="zca")
    layer.adapt(**kwargs)
    np.testing.assert_allclose(
        layer.adapted_covariance.numpy(),
        np.cov(x.astype("float64"), rowvar=False),
        rtol=1e-4,
        atol=1e-10,
    )
    np.testing.assert_allclose(
        layer.mean, x.astype("float64").mean(axis=0), rtol=1e-9
    )
    assert float(layer.count.numpy()) == len(x)


def _offset_data():
    # A large offset with a small spread: a one-pass float32 sum of squares
    # would lose every digit of the covariance.
    return _data(n=500, d=5, offset=0.0) * 1e-2 + 1e4


@pytest.mark.parametrize("source", ["array", "tensor", "generator"])
def test_streaming_inputs_agree_and_are_numerically_stable(source):
    x = _offset_data()
    kwargs = {
        "array": dict(data=x, batch_size=33),
        "tensor": dict(data=keras.ops.convert_to_tensor(x), batch_size=128),
        "generator": dict(data=(x[i : i + 100] for i in range(0, 500, 100))),
    }[source]
    _assert_streams_the_statistics(x, **kwargs)


@requires_tensorflow
def test_dataset_inputs_agree():
    import tensorflow as tf

    x = _offset_data()
    labels = np.zeros(500, "int32")
    _assert_streams_the_statistics(
        x, data=tf.data.Dataset.from_tensor_slices(x).batch(50)
    )
    _assert_streams_the_statistics(
        x,
        data=tf.data.Dataset.from_tensor_slices((x, labels)),
        batch_size=64,
    )


def _ill_conditioned(n=20_000, d=6, seed=3):
    # Correlated features with scales spanning 1e3 (variances spanning 1e6)
    # and means 100 standard deviations away from 0.
    rng = np.random.default_rng(seed)
    mixing = np.eye(d) + 0.3 * rng.normal(size=(d, d))
    scales = np.logspace(0, 3, d)
    return ((rng.normal(size=(n, d)) @ mixing + 100.0) * scales).astype(
        "float32"
    )


def _naive_float32_statistics(x, batch_size):
    # What a float32 accumulation of the sums of x and x x^T gives.
    total = np.zeros(x.shape[1], "float32")
    squares = np.zeros((x.shape[1],) * 2, "float32")
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        total += batch.sum(axis=0)
        squares += batch.T @ batch
    n = np.float32(len(x))
    mean = total / n
    return mean, (squares - n * np.outer(mean, mean)) / (n - 1)


def test_zca_of_ill_conditioned_data_is_the_identity():
    x = _ill_conditioned()
    layer = Whitening(mode="zca", epsilon=0.0)
    layer.adapt(x, batch_size=1000)
    out = _numpy(layer(x)).astype("float64")
    # About 3e-7 on every backend.
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.eye(6), atol=1e-5)
    # A naive float32 accumulation is off the identity by about 3e-2.
    mean, covariance = _naive_float32_statistics(x, 1000)
    naive = Whitening(mode="zca", epsilon=0.0, mean=mean, covariance=covariance)
    error = np.abs(np.cov(_numpy(naive(x)), rowvar=False) - np.eye(6)).max()
    assert error > 1e-2


@pytest.mark.parametrize("batch_size", [None, 64])
def test_eigenvalues_are_float64_accurate(batch_size):
    x = ill_conditioned()  # variances 1e4 to 1, a non-zero mean
    layer = Whitening(mode="pca")
    layer.adapt(x, batch_size=batch_size)
    expected, *_ = np.linalg.eigvalsh(np.cov(x.astype("float64"), rowvar=0))
    smallest = layer.explained_variance[-1]
    assert abs(smallest - expected) / expected <= 1e-9


def test_statistics_are_stored_as_float32_pairs():
    rng = np.random.default_rng(0)
    covariance = np.cov(rng.normal(size=(50, 4)), rowvar=False) / 3.0
    mean = rng.normal(size=4) / 3.0
    layer = Whitening(mode="zca", mean=mean, covariance=covariance)
    layer.build((None, 4))
    weights = layer.non_trainable_weights
    assert [w.name for w in weights] == [
        "count",
        "mean",
        "covariance",
        "count_residual",
        "mean_residual",
        "covariance_residual",
    ]
    assert {w.dtype for w in weights} == {"float32"}
    for value, high, low in ((mean, 1, 4), (covariance, 2, 5)):
        np.testing.assert_allclose(
            weights[high].numpy().astype("float64") + weights[low].numpy(),
            value,
            rtol=1e-13,
        )


def test_loads_the_float64_weights_of_earlier_files():
    x = _data()
    layer = Whitening(mode="zca")
    layer.adapt(x)
    # Files saved by earlier 0.1.0 builds hold float64 count, mean and
    # covariance, not the float32 pairs.
    legacy = {
        "0": np.float64(600.0),
        "1": x.astype("float64").mean(0),
        "2": np.cov(x.astype("float64"), rowvar=False),
    }
    loaded = Whitening(mode="zca")
    loaded.build((None, 8))
    loaded.load_own_variables(legacy)
    assert float(loaded.count.numpy()) == 600
    np.testing.assert_allclose(_numpy(loaded(x)), _numpy(layer(x)), atol=1e-4)


def test_steps_limits_the_batches():
    x = _data()
    layer = Whitening(mode="center")
    layer.adapt(x, batch_size=100, steps=2)
    assert float(layer.count.numpy()) == 200
    np.testing.assert_allclose(layer.mean, x[:200].mean(axis=0), rtol=1e-5)


def test_given_statistics_need_no_adapt():
    x = _data()
    adapted = Whitening(mode="zca")
    adapted.adapt(x)
    given = Whitening(
        mode="zca", mean=x.mean(axis=0), covariance=np.cov(x, rowvar=False)
    )
    np.testing.assert_allclose(_numpy(given(x)), _numpy(adapted(x)), atol=1e-4)
    restored = Whitening.from_config(given.get_config())
    np.testing.assert_allclose(_numpy(restored(x)), _numpy(given(x)), atol=1e-6)


def test_nan_and_inf_are_reported_with_count_and_batch():
    x = _data()
    x[250, 1] = np.nan
    x[260, 3] = np.inf
    with pytest.raises(ValueError, match=r"batch 2 .*holds 2 NaN or Inf"):
        Whitening().adapt(x, batch_size=100)


def test_call_before_adapt_raises():
    layer = Whitening(mode="pca_whiten")
    with pytest.raises(ValueError, match=r"call `layer.adapt\(data\)` first"):
        layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="adapt"):
        _ = layer.mean


def test_feature_count_mismatch_raises():
    layer = Whitening()
    layer.adapt(_data(d=8))
    with pytest.raises(
        ValueError,
        match=r"adapted on 8 features but received inputs with 5.*"
        r"inputs.shape=\(3, 5\)",
    ):
        layer(np.zeros((3, 5), "float32"))
    with pytest.raises(
        ValueError, match=r"batch 0 has examples of shape \(5,\)"
    ):
        layer.adapt(np.zeros((10, 5), "float32"))


def test_too_many_components_raises():
    with pytest.raises(
        ValueError,
        match=r"at most the number of features \(8\).*n_components=9",
    ):
        Whitening(mode="pca", n_components=9).adapt(_data(d=8))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"mode": "pcaa"}, "mode.*Received: mode='pcaa'"),
        ({"n_components": 1.5}, "n_components.*Received: n_components=1.5"),
        ({"n_components": 0}, "n_components"),
        ({"epsilon": -1.0}, "epsilon.*Received: epsilon=-1.0"),
        ({"per_channel": 1}, "per_channel"),
        ({"mean": [0.0, 0.0]}, "together"),
    ],
)
def test_invalid_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Whitening(**kwargs)


def test_invalid_adapt_arguments():
    with pytest.raises(ValueError, match="batch_size.*Received: batch_size=0"):
        Whitening().adapt(_data(), batch_size=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        Whitening().adapt(_data(n=1))
    with pytest.raises(TypeError, match="data"):
        Whitening().adapt(3.0)


def test_rank_deficient_covariance_warns(caplog):
    with caplog.at_level(logging.WARNING):
        Whitening(mode="zca").adapt(_data(n=5, d=8))
    assert "rank-deficient" in caplog.text and "epsilon" in caplog.text


def test_fractional_components_need_adapt_for_symbolic_calls():
    layer = Whitening(mode="pca", n_components=0.5)
    with pytest.raises(ValueError, match="only after `adapt"):
        layer(keras.Input((8,)))


def _model(layer, shape):
    inputs = keras.Input(shape)
    return keras.Model(
        inputs, keras.layers.Dense(2, name="head")(layer(inputs))
    )


def test_keras_round_trip_in_a_fresh_process(tmp_path):
    x = _data()
    layer = Whitening(mode="pca_whiten", n_components=0.8, name="white")
    layer.adapt(x)
    model = _model(layer, (8,))
    path = str(tmp_path / "model.keras")
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(f"""
        import numpy as np, keras
        import keras_training_kit.layers
        model = keras.saving.load_model({path!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        np.save({str(tmp_path / "out.npy")!r}, model.predict(x, verbose=0))
        layer = model.get_layer("white")
        np.save({str(tmp_path / "components.npy")!r}, layer.components)
        """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run(
        [sys.executable, "-c", script], check=True, env=env, timeout=120
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "out.npy"), model.predict(x, verbose=0)
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "components.npy"), layer.components
    )


def test_jit_compile_matches_eager():
    x = _data()
    layer = Whitening(mode="zca")
    layer.adapt(x)
    model = _model(layer, (8,))
    model.compile(loss="mse", jit_compile=True)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), _numpy(model(x)), atol=1e-4
    )


def test_mixed_precision_computes_in_float32(mixed_precision):
    x = _data()
    layer = Whitening(mode="pca_whiten")
    layer.adapt(x)
    assert layer.compute_dtype == "float32"
    out = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    model = _model(layer, (8,))
    assert model.get_layer("head").compute_dtype == "float16"
    reference = Whitening(mode="pca_whiten", dtype="float32")
    reference.adapt(x)
    np.testing.assert_allclose(_numpy(out), _numpy(reference(x)), atol=1e-5)


@requires_tensorflow
def test_mirrored_strategy(mirrored_strategy):
    import tensorflow as tf

    x = _data()
    expected_layer = Whitening(mode="zca")
    expected_layer.adapt(x)
    with mirrored_strategy.scope():
        layer = Whitening(mode="zca")
        layer.adapt(tf.data.Dataset.from_tensor_slices(x), batch_size=100)
        model = keras.Sequential([keras.Input((8,)), layer])
        model.compile(loss="mse")
    out = model.predict(x, batch_size=64, verbose=0)
    np.testing.assert_allclose(out, _numpy(expected_layer(x)), atol=1e-4)


def test_blocked_accumulation_matches_numpy_for_many_features():
    # >= 512 features takes the block-triangular GEMM path of `adapt`.
    from keras_training_kit.layers import Whitening

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((700, 520)) * rng.uniform(0.5, 2, 520) + 3).astype(
        "float32"
    )
    layer = Whitening(mode="center")
    layer.adapt(x, batch_size=256)
    np.testing.assert_allclose(
        layer.mean, x.astype("float64").mean(axis=0), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        layer.adapted_covariance.numpy(),
        np.cov(x.astype("float64"), rowvar=False),
        rtol=1e-4,
        atol=1e-4,
    )
