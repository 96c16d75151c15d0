"""Tests of `ActivationProbe`'s functions shared by one architecture."""

import keras
import numpy as np
import pytest

from keras_training_kit.diagnostics import activation_probe
from keras_training_kit.diagnostics.activation_probe import ActivationProbe

_X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")


def _model(seed):
    """Unnamed layers: each model's names differ (`dense_7`, `dense_9`)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("tanh"),
            keras.layers.Dense(3, activation="relu"),
        ]
    )


def _nested(seed):
    keras.utils.set_random_seed(seed)
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])
    x = keras.Input((4,))
    return keras.Model(x, keras.layers.Dense(2)(inner(x)))


def _figures(stats, ratios):
    return [
        keras.ops.convert_to_numpy(s) for s in keras.tree.flatten(stats)
    ] + [keras.ops.convert_to_numpy(ratios)]


def _probe(model):
    return ActivationProbe(model, None, _X, 16, 0, 8, False)


def _no_tap_model(*args):
    raise AssertionError("a tap model was built")


def test_a_model_of_the_same_architecture_borrows_the_traced_probe(
    monkeypatch,
):
    first, second = _model(1), _model(2)
    source = _probe(first)
    before = source()
    with monkeypatch.context() as patch:
        # Its layers and variables are found by position, not by taps.
        patch.setattr(activation_probe, "tap_model", _no_tap_model)
        shared = _probe(second)
    assert shared._compiled._probe is source._compiled._probe
    assert shared._compiled._snapshot is source._compiled._snapshot
    # Its own layers, names and variables, found without a tap model.
    own = activation_probe._CompiledProbe(second, None, 8, False)
    assert own._probe is not source._compiled._probe
    assert shared.names == own.names
    assert set(own.names) <= {layer.name for layer in second.layers}
    assert shared.names != source.names
    assert shared.kernel_names == own.kernel_names
    assert [id(v) for v in shared._compiled.variables] == [
        id(v) for v in own.variables
    ]
    # What its own traced probe computes, bit for bit, update ratios too.
    snapshot = own.snapshot()
    shared.snapshot()
    for variable in second.trainable_variables:
        variable.assign(variable * 1.5)
    second.layers[1].moving_mean.assign(keras.ops.ones((6,)))
    np.testing.assert_equal(
        _figures(*shared._compiled.probe(shared._x, shared._snapshots)),
        _figures(*own.probe(shared._x, snapshot)),
    )
    records, ratios = shared()
    assert ratios[shared.kernel_names[0]] == pytest.approx(0.5, rel=1e-5)
    # The first model's figures are its own still.
    np.testing.assert_equal(source(), before)


def test_nested_models_build_their_taps_and_still_share():
    first, second = _nested(1), _nested(2)
    source = _probe(first)
    shared = _probe(second)
    assert shared._compiled._probe is source._compiled._probe
    inner = second.layers[1]
    assert shared.names[0] == f"{inner.name}/{inner.layers[0].name}"
    own = activation_probe._CompiledProbe(second, None, 8, False)
    np.testing.assert_equal(
        _figures(*shared._compiled.probe(shared._x, shared._snapshots)),
        _figures(*own.probe(shared._x, own.snapshot())),
    )


def test_another_architecture_or_selection_gets_its_own_probe():
    source = _probe(_model(1))
    wider = keras.Sequential([keras.Input((4,)), keras.layers.Dense(7)])
    assert _probe(wider)._compiled._probe is not source._compiled._probe
    third = _model(3)
    chosen = ActivationProbe(third, ".*", _X, 16, 0, 8, False)
    assert chosen._compiled._probe is not source._compiled._probe


@pytest.mark.parametrize("jit_compile", [False, True])
def test_sharing_under_mixed_precision_and_xla(mixed_precision, jit_compile):
    first, second = _model(1), _model(2)
    source = ActivationProbe(first, None, _X, 16, 0, 8, jit_compile)
    source()
    shared = ActivationProbe(second, None, _X, 16, 0, 8, jit_compile)
    assert shared._compiled._probe is source._compiled._probe
    own = activation_probe._CompiledProbe(second, None, 8, jit_compile)
    snapshot = own.snapshot()
    np.testing.assert_equal(
        _figures(*shared._compiled.probe(shared._x, snapshot)),
        _figures(*own.probe(shared._x, snapshot)),
    )
