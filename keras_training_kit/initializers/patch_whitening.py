"""`patch_whitening_kernel()`: Conv2D filters that PCA-whiten image patches."""

import itertools

import keras
import numpy as np

from keras_training_kit.layers.streaming_covariance import StreamingCovariance
from keras_training_kit.layers.streaming_covariance import feature_batches
from keras_training_kit.layers.streaming_covariance import principal_axes
from keras_training_kit.layers.streaming_covariance import to_tensor
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

# Images per step when patches are extracted: bounds the memory of one step
# to batch * H * W * (kh * kw * C) floats.
PATCH_BATCH_SIZE = 64


def _patch_rows(images, kh, kw):
    """The `kh x kw` patches (stride 1, valid) of images, one per row.

    Rows are laid out (row, column, channel), the order of a flattened
    Conv2D kernel `(kh, kw, C)`. Built from `kh * kw` shifted slices: pure
    data movement, so exact on every backend and device (a convolution
    with an identity kernel may run in TF32 on a GPU).
    """
    ops = keras.ops
    images = to_tensor(images)
    _, height, width, channels = images.shape
    rows, columns = height - kh + 1, width - kw + 1
    windows = [
        images[:, i : i + rows, j : j + columns, :]
        for i in range(kh)
        for j in range(kw)
    ]
    return ops.reshape(ops.stack(windows, axis=3), (-1, kh * kw * channels))


def patch_whitening_kernel(
    images,
    kernel_size: int | tuple = 2,
    epsilon: float = 5e-4,
    return_bias: bool = False,
    batch_size: int = PATCH_BATCH_SIZE,
):
    """Returns a Conv2D kernel whose filters PCA-whiten the image patches.

    Every `kernel_size` patch of `images` (stride 1, `"valid"` padding) is a
    vector of `kh * kw * C` values. Their covariance (ddof=1) is accumulated
    by `StreamingCovariance` (as in `Whitening.adapt()`: streaming, float64),
    and its eigenvectors, scaled
    by `1 / sqrt(eigenvalue + epsilon)`, become the filters, followed by
    their negatives, as in the airbench CIFAR-10 recipe (Jordan, 2024): a
    convolution with this kernel maps each centered patch to its whitened
    principal coordinates, and the `+/-` pairs keep both signs through a
    ReLU-like activation.

    Args:
        images: array or tensor of shape `(N, H, W, C)` (channels last), a
            `tf.data.Dataset` of such image batches (or of
            `(images, labels)` batches), or any iterable of such batches.
        kernel_size: int or `(kh, kw)`, the patch size. Defaults to `2`.
        epsilon: float >= 0, added to each eigenvalue; bounds the gain of
            the low-variance directions. Defaults to `5e-4`.
        return_bias: bool, also return the bias that subtracts the mean
            patch (`-mean_patch . filter` per filter). Defaults to `False`.
        batch_size: int, images per patch-extraction step for arrays.
            Defaults to `64`.

    Returns:
        A float32 NumPy kernel of shape `(kh, kw, C, 2 * kh * kw * C)`, or
        `(kernel, bias)` with `return_bias=True` (bias of shape
        `(2 * kh * kw * C,)`).

    Raises:
        ValueError: for images that are not of rank 4, a `kernel_size`
            larger than the images, or an invalid option.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((32, 8, 8, 3), "float32")
    >>> kernel = patch_whitening_kernel(images, kernel_size=2)
    >>> kernel.shape
    (2, 2, 3, 24)

    References:
        - Keller Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU"
          (airbench), 2024.
    """
    given = kernel_size
    if isinstance(kernel_size, int) and not isinstance(kernel_size, bool):
        kernel_size = (kernel_size, kernel_size)
    if not (
        isinstance(kernel_size, (tuple, list))
        and len(kernel_size) == 2
        and all(
            isinstance(k, int) and not isinstance(k, bool) and k > 0
            for k in kernel_size
        )
    ):
        raise ValueError(
            "`kernel_size` must be a positive int or a pair of positive ints. "
            f"Received: kernel_size={given!r}"
        )
    check_int("batch_size", batch_size)
    check_float("epsilon", epsilon, 0)
    kh, kw = kernel_size
    # Arrays are cut into `batch_size` images; datasets and iterables come
    # batched.
    sliced = hasattr(images, "shape")
    batches = feature_batches(images, batch_size if sliced else None)
    first = next(iter(batches), None) if not sliced else None
    shape = tuple(images.shape if sliced else np.shape(first))
    if len(shape) != 4:
        raise ValueError(
            "`images` must have shape (N, H, W, C) (batches of images for a "
            f"dataset). Received: images with shape {shape}"
        )
    height, width, channels = shape[1:]
    if kh > height or kw > width:
        raise ValueError(
            f"`kernel_size` must fit in the images ({height}x{width}). "
            f"Received: kernel_size={(kh, kw)}"
        )
    features = kh * kw * channels
    statistics = StreamingCovariance(features)
    if first is not None:
        batches = itertools.chain([first], batches)
    for batch in batches:
        statistics.update(_patch_rows(batch, kh, kw))
    eigenvalues, eigenvectors = principal_axes(statistics.covariance())
    # One filter per eigenvector, by decreasing eigenvalue.
    filters = eigenvectors.T / np.sqrt(eigenvalues + epsilon)[:, None]
    filters = np.concatenate([filters, -filters], axis=0)
    kernel = filters.T.reshape(kh, kw, channels, 2 * features).astype("float32")
    if not return_bias:
        return kernel
    bias = -(filters @ statistics.mean)
    return kernel, bias.astype("float32")
