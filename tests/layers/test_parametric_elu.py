import keras
import numpy as np
import pytest

from keras_training_kit.layers import ParametricELU
from keras_training_kit.layers.parametric_elu import MinValue


def pelu_reference(x, a, b):
    return np.where(x >= 0, a / b * x, a * (np.exp(x / b) - 1.0))


def random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_defaults_are_elu():
    x = random((4, 5)) * 3
    y = keras.ops.convert_to_numpy(ParametricELU()(x))
    np.testing.assert_allclose(
        y, keras.ops.convert_to_numpy(keras.layers.ELU()(x)), rtol=1e-6
    )


@pytest.mark.parametrize(
    "shape, shared_axes, param_shape",
    [
        ((3, 4, 5, 6), [1, 2], (1, 1, 6)),
        ((3, 7), None, (7,)),
        ((3, 4, 5), 1, (1, 5)),
    ],
)
def test_matches_reference(shape, shared_axes, param_shape):
    layer = ParametricELU(shared_axes=shared_axes)
    layer.build(shape)
    assert tuple(layer.a.shape) == param_shape
    rng = np.random.default_rng(1)
    a = rng.uniform(0.2, 3.0, param_shape).astype("float32")
    b = rng.uniform(0.2, 3.0, param_shape).astype("float32")
    layer.a.assign(a)
    layer.b.assign(b)
    x = random(shape) * 2
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)),
        pelu_reference(x, a, b),
        rtol=1e-5,
        atol=1e-6,
    )


def test_parameters_are_learned_and_stay_positive():
    model = keras.Sequential([keras.Input((4,)), ParametricELU()])
    model.compile(optimizer=keras.optimizers.SGD(100.0), loss="mse")
    x = random((32, 4))
    # A huge step towards a negative output pushes a and b below zero unless
    # the constraints clip them.
    model.fit(
        x,
        np.full((32, 4), -50.0, "float32"),
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    layer = model.layers[0]
    a = keras.ops.convert_to_numpy(layer.a)
    b = keras.ops.convert_to_numpy(layer.b)
    assert not np.allclose(a, 1.0) or not np.allclose(b, 1.0)
    assert a.min() >= 0.1 - 1e-7 and b.min() >= 0.1 - 1e-7


def test_min_value_constraint():
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(
            MinValue(0.5)(np.array([-1.0, 0.2, 2.0], "float32"))
        ),
        [0.5, 0.5, 2.0],
    )
    with pytest.raises(ValueError, match="min_value=0"):
        MinValue(0)


def test_shared_axes_errors():
    with pytest.raises(ValueError, match="shared_axes"):
        ParametricELU(shared_axes=[0])(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="share the unknown"):
        ParametricELU()(keras.Input((None, 4)))
    assert ParametricELU(shared_axes=1)(keras.Input((None, 4))).shape[1:] == (
        None,
        4,
    )


def test_mixed_precision(mixed_precision):
    layer = ParametricELU()
    y = layer(random((2, 3)))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert layer.a.dtype == "float32"


def test_keras_file_reloads_in_a_fresh_process(reload_in_fresh_process):
    inputs = keras.Input((5, 5, 3))
    x = keras.layers.Conv2D(4, 3)(inputs)
    outputs = ParametricELU(shared_axes=[1, 2], a_regularizer="l2")(x)
    model = keras.Model(inputs, outputs)
    model.layers[-1].a.assign(np.array([[[0.5, 1.0, 2.0, 3.0]]], "float32"))
    x = random((2, 5, 5, 3))
    reloaded = reload_in_fresh_process(model, x, ["keras_training_kit.layers"])
    np.testing.assert_allclose(reloaded, model.predict(x, verbose=0), rtol=1e-6)
    config = model.layers[-1].get_config()
    assert config["a_constraint"]["config"] == {"min_value": 0.1}
