"""The one rule set: each rule at its band, and one voice for all tools."""

import math

import keras
import numpy as np
import pytest

from keras_training_kit.babysitting import diagnose
from keras_training_kit.babysitting.diagnose import Diagnosis
from keras_training_kit.callbacks import ActivationStatistics
from keras_training_kit.callbacks import GradientStatistics
from keras_training_kit.diagnostics import BANDS
from keras_training_kit.diagnostics import rules
from keras_training_kit.diagnostics.rules import Figures
from keras_training_kit.diagnostics.rules import find

_X = np.random.default_rng(0).standard_normal((64, 6)).astype("float32")
_Y = np.random.default_rng(1).integers(0, 3, 64)


def _figures(**kwargs):
    values = dict(layers=[], examples=256)
    values.update(kwargs)
    return Figures(**values)


def _kinds(found):
    return [(f.kind, f.layer) for f in found]


@pytest.mark.parametrize(
    "figure, band, outside, kind",
    [
        ("dead_fraction", BANDS["dead"], 1.01, "dead_units"),
        ("saturated_fraction", BANDS["saturated"], 1.01, "saturated"),
        ("activation_std", BANDS["collapsed"], 0.5, "collapsed_activations"),
        ("update_ratio", BANDS["update_ratio"][1], 1.01, "update_ratio_high"),
        ("update_ratio", BANDS["update_ratio"][0], 0.5, "update_ratio_low"),
    ],
)
def test_each_layer_rule_fires_just_outside_its_band(
    figure, band, outside, kind
):
    def found(v):
        row = {"layer": "h", figure: v}
        return find(_figures(layers=[row], learning_rate=0.01))

    assert found(band) == []
    outside = band * outside
    (finding,) = found(outside)
    assert (finding.kind, finding.layer) == (kind, "h")
    assert finding.value == outside


def test_the_output_layer_is_not_judged_as_a_hidden_layer():
    rows = [{"layer": "h", "dead_fraction": 0.0}, {"layer": "out"}]
    rows[1]["dead_fraction"] = 0.9
    assert _kinds(find(_figures(layers=rows))) == [("dead_units", "out")]
    found = find(_figures(layers=rows, output_layer="out"))
    assert found == []


def test_initial_loss_only_before_training():
    figures = _figures(initial_loss=4.05, expected_loss=math.log(10))
    (finding,) = find(figures)
    assert finding.kind == "initial_loss" and finding.value == 4.05
    assert "expected ln C = 2.3" in finding.advice
    assert find(_figures(initial_loss=2.6, expected_loss=math.log(10))) == []
    # A trained model's loss (0.0011 on digits) is no initial loss.
    trained = _figures(
        initial_loss=0.0011, expected_loss=math.log(10), trained=True, step=9
    )
    assert find(trained) == []


def test_gradient_flow_and_its_fix_per_activation():
    rows = [
        {"layer": "h1", "backprop_std": 1e-5},
        {"layer": "h2", "backprop_std": 1.0},
        {"layer": "out", "backprop_std": 1e-9},
    ]
    (finding,) = find(_figures(layers=rows, output_layer="out"))
    assert finding.kind == "vanishing_gradients"
    assert finding.value == pytest.approx(1e-5)
    assert finding.fix == {"kernel_initializer": "he_normal"}
    assert finding.alternatives == ({"normalization": "batch"},)
    sigmoid = find(
        _figures(layers=rows, output_layer="out", activation="sigmoid")
    )
    assert sigmoid[0].fix == {
        "activation": "relu",
        "kernel_initializer": "he_normal",
    }
    rows[0]["backprop_std"] = 1e3
    (finding,) = find(_figures(layers=rows, output_layer="out"))
    assert finding.kind == "exploding_gradients"


def test_update_ratio_fix_brings_the_ratio_to_1e_3():
    row = {"layer": "h", "update_ratio": 0.5}
    (finding,) = find(_figures(layers=[row], learning_rate=0.2))
    assert finding.fix == {"learning_rate": 0.0004}
    assert finding.advice.endswith(
        "use `learning_rate=0.0004` (measured before training on 256 "
        "examples)"
    )
    # Too low where the gradients vanish: fix those first.
    rows = [
        {"layer": "h1", "backprop_std": 1e-6, "update_ratio": 1e-9},
        {"layer": "h2", "backprop_std": 1.0, "update_ratio": 1e-3},
    ]
    found = find(_figures(layers=rows, learning_rate=0.01))
    assert _kinds(found) == [
        ("vanishing_gradients", None),
        ("update_ratio_low", "h1"),
    ]
    assert found[1].fix == {}
    assert "fix those first" in found[1].advice


def test_update_ratio_below_a_schedules_peak_is_judged_at_the_peak():
    # The last step of one-cycle: the rate is 1e5 below its peak and the
    # update as much smaller; at the peak the ratio is healthy.
    row = {"layer": "h", "update_ratio": 3e-8}
    assert not find(
        _figures(layers=[row], learning_rate=5e-8, peak_learning_rate=5e-3)
    )
    # Too low even at the peak: the advice is a peak (`--lr`) for 1e-3.
    row = {"layer": "h", "update_ratio": 1e-12}
    (finding,) = find(
        _figures(layers=[row], learning_rate=5e-8, peak_learning_rate=5e-3)
    )
    assert finding.kind == "update_ratio_low"
    assert finding.fix == {"learning_rate": 50.0}
    assert "1e-07 at the schedule's peak rate" in finding.advice


