"""Tests of `GradientProbe` against each backend's own autodiff."""

import os
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from autodiff import reference_gradients  # noqa: E402

from keras_training_kit.diagnostics import gradient_probe  # noqa: E402
from keras_training_kit.diagnostics.gradient_probe import (  # noqa: E402
    GradientProbe,
)
from keras_training_kit.diagnostics.gradient_probe import (  # noqa: E402
    shared_probe,
)


def _model(dropout=0.0, batch_norm=False, seed=1):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((5,)), keras.layers.Dense(8, name="hidden")]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization(name="bn"))
    layers.append(keras.layers.Activation("tanh", name="act"))
    if dropout:
        layers.append(keras.layers.Dropout(dropout, seed=3, name="drop"))
    layers.append(
        keras.layers.Dense(
            3, name="out", kernel_regularizer=keras.regularizers.L2(0.01)
        )
    )
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="mse")
    return model


def _data(n=16):
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((n, 5)).astype("float32"),
        rng.standard_normal((n, 3)).astype("float32"),
    )


def test_gradients_match_the_backends_autodiff():
    model = _model()
    x, y = _data()
    step = GradientProbe(model)(x, y)
    reference = reference_gradients(model, x, y)
    assert len(step["gradients"]) == len(reference) == 4
    for got, want in zip(step["gradients"], reference):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got), want, rtol=1e-5, atol=1e-7
        )
    np.testing.assert_allclose(
        step["squared_norms"], [np.sum(g**2) for g in reference], rtol=1e-5
    )
    loss = model.compute_loss(x, y, model(x, training=True))
    np.testing.assert_allclose(step["loss"], float(loss), rtol=1e-6)


def test_backprop_std_is_the_per_example_gradient_of_the_output():
    # MSE over 3 outputs: the per-example loss's gradient with respect to
    # the prediction is 2 (p - y) / 3, whatever the batch size.
    model = _model()
    probe = GradientProbe(model, ["act", "out"])
    for n in (8, 32):
        x, y = _data(n)
        prediction = keras.ops.convert_to_numpy(model(x))
        out = probe(x, y)["layers"][1]
        np.testing.assert_allclose(
            out["backprop_std"], np.std(2 * (prediction - y) / 3), rtol=1e-5
        )
    act = probe(x, y)["layers"][0]
    forward = probe.activations(x)[0]
    assert forward == {k: act[k] for k in forward}
    hidden = np.tanh(
        x @ keras.ops.convert_to_numpy(model.get_layer("hidden").kernel)
    )
    np.testing.assert_allclose(act["activation_std"], hidden.std(), rtol=1e-5)
    assert act["saturated_fraction"] == np.mean(np.abs(hidden) > 0.99)
    assert probe(x, y)["layers"][1]["saturated_fraction"] is None


def test_no_variable_changes_in_training_mode():
    model = _model(dropout=0.5, batch_norm=True)
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # builds the optimizer
    before = [
        keras.ops.convert_to_numpy(v).copy()
        for v in model.variables + model.optimizer.variables
    ]
    probe = GradientProbe(model, ["hidden", "bn", "act", "drop", "out"])
    first = probe(x, y)
    second = probe(x, y)
    after = [
        keras.ops.convert_to_numpy(v)
        for v in model.variables + model.optimizer.variables
    ]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
    # The same seed state gives the same dropout mask: the same loss.
    assert first["loss"] == second["loss"]
    # Training mode: BatchNormalization normalizes with batch statistics.
    # Its output's mean is then the mean of beta, whatever moving
    # statistics it holds.
    bn = model.get_layer("bn")
    mean = first["layers"][probe.names.index("bn")]["activation_mean"]
    beta = np.mean(keras.ops.convert_to_numpy(bn.beta))
    np.testing.assert_allclose(mean, beta, atol=2e-6)


def test_nested_models_are_reached():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4, name="a")], name="inner"
    )
    inputs = keras.Input((5,))
    outputs = keras.layers.Dense(3, name="head")(inner(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(loss="mse")
    x, y = _data()
    probe = GradientProbe(model)
    assert probe.names == ["inner/a", "head"]
    step = probe(x, y)
    assert all(layer["backprop_std"] > 0 for layer in step["layers"])
    reference = reference_gradients(model, x, y)
    for got, want in zip(step["gradients"], reference):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got), want, rtol=1e-5, atol=1e-7
        )


def test_an_uncompiled_model_is_refused():
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1, use_bias=False)]
    )
    probe = GradientProbe(model)
    (forward,) = probe.activations(np.zeros((4, 2), "float32"))
    assert forward["dead_fraction"] == 1.0  # no bias: zeros in, zeros out
    with pytest.raises(ValueError, match="compile"):
        probe(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"))


def _unnamed_model(seed):
    # Keras names the layers (`dense_7`, ...): each model's are new.
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8),
            keras.layers.Activation("relu"),
            keras.layers.Dropout(0.5, seed=3),
            keras.layers.Dense(3),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def _no_tap_model(*args):
    raise AssertionError("a tap model was built")


def test_shared_probe_serves_a_model_of_the_same_architecture(monkeypatch):
    x, y = _data()
    first, second = _unnamed_model(1), _unnamed_model(2)
    probe = shared_probe(first)
    assert shared_probe(first) is probe  # the same model: the same probe
    with monkeypatch.context() as patch:
        # Its layers and variables are found by position, not by taps.
        patch.setattr(gradient_probe, "perturbed_tap_model", _no_tap_model)
        shared = shared_probe(second)
    assert shared is not probe and shared._step is probe._step
    own = GradientProbe(second)
    assert shared.names == own.names and own.names[0] == second.layers[0].name
    for part in ("layers", "_trainable", "_state"):
        assert list(map(id, getattr(shared, part))) == list(
            map(id, getattr(own, part))
        )
    # Exactly what a probe of its own computes, with the second model's
    # weights (and dropout seed).
    got, expected = shared(x, y), own(x, y)
    assert got["loss"] == expected["loss"]
    for g, e in zip(got["gradients"], expected["gradients"]):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(g), keras.ops.convert_to_numpy(e)
        )
    assert got["layers"] == expected["layers"]
    # Another architecture, or other layers, get their own.
    other = _model()
    assert shared_probe(other)._step is not probe._step
    third = _unnamed_model(3)
    assert shared_probe(third, ".*")._step is not probe._step
    assert shared_probe(third)._step is probe._step
