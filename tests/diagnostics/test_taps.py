"""Model taps: the tap model, layer selection, probe batch and probe."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_training_kit.diagnostics.activation_probe import ActivationProbe
from keras_training_kit.diagnostics.probe_data import probe_inputs
from keras_training_kit.diagnostics.taps import check_layer_selection
from keras_training_kit.diagnostics.taps import perturbed_tap_model
from keras_training_kit.diagnostics.taps import select_layers
from keras_training_kit.diagnostics.taps import tap_model

_X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")


def _nested_model():
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="a")],
        name="inner",
    )
    shared = keras.layers.Dense(5, name="shared")
    x = keras.Input((4,))
    h = shared(inner(x))
    h = keras.layers.Activation("tanh", name="act")(shared(h))
    return keras.Model(x, keras.layers.Dense(2, name="out")(h))


def test_tap_model_outputs_every_layer_and_shares_weights():
    model = _nested_model()
    taps, entries = tap_model(model)
    names = [name for name, _ in entries]
    assert names == ["inner/a", "shared", "shared_call2", "act", "out"]
    outputs = [keras.ops.convert_to_numpy(t) for t in taps(_X)]
    np.testing.assert_allclose(
        outputs[0], keras.ops.convert_to_numpy(model(_X)), rtol=1e-6
    )
    inner = model.get_layer("inner")
    np.testing.assert_allclose(
        outputs[1], keras.ops.convert_to_numpy(inner(_X)), rtol=1e-6
    )
    assert entries[1][1] is model.get_layer("shared")
    assert len(taps.weights) == len(model.weights)


def test_perturbed_taps_add_the_offsets_to_the_outputs():
    model = keras.Sequential(
        [
            keras.Input((5, 5, 2)),
            keras.layers.Conv2D(3, 2, name="conv"),
            keras.layers.ReLU(name="relu"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(2, name="out"),
        ]
    )
    taps, entries, perturbation = perturbed_tap_model(model)
    assert [name for name, _ in entries] == ["conv", "relu", "flat", "out"]
    assert perturbation.shapes == [(4, 4, 3), (4, 4, 3), (48,), (2,)]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 5, 5, 2)).astype("float32")
    offsets = [
        rng.normal(size=(6, *shape)).astype("float32")
        for shape in perturbation.shapes
    ]
    conv = keras.ops.convert_to_numpy(taps(x)[1])
    with perturbation.applied(offsets):
        outputs = [keras.ops.convert_to_numpy(t) for t in taps(x)]
    # Each output is the layer's output minus its offset, and the next
    # layer reads it.
    np.testing.assert_allclose(outputs[1], conv - offsets[0], rtol=1e-6)
    relu = np.maximum(conv - offsets[0], 0) - offsets[1]
    np.testing.assert_allclose(outputs[2], relu, rtol=1e-6)
    flat = relu.reshape(6, -1) - offsets[2]
    np.testing.assert_allclose(outputs[3], flat, rtol=1e-6)
    kernel, bias = (
        keras.ops.convert_to_numpy(w) for w in model.layers[-1].weights
    )
    expected = flat @ kernel + bias - offsets[3]
    np.testing.assert_allclose(outputs[0], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs[4], outputs[0])


def test_subclassed_model_is_refused():
    class Net(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="Pass `probe_model`"):
        tap_model(Net())


def test_select_layers():
    _, entries = tap_model(_nested_model())
    by_default = [n for n, _ in select_layers(entries, None)]
    assert by_default == ["inner/a", "shared", "shared_call2", "act", "out"]
    # A regex matches the full name or the name inside its sub-model.
    assert [n for n, _ in select_layers(entries, "a|out")] == [
        "inner/a",
        "out",
    ]
    assert [n for n, _ in select_layers(entries, ["act"])] == ["act"]
    with pytest.raises(ValueError, match="does not have: \\['b'\\]"):
        select_layers(entries, ["b"])
    with pytest.raises(ValueError, match="selects no layer"):
        select_layers(entries, "zzz")


def test_check_layer_selection():
    check_layer_selection(None)
    check_layer_selection(["a", "b"])
    with pytest.raises(TypeError, match="layers=3"):
        check_layer_selection(3)
    with pytest.raises(ValueError, match="not a valid regex"):
        check_layer_selection("(")


def test_probe_inputs_of_every_kind():
    model = _nested_model()
    normal = probe_inputs(model, None, 8, seed=3)
    np.testing.assert_array_equal(
        normal,
        np.random.default_rng(3).standard_normal((8, 4)).astype("float32"),
    )
    assert normal.dtype == np.float32
    np.testing.assert_array_equal(probe_inputs(model, _X, 5, 0), _X[:5])
    y = np.zeros(16)
    np.testing.assert_array_equal(probe_inputs(model, (_X, y), 5, 0), _X[:5])
    examples = tf.data.Dataset.from_tensor_slices((_X, y))
    for data in (examples, examples.batch(3)):
        np.testing.assert_array_equal(probe_inputs(model, data, 7, 0), _X[:7])
    ids = keras.Input((3,), dtype="int32")
    embedded = keras.layers.Embedding(10, 2)(ids)
    with pytest.raises(ValueError, match="non-float inputs"):
        probe_inputs(keras.Model(ids, embedded), None, 4, 0)


def test_probe_statistics_and_update_ratio():
    model = _nested_model()
    probe = ActivationProbe(model, ["inner/a", "act"], _X, 16, 0, 8, False)
    assert probe.names == ["inner/a", "act"]
    assert probe.saturation == [None, "tanh"]
    records, ratios = probe()
    a = keras.ops.convert_to_numpy(model.get_layer("inner")(_X))
    assert records[0]["mean"] == pytest.approx(a.mean(), rel=1e-5)
    assert ratios == {"inner/a": 0.0}
    kernel = model.get_layer("inner").get_layer("a").kernel
    before = keras.ops.convert_to_numpy(kernel)
    kernel.assign(before * 1.5)
    _, ratios = probe()
    assert ratios["inner/a"] == pytest.approx(0.5, rel=1e-5)
    probe.snapshot()
    assert probe()[1]["inner/a"] == 0.0
