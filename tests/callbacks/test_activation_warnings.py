"""`ActivationWarnings`: each condition once per layer, with its advice."""

import math

from keras_training_kit.callbacks.activation_warnings import ActivationWarnings


def _checks():
    return ActivationWarnings(0.5, 0.5, 1e-3, (1e-4, 1e-2))


def test_each_condition_and_its_advice():
    checks = _checks()
    healthy = {"dead_fraction": 0.0, "std": 0.5, "update_ratio": 1e-3}
    assert checks.check("a", 0, healthy) == []
    assert checks.check(
        "a", 5, {"dead_fraction": 0.9, "std": 0.0, "update_ratio": 0.03}
    ) == [
        "a: 90% of units dead since step 5: lower the learning rate or use "
        "LeakyReLU/He initialization",
        "a: update/weight ratio 0.03 above 0.01 at step 5 (SGD ~1e-3, Adam "
        "up to ~1e-1 are healthy): lower the learning rate",
    ]  # no collapsed-std warning on top of the dead units
    assert checks.check(
        "b", 7, {"dead_fraction": 0.0, "std": 2e-4, "saturated_fraction": 0.7}
    ) == [
        "b: 70% saturated at step 7: use Xavier initialization or "
        "BatchNormalization",
        "b: activation std 0.0002 below 0.001 at step 7: the signal "
        "collapses with depth; use Xavier/He initialization or "
        "BatchNormalization",
    ]
    assert checks.check(
        "c", 9, {"dead_fraction": 0.0, "std": 1.0, "update_ratio": 1e-6}
    ) == [
        "c: update/weight ratio 1e-06 below 0.0001 at step 9 (SGD ~1e-3, "
        "Adam up to ~1e-1 are healthy): raise the learning rate, unless "
        "only the first layers are this low (vanishing gradients: run "
        "`ktk diagnose` or `GradientStatistics`)"
    ]
    nan = {"dead_fraction": 0.0, "std": 1.0, "update_ratio": math.nan}
    assert checks.check("d", 9, nan) == []


def test_once_per_layer_and_condition():
    checks = _checks()
    dead = {"dead_fraction": 1.0, "std": 0.0}
    assert len(checks.check("a", 3, dead)) == 1
    assert checks.check("a", 4, dead) == []
    assert len(checks.check("b", 4, dead)) == 1