def test_batch_size_advice_rests_on_enough_examples_and_fits_the_data():
    def batch_findings(**kwargs):
        values = dict(noise_scale=1000.0, batch_size=32, examples=4096)
        values.update(kwargs)
        return find(_figures(**values))

    (finding,) = batch_findings()
    assert finding.fix == {"gradient_accumulation_steps": 32}
    assert finding.alternatives == ({"batch_size": 1024},)
    assert finding.examples == 4096
    assert "measured before training on 4096 examples" in finding.advice
    # Already accumulating enough: nothing to advise.
    assert batch_findings(gradient_accumulation_steps=32) == []
    # Only where the advised batch leaves ten updates an epoch.
    assert batch_findings(training_examples=10240)[0].fix == finding.fix
    assert batch_findings(training_examples=10239) == []
    # An estimate above the examples it rests on is a note, not advice.
    few = _figures(noise_scale=330.0, batch_size=32, examples=144)
    assert find(few) == []
    assert "rests on only 144 examples" in rules.note(few)
    assert rules.note(_figures(noise_scale=100.0, examples=144)) is None


def test_advice_speaks_python_and_says_what_it_was_measured_on():
    row = {"layer": "h", "dead_fraction": 0.75}
    (finding,) = find(
        _figures(layers=[row], step=120, trained=True, learning_rate=0.1)
    )
    assert finding.advice == (
        "75% of the units output 0 for every example: use "
        "`activation='leaky_relu'` (or `learning_rate=0.01`) (measured at "
        "step 120 on 256 examples)"
    )
    assert "--" not in finding.advice
    assert finding.to_dict()["fix"] == {"activation": "leaky_relu"}


@pytest.mark.parametrize(
    "bands, error, match",
    [
        ([], TypeError, "bands"),
        ({"nope": 1}, ValueError, "unknown keys"),
        ({"update_ratio": (1, 0.1)}, ValueError, "update_ratio"),
        ({"dead": 1.5}, ValueError, "dead"),
        ({"saturated": 0}, ValueError, "saturated"),
        ({"exploding": 0.5}, ValueError, "exploding"),
        ({"batch_size": 0.5}, ValueError, "batch_size"),
        ({"collapsed": -1}, ValueError, "collapsed"),
    ],
)
def test_bad_bands(bands, error, match):
    with pytest.raises(error, match=match):
        rules.check_bands(bands)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="out"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _started(callback, model):
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_train_end()
    return callback


def test_one_set_of_figures_gives_one_voice_in_all_three_tools():
    # The same measurement, as each tool records it: layer `hidden` has
    # 75% dead units and too large an update, `out` too small an update,
    # at step 40 on 64 examples.
    model = _model()
    step, dead, high, low = 40, 0.75, 0.5, 1e-8
    activations = _started(ActivationStatistics(probe_data=_X), model)
    activation_sample = {
        "hidden": {"std": 0.2, "dead_fraction": dead, "update_ratio": high},
        "out": {"std": 1.0, "dead_fraction": 0.0, "update_ratio": low},
    }
    gradients = _started(
        GradientStatistics((_X, _Y), probe_size=64, micro_batch_size=16),
        model,
    )
    gradient_sample = {
        "hidden": {"backprop_std": 0.1, "update_ratio": high},
        "out": {"backprop_std": 0.3, "update_ratio": low},
        "model": {"noise_scale": float("nan")},
    }
    diagnosis = Diagnosis(
        layers=[
            {
                "layer": "hidden",
                "activation_std": 0.2,
                "dead_fraction": dead,
                "saturated_fraction": None,
                "backprop_std": 0.1,
                "update_ratio": high,
            },
            {
                "layer": "out",
                "activation_std": 1.0,
                "dead_fraction": 0.0,
                "saturated_fraction": None,
                "backprop_std": 0.3,
                "update_ratio": low,
            },
        ],
        loss=1.0,
        expected_loss=math.log(3),
        noise_scale=None,
        findings=[],
        batch_size=32,
        examples=64,
        learning_rate=0.1,
        trained=True,
        step=step,
    )
    voices = [
        find(activations._figures(step, activation_sample)),
        find(gradients._figures(step, gradient_sample)),
        find(diagnose.__globals__["_figures"](diagnosis, model)),
    ]
    shared = {("update_ratio_high", "hidden"), ("update_ratio_low", "out")}
    for found in voices:
        assert shared <= set(_kinds(found)), _kinds(found)
    for kind in shared:
        said = [
            [f for f in found if (f.kind, f.layer) == kind][0]
            for found in voices
        ]
        assert (
            len({repr((f.value, f.fix, f.step, f.examples)) for f in said}) == 1
        )
        assert len({f.advice for f in said}) == 1, [f.advice for f in said]
    # Dead units are measured forward: by `diagnose` and the activation
    # statistics, in the same words.
    dead_said = [
        [f for f in found if f.kind == "dead_units"][0]
        for found in (voices[0], voices[2])
    ]
    assert dead_said[0].advice == dead_said[1].advice
    assert dead_said[0].advice.startswith("75% of the units output 0")
