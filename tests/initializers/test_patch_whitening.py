import keras
import numpy as np
import pytest

import keras_training_kit.initializers.patch_whitening as patch_module
from keras_training_kit.initializers import patch_whitening_kernel
from tests.conftest import requires_tensorflow
from tests.layers.test_streaming_covariance import smallest_eigenvalue_error


def _images(n=24, size=7, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    # Neighbouring pixels and channels correlate, as in natural images.
    base = rng.random((n, size + 1, size + 1, channels))
    return (
        base[:, 1:, 1:]
        + base[:, :-1, :-1]
        + 0.5 * base.mean(-1, keepdims=True)[:, 1:, 1:]
    ).astype("float32")


def _patches(images, kh, kw):
    windows = np.lib.stride_tricks.sliding_window_view(
        images, (kh, kw), axis=(1, 2)
    )
    # (N, H', W', C, kh, kw) -> rows laid out (row, column, channel).
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(
        -1, kh * kw * images.shape[-1]
    )


def test_filters_are_scaled_eigenvectors_and_their_negatives():
    images = _images()
    kernel = patch_whitening_kernel(images, kernel_size=(2, 3), epsilon=1e-3)
    assert kernel.shape == (2, 3, 3, 36) and kernel.dtype == np.float32
    patches = _patches(images.astype("float64"), 2, 3)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(patches, rowvar=False))
    expected = (eigenvectors / np.sqrt(eigenvalues + 1e-3))[:, ::-1]
    filters = kernel.reshape(18, 36)
    positive, negative = filters[:, :18], filters[:, 18:]
    np.testing.assert_allclose(negative, -positive)
    signs = np.sign(np.sum(positive * expected, axis=0))
    np.testing.assert_allclose(positive * signs, expected, rtol=1e-3, atol=1e-3)


def test_convolution_whitens_the_patches():
    images = _images(n=40)
    kernel, bias = patch_whitening_kernel(
        images, kernel_size=2, epsilon=1e-6, return_bias=True
    )
    out = keras.ops.convert_to_numpy(keras.ops.conv(images, kernel)) + bias
    first_half = out.reshape(-1, 24)[:, :12]
    np.testing.assert_allclose(first_half.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(
        np.cov(first_half, rowvar=False), np.eye(12), atol=2e-3
    )


@pytest.mark.parametrize("batch_size", [5, 64])
def test_patch_covariance_is_float64_accurate(batch_size, monkeypatch):
    # One random level per image and channel plus faint pixel noise, around
    # 0.5: patch eigenvalues 4 and 1e-4, a non-zero mean.
    rng = np.random.default_rng(0)
    images = (
        0.5
        + rng.normal(size=(200, 1, 1, 3))
        + 1e-2 * rng.normal(size=(200, 12, 12, 3))
    ).astype("float32")
    seen = []
    principal_axes = patch_module.principal_axes

    def recorded(covariance):
        seen.append(covariance)
        return principal_axes(covariance)

    monkeypatch.setattr(patch_module, "principal_axes", recorded)
    patch_whitening_kernel(images, kernel_size=2, batch_size=batch_size)
    assert smallest_eigenvalue_error(seen[0], _patches(images, 2, 2)) <= 1e-9


def test_iterable_input_matches_array():
    images = _images()
    batches = (images[i : i + 5] for i in range(0, len(images), 5))
    np.testing.assert_allclose(
        patch_whitening_kernel(batches, 2),
        patch_whitening_kernel(images, 2),
        atol=1e-4,
    )


@requires_tensorflow
def test_dataset_input_matches_array():
    import tensorflow as tf

    images = _images()
    labels = np.zeros(len(images), "int32")
    from_array = patch_whitening_kernel(images, 2)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(5)
    np.testing.assert_allclose(
        patch_whitening_kernel(dataset, 2), from_array, atol=1e-4
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"kernel_size": 0}, "kernel_size.*Received: kernel_size=0"),
        ({"kernel_size": 9}, r"fit in the images \(7x7\)"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_invalid_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        patch_whitening_kernel(_images(), **kwargs)


def test_images_must_be_rank_4():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\).*shape \(7, 7, 3\)"):
        patch_whitening_kernel(_images()[0], 2)
