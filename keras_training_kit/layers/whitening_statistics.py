"""The float64 statistics behind `Whitening`: storage and transforms.

JAX keeps float64 arrays as float32 unless x64 is enabled, so a float64
weight would silently lose half its digits there. `Whitening` stores each
float64 statistic as two float32 weights instead, the rounded value and
the rounding residual (`split_float64`): together they hold about 48 bits
of mantissa on every backend, in the same bytes as one float64 weight, and
the transform is always derived from the float64 sum on the host
(`whitening_transform`).
"""

import numpy as np

from keras_training_kit.layers.streaming_covariance import principal_axes


def split_float64(value) -> tuple:
    """Splits float64 values into float32 `(rounded, residual)` parts.

    Example:

    >>> high, low = split_float64(np.float64(1.0) / 3.0)
    >>> bool(abs(join_float64(high, low) - 1.0 / 3.0) < 1e-15)
    True
    >>> bool(abs(np.float64(high) - 1.0 / 3.0) < 1e-9)
    False
    """
    value = np.asarray(value, dtype="float64")
    high = value.astype("float32")
    low = (value - high.astype("float64")).astype("float32")
    return high, low


def join_float64(high, low) -> np.ndarray:
    """The float64 values stored by `split_float64` (relative error 2^-48)."""
    return np.asarray(high, dtype="float64") + np.asarray(low, dtype="float64")


def resolve_components(n_components, eigenvalues) -> int:
    """The number of kept components for `n_components` (int/float/None)."""
    d = eigenvalues.shape[0]
    if n_components is None:
        return d
    if isinstance(n_components, int):
        return n_components
    total = eigenvalues.sum()
    if total <= 0:
        return d
    cumulative = np.cumsum(eigenvalues) / total
    return int(
        min(np.searchsorted(cumulative, n_components, side="right") + 1, d)
    )


def whitening_transform(mode, covariance, epsilon, n_components) -> dict:
    """The float64 forward and inverse matrices of a `Whitening` mode.

    Args:
        mode: str, a `Whitening` mode.
        covariance: float64 array `(d, d)`, the covariance (ddof=1).
        epsilon: float, added to each eigenvalue (or variance).
        n_components: `None`, int or float, as for `Whitening`.

    Returns:
        A dict with `forward` and `backward` (`None` for `"center"`, a
        `(d,)` scale for `"standardize"`, else a matrix), `kept`,
        `variance` (the diagonal) and, for the PCA modes, the descending
        `eigenvalues` and `eigenvectors` (else `None`).
    """
    variance = np.clip(np.diag(covariance), 0.0, None)
    result = {
        "variance": variance,
        "eigenvalues": None,
        "eigenvectors": None,
        "kept": covariance.shape[0],
    }
    if mode == "center":
        return {**result, "forward": None, "backward": None}
    if mode == "standardize":
        scale = np.sqrt(variance + epsilon)
        return {**result, "forward": 1.0 / scale, "backward": scale}
    eigenvalues, eigenvectors = principal_axes(covariance)
    k = resolve_components(n_components, eigenvalues)
    basis = eigenvectors[:, :k]
    scale = np.sqrt(eigenvalues[:k] + epsilon)
    if mode == "pca":
        forward, backward = basis, basis.T
    elif mode == "pca_whiten":
        forward, backward = basis / scale, scale[:, None] * basis.T
    else:
        forward = (basis / scale) @ basis.T
        backward = (basis * scale) @ basis.T
    return {
        **result,
        "eigenvalues": eigenvalues,
        "eigenvectors": eigenvectors,
        "kept": k,
        "forward": forward,
        "backward": backward,
    }
