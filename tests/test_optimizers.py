import keras
import pytest

from keras_training_kit.optimizers import OPTIMIZERS
from keras_training_kit.optimizers import build_optimizer


@pytest.mark.parametrize(
    "name,cls,momentum,nesterov",
    [
        ("sgd", keras.optimizers.SGD, 0.0, False),
        ("momentum", keras.optimizers.SGD, 0.9, False),
        ("nesterov", keras.optimizers.SGD, 0.9, True),
        ("rmsprop", keras.optimizers.RMSprop, None, None),
        ("adam", keras.optimizers.Adam, None, None),
        ("adamw", keras.optimizers.AdamW, None, None),
    ],
)
def test_build_optimizer(name, cls, momentum, nesterov):
    optimizer = build_optimizer(name, 0.05)
    assert type(optimizer) is cls
    assert float(optimizer.learning_rate) == pytest.approx(0.05)
    if momentum is not None:
        assert optimizer.momentum == momentum
        assert optimizer.nesterov == nesterov


def test_every_name_builds_a_keras_optimizer_that_steps():
    for name in OPTIMIZERS:
        optimizer = build_optimizer(name, 0.1)
        assert isinstance(optimizer, keras.optimizers.Optimizer), name
        weight = keras.Variable([1.0, -1.0])
        optimizer.apply_gradients(
            [(keras.ops.convert_to_tensor([1.0, 1.0]), weight)]
        )
        # One step against a positive gradient lowers both weights.
        assert all(keras.ops.convert_to_numpy(weight) < [1.0, -1.0]), name


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "lbfgs"}, "optimizer.*Received: optimizer='lbfgs'"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"momentum": 1.0}, "momentum"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_optimizer(**kwargs)
