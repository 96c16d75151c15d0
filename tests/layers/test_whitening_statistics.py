import numpy as np
import pytest

from keras_training_kit.layers.whitening_statistics import join_float64
from keras_training_kit.layers.whitening_statistics import resolve_components
from keras_training_kit.layers.whitening_statistics import split_float64
from keras_training_kit.layers.whitening_statistics import whitening_transform


def test_float32_pairs_keep_float64_values():
    values = np.random.default_rng(0).normal(size=1000) * 10.0 ** np.arange(
        -10, 10, 0.02
    )
    high, low = split_float64(values)
    assert high.dtype == low.dtype == np.float32
    np.testing.assert_allclose(join_float64(high, low), values, rtol=1e-14)
    # A float32 alone keeps about 7 digits.
    assert np.max(np.abs(high / values - 1)) > 1e-9


@pytest.mark.parametrize(
    "n_components,expected", [(None, 3), (2, 2), (0.5, 1), (0.8, 2)]
)
def test_resolve_components(n_components, expected):
    eigenvalues = np.array([6.0, 3.0, 1.0])
    assert resolve_components(n_components, eigenvalues) == expected


def test_zca_transform_whitens_the_covariance():
    rng = np.random.default_rng(0)
    covariance = np.cov(
        rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4)).T, rowvar=False
    )
    transform = whitening_transform("zca", covariance, 0.0, None)
    forward = transform["forward"]
    np.testing.assert_allclose(
        forward.T @ covariance @ forward, np.eye(4), atol=1e-10
    )
    np.testing.assert_allclose(
        forward @ transform["backward"], np.eye(4), atol=1e-10
    )
    assert whitening_transform("center", covariance, 0.0, None)["forward"] is (
        None
    )
