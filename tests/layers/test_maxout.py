import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_training_kit.layers import Maxout
from keras_training_kit.models import build_cnn
from keras_training_kit.models import build_mlp
from tests.conftest import requires_tensorflow


def maxout_reference(x, num_units, axis=-1):
    """tfa's Maxout: C -> (C // num_units, num_units), max over the first."""
    axis = axis % x.ndim
    shape = (
        x.shape[:axis]
        + (x.shape[axis] // num_units, num_units)
        + x.shape[axis + 1 :]
    )
    return x.reshape(shape).max(axis=axis)


def random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(
    "num_units, axis, shape, expected",
    [
        # tensorflow-addons' maxout_test.py: test_simple and test_nchw.
        (3, -1, (5, 4, 2, 18), (5, 4, 2, 3)),
        (4, 1, (2, 20, 3, 6), (2, 4, 3, 6)),
        (4, -3, (2, 20, 3, 6), (2, 4, 3, 6)),
        (5, -1, (7, 10), (7, 5)),
        (2, 2, (3, 4, 6, 5, 2), (3, 4, 2, 5, 2)),
    ],
)
def test_matches_reference(num_units, axis, shape, expected):
    x = random(shape)
    layer = Maxout(num_units, axis=axis)
    y = keras.ops.convert_to_numpy(layer(x))
    assert y.shape == expected
    assert layer.compute_output_shape(shape) == expected
    np.testing.assert_array_equal(y, maxout_reference(x, num_units, axis))


def test_competitors_are_strided():
    x = np.array([[0.0, 10.0, 2.0, 3.0, 4.0, 5.0]], "float32")
    # Unit 0 takes channels 0, 3; unit 1 takes 1, 4; unit 2 takes 2, 5.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(Maxout(3)(x)), [[3.0, 10.0, 5.0]]
    )


@pytest.mark.parametrize("input_shape", [(4, 2, None), (None, None, None)])
def test_unknown_dimensions(input_shape):
    # tensorflow-addons' test_unknown: symbolic shapes with unknown sizes.
    x = random((5, 4, 2, 18))
    inputs = keras.Input(input_shape)
    outputs = Maxout(3)(inputs)
    assert tuple(outputs.shape) == (None,) + tuple(input_shape[:-1]) + (3,)
    model = keras.Model(inputs, outputs)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), maxout_reference(x, 3)
    )


@requires_tensorflow  # tf.function with an input signature
def test_xla_with_unknown_batch_and_spatial_sizes():
    layer = Maxout(2, axis=1)
    fn = tf.function(
        layer,
        jit_compile=True,
        input_signature=[tf.TensorSpec((None, 6, None), tf.float32)],
    )
    for shape in [(2, 6, 3), (5, 6, 1)]:
        x = random(shape)
        np.testing.assert_array_equal(
            fn(x).numpy(), maxout_reference(x, 2, axis=1)
        )


def test_seven_channels_error_names_both_numbers():
    # tensorflow-addons' test_invalid_shape.
    with pytest.raises(
        ValueError, match=r"number of features \(7\).*num_units.*\(3\)"
    ):
        Maxout(3)(keras.Input((4, 2, 7)))
    with pytest.raises(ValueError, match=r"\(20\).*\(3\)"):
        Maxout(3, axis=1)(keras.Input((20, 3, 6)))


def test_argument_errors():
    with pytest.raises(ValueError, match="num_units=0"):
        Maxout(0)
    with pytest.raises(ValueError, match="axis=1.5"):
        Maxout(2, axis=1.5)
    with pytest.raises(ValueError, match="axis=3"):
        Maxout(2, axis=3)(keras.Input((4, 4)))


@requires_tensorflow  # tf.GradientTape
def test_gradient_flows_only_to_the_winner():
    x = tf.constant(random((4, 3, 12), seed=1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = Maxout(4)(x)
        loss = tf.reduce_sum(y * tf.constant(random((4, 3, 4), seed=2)))
    grad = tape.gradient(loss, x).numpy()
    upstream = random((4, 3, 4), seed=2)
    grouped = x.numpy().reshape(4, 3, 3, 4)
    winners = grouped.argmax(axis=2)
    expected = np.zeros_like(grouped)
    i, j, k = np.indices(winners.shape)
    expected[i, j, winners, k] = upstream
    np.testing.assert_allclose(grad, expected.reshape(4, 3, 12))
    assert np.count_nonzero(grad) == upstream.size


def test_mixed_precision(mixed_precision):
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(8), Maxout(4)]
    )
    y = model(random((3, 5)))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert y.shape == (3, 4)


def test_builders_accept_maxout():
    mlp = build_mlp((6,), 3, (4, 5), activation="maxout", maxout_pieces=3)
    maxouts = [layer for layer in mlp.layers if isinstance(layer, Maxout)]
    assert [m.num_units for m in maxouts] == [4, 5]
    linear_units = [
        layer.units
        for layer in mlp.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert linear_units[:2] == [12, 15]
    assert mlp.output_shape == (None, 3)
    assert mlp(random((2, 6))).shape == (2, 3)

    cnn = build_cnn(
        (8, 8, 1),
        3,
        (4,),
        dense_units=(5,),
        activation="maxout",
        maxout_pieces=2,
    )
    convs = [
        layer for layer in cnn.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    assert convs[0].filters == 8
    assert [m.num_units for m in cnn.layers if isinstance(m, Maxout)] == [4, 5]
    assert cnn(random((2, 8, 8, 1))).shape == (2, 3)


def test_config_round_trip():
    layer = Maxout(4, axis=1, name="m")
    clone = Maxout.from_config(layer.get_config())
    assert (clone.num_units, clone.axis, clone.name) == (4, 1, "m")


def test_keras_file_reloads_in_a_fresh_process(reload_in_fresh_process):
    inputs = keras.Input((4, 4, 6))
    x = Maxout(3)(inputs)
    x = keras.layers.Conv2D(4, 1)(x)
    outputs = Maxout(2, axis=1)(keras.layers.Permute((3, 1, 2))(x))
    model = keras.Model(inputs, outputs)
    x = random((2, 4, 4, 6))
    reloaded = reload_in_fresh_process(model, x, ["keras_training_kit.layers"])
    np.testing.assert_allclose(reloaded, model.predict(x, verbose=0), rtol=1e-6)


def test_trains_under_mirrored_strategy(mirrored_strategy):
    # XLA is covered above; XLA with MirroredStrategy over logical CPU
    # devices hits TensorFlow's known "variable on a different device" issue.
    from keras_training_kit.layers import ParametricELU

    with mirrored_strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(4 * 3),
                Maxout(4),
                ParametricELU(),
                keras.layers.Dense(2),
            ]
        )
        model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    x, y = random((16, 6)), random((16, 2), seed=1)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
