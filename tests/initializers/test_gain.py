import math

import pytest

from keras_training_kit.initializers import calculate_gain


@pytest.mark.parametrize(
    "name, param, expected",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3.0),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, 1.4141428569978354),
        ("leaky_relu", 0.01, 1.4141428569978354),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2.0)),
        ("selu", None, 0.75),
    ],
)
def test_table(name, param, expected):
    assert calculate_gain(name, param) == expected


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=r"one of \(.*'tanh'.*'selu'\).*nonlinearity='swish'"
    ):
        calculate_gain("swish")


def test_bad_slope():
    with pytest.raises(ValueError, match="param=True"):
        calculate_gain("leaky_relu", True)
