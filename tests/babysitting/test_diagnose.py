"""Tests of `diagnose`: figures against references, every finding kind."""

import json
import math

import keras
import numpy as np
import pytest

from keras_training_kit.babysitting import diagnose
from keras_training_kit.diagnostics.rules import KINDS
from keras_training_kit.models import build_deep_mlp


def _classification(n=256, d=20, classes=4, seed=0):
    # Learnable labels: the class of the largest of `classes` random
    # projections (random labels have no gradient signal to measure).
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    y = np.argmax(x @ rng.standard_normal((d, classes)), axis=1)
    return x, y


def _classifier(
    depth=4,
    width=64,
    activation="relu",
    initializer="he_normal",
    optimizer=None,
    classes=4,
    d=20,
    seed=0,
    logits=False,
    normalization=None,
    output_initializer="glorot_uniform",
):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((d,))]
    for i in range(depth):
        layers.append(
            keras.layers.Dense(
                width,
                activation=None if normalization else activation,
                kernel_initializer=initializer,
                name=f"hidden_{i + 1}",
            )
        )
        if normalization:
            layers.append(keras.layers.BatchNormalization())
            layers.append(keras.layers.Activation(activation))
    layers.append(
        keras.layers.Dense(
            classes,
            activation=None if logits else "softmax",
            kernel_initializer=output_initializer,
            name="output",
        )
    )
    model = keras.Sequential(layers)
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits),
    )
    return model


_SMALL = keras.initializers.RandomNormal(stddev=0.01)
_UNIT = keras.initializers.RandomNormal(stddev=1.0)
_THREE_HE = keras.initializers.RandomNormal(stddev=3 * math.sqrt(2 / 64))


def _kinds(diagnosis):
    return {(f.kind, f.layer) for f in diagnosis.findings}


@pytest.mark.parametrize(
    "activation, initializer",
    [("relu", "glorot_uniform"), ("tanh", "glorot_normal")],
)
def test_a_healthy_model_has_no_finding_and_its_figures_are_right(
    activation, initializer
):
    model = _classifier(activation=activation, initializer=initializer)
    x, y = _classification()
    result = diagnose(model, x, y, batch_size=32)
    assert result.findings == []
    assert [r["layer"] for r in result.layers] == [
        "hidden_1",
        "hidden_2",
        "hidden_3",
        "hidden_4",
        "output",
    ]
    assert result.expected_loss == pytest.approx(math.log(4))
    reference = model.compute_loss(x, y, model(x, training=True))
    assert result.initial_loss == pytest.approx(float(reference), rel=1e-5)
    kernel = model.get_layer("hidden_2").kernel
    row = result.layers[1]
    np.testing.assert_allclose(
        row["weight_norm"], np.linalg.norm(keras.ops.convert_to_numpy(kernel))
    )
    # Adam's first step: ~lr per weight, so lr * sqrt(n) over ||W||.
    first_step = 1e-3 * math.sqrt(64 * 64) / row["weight_norm"]
    assert row["update_ratio"] == pytest.approx(first_step, rel=0.05)
    assert set(row) == {"layer", *diagnose.__globals__["COLUMNS"]}
    assert result.noise_scale is not None


def test_gradient_norm_is_exact_over_all_examples():
    # Without BatchNormalization the examples-weighted mean of the
    # micro-batch gradients is the gradient of the mean loss over x.
    model = _classifier(depth=2, width=16)
    x, y = _classification(n=100)  # a partial last micro-batch
    result = diagnose(model, x, y, batch_size=32)
    name = keras.backend.backend()
    kernel = model.get_layer("hidden_2").kernel
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x, training=True))
        want = tape.gradient(loss, kernel.value).numpy()
    elif name == "jax":
        import jax

        trainable = model.trainable_variables

        def loss_fn(values):
            pred, _ = model.stateless_call(
                values, [v.value for v in model.non_trainable_variables], x
            )
            return model.compute_loss(x, y, pred)

        grads = jax.grad(loss_fn)([v.value for v in trainable])
        want = np.asarray(grads[[id(v) for v in trainable].index(id(kernel))])
    else:
        pytest.skip("the reference gradient is TensorFlow's or JAX's")
    np.testing.assert_allclose(
        result.layers[1]["gradient_norm"], np.linalg.norm(want), rtol=1e-5
    )


def test_noise_scale_matches_the_closed_form_of_linear_regression():
    # MSE at w* + delta, x ~ N(0, I_d), noise sigma:
    # B_simple = ((d + 1) |delta|^2 + d sigma^2) / |delta|^2.
    d, sigma, n = 8, 0.5, 65536
    rng = np.random.default_rng(1)
    w_star = rng.standard_normal((d, 1))
    delta = 0.3 * rng.standard_normal((d, 1))
    x = rng.standard_normal((n, d))
    y = x @ w_star + sigma * rng.standard_normal((n, 1))
    model = keras.Sequential(
        [keras.Input((d,)), keras.layers.Dense(1, use_bias=False)]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].kernel.assign((w_star + delta).astype("float32"))
    result = diagnose(
        model, x.astype("float32"), y.astype("float32"), batch_size=64
    )
    norm2 = float(np.sum(delta**2))
    want = ((d + 1) * norm2 + d * sigma**2) / norm2
    assert result.noise_scale == pytest.approx(want, rel=0.1)
    assert result.expected_loss is None


@pytest.mark.parametrize(
    "kwargs, kind, layer",
    [
        # 0.01 * randn through 8 tanh layers: everything collapses.
        (
            dict(
                depth=8,
                activation="tanh",
                initializer=keras.initializers.RandomNormal(stddev=0.01),
            ),
            "vanishing_gradients",
            None,
        ),
        (
            dict(
                depth=8,
                activation="tanh",
                initializer=keras.initializers.RandomNormal(stddev=0.01),
            ),
            "collapsed_activations",
            "hidden_8",
        ),
        # 3x He's std through 8 ReLU layers: the gradient grows 3^8x.
        (
            dict(
                depth=8,
                initializer=keras.initializers.RandomNormal(
                    stddev=3 * math.sqrt(2 / 64)
                ),
                logits=True,
            ),
            "exploding_gradients",
            None,
        ),
        (
            dict(
                depth=8,
                initializer=keras.initializers.RandomNormal(
                    stddev=3 * math.sqrt(2 / 64)
                ),
                logits=True,
            ),
            "initial_loss",
            "output",
        ),
        (
            dict(
                activation="tanh",
                initializer=keras.initializers.RandomNormal(stddev=1.0),
            ),
            "saturated",
            "hidden_2",
        ),
        (
            dict(optimizer=keras.optimizers.SGD(50.0)),
            "update_ratio_high",
            "hidden_2",
        ),
        (
            dict(optimizer=keras.optimizers.SGD(1e-7)),
            "update_ratio_low",
            "hidden_2",
        ),
    ],
)
def test_each_finding_on_a_model_built_to_have_it(kwargs, kind, layer):
    x, y = _classification()
    result = diagnose(_classifier(**kwargs), x, y, batch_size=32)
    assert (kind, layer) in _kinds(result), str(result)
    finding = [f for f in result.findings if f.kind == kind][0]
    assert "`" in finding.advice  # a Python argument to type
    assert "--" not in finding.advice  # no command-line flag


def _apply(kwargs, finding, fix):
    """The model's arguments with `fix` applied, as the docs tell."""
    kwargs = dict(kwargs)
    for key, value in fix.items():
        if key == "learning_rate":
            optimizer = kwargs["optimizer"]
            kwargs["optimizer"] = type(optimizer)(learning_rate=value)
        elif key == "kernel_initializer" and finding.layer == "output":
            kwargs["output_initializer"] = value
        elif key == "kernel_initializer":
            kwargs["initializer"] = value
        else:
            kwargs[key] = value
    return kwargs


_FIXABLE = [
    # (the model built to have it, the kind); each fix (and alternative)
    # is applied as `Finding.fix` says, and the finding is gone.
    (
        dict(depth=8, activation="tanh", initializer=_SMALL),
        "vanishing_gradients",
    ),
    (
        dict(depth=8, activation="tanh", initializer=_SMALL),
        "collapsed_activations",
    ),
    (dict(depth=8, initializer=_THREE_HE, logits=True), "exploding_gradients"),
    (dict(activation="tanh", initializer=_UNIT), "saturated"),
    (dict(optimizer=keras.optimizers.SGD(50.0)), "update_ratio_high"),
    (dict(output_initializer=_UNIT, logits=True), "initial_loss"),
]


@pytest.mark.parametrize("kwargs, kind", _FIXABLE)
def test_the_fix_makes_the_finding_go_away(kwargs, kind):
    x, y = _classification()
    result = diagnose(_classifier(**kwargs), x, y, batch_size=32)
    finding = [f for f in result.findings if f.kind == kind][0]
    for fix in (finding.fix, *finding.alternatives):
        fixed = diagnose(
            _classifier(**_apply(kwargs, finding, fix)), x, y, batch_size=32
        )
        assert kind not in {f.kind for f in fixed.findings}, (fix, str(fixed))


def test_dead_units():
    model = _classifier(depth=2)
    hidden = model.get_layer("hidden_1")
    bias = np.zeros(64, "float32")
    bias[:40] = -100.0  # 40 of 64 units never fire
    hidden.bias.assign(bias)
    x, y = _classification()
    result = diagnose(model, x, y)
    (finding,) = [f for f in result.findings if f.kind == "dead_units"]
    assert finding.layer == "hidden_1"
    assert finding.value == pytest.approx(40 / 64)
    assert finding.fix == {"activation": "leaky_relu"}
    fixed = _classifier(depth=2, activation="leaky_relu")
    fixed.get_layer("hidden_1").bias.assign(bias)
    assert "dead_units" not in {f.kind for f in diagnose(fixed, x, y).findings}


def test_batch_size_finding_names_the_accumulate_value():
    d, n = 8, 8192
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, d)).astype("float32")
    y = x.sum(axis=1, keepdims=True) + 4 * rng.standard_normal((n, 1))
    model = keras.Sequential(
        [keras.Input((d,)), keras.layers.Dense(1, use_bias=False)]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.layers[0].kernel.assign(np.ones((d, 1), "float32") * 0.9)
    result = diagnose(model, x, y.astype("float32"), batch_size=4)
    (finding,) = [f for f in result.findings if f.kind == "batch_size"]
    steps = math.ceil(result.noise_scale / 4)
    assert finding.fix == {"gradient_accumulation_steps": steps}
    assert f"`gradient_accumulation_steps={steps}`" in finding.advice
    assert f"measured before training on {n} examples" in finding.advice
    assert finding.layer is None
    # Consistent with the figures: the advised batch reaches the noise
    # scale, and leaves ten updates an epoch of the training set.
    assert 4 * steps >= result.noise_scale > 4 * (steps - 1)
    small_set = diagnose(
        model, x, y.astype("float32"), batch_size=4, training_examples=n
    )
    assert [f.kind for f in small_set.findings] == (
        ["batch_size"] if 4 * steps * 10 <= n else []
    )
    few = diagnose(model, x[:256], y[:256].astype("float32"), batch_size=4)
    assert few.noise_scale > 256
    assert not [f for f in few.findings if f.kind == "batch_size"]
    assert "rests on only 256 examples" in few.notes[0]


def test_nothing_changes():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            build_deep_mlp(20, 3, 32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.3, seed=1),
        ]
    )
    model.compile("adam", "mse")
    x = np.random.default_rng(0).standard_normal((64, 20)).astype("float32")
    y = np.zeros((64, 32), "float32")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    state = model.variables + model.optimizer.variables
    before = [keras.ops.convert_to_numpy(v).copy() for v in state]
    diagnose(model, x, y, batch_size=16)
    diagnose(model, x, batch_size=16)
    for old, v in zip(before, state):
        np.testing.assert_array_equal(old, keras.ops.convert_to_numpy(v))


def test_an_unbuilt_optimizer_stays_unbuilt_and_forward_only_works():
    model = _classifier(depth=2)
    x, y = _classification(n=64)
    diagnose(model, x, y)
    assert not model.optimizer.built
    result = diagnose(model, x)
    assert result.initial_loss is None and result.noise_scale is None
    assert result.layers[0]["gradient_norm"] is None
    assert result.layers[0]["activation_std"] > 0


def test_text_and_json(tmp_path):
    model = _classifier(
        depth=8,
        activation="tanh",
        initializer=keras.initializers.RandomNormal(stddev=0.01),
    )
    x, y = _classification()
    result = diagnose(model, x, y)
    text = str(result)
    assert text.splitlines()[0].split()[:3] == ["layer", "act", "mean"]
    assert "- vanishing_gradients:" in text
    result.to_json(tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report) >= {
        "findings",
        "layers",
        "initial_loss",
        "expected_loss",
        "noise_scale",
    }
    assert report["layers"][-1]["saturated_fraction"] is None
    assert {f["kind"] for f in report["findings"]} <= set(KINDS)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(bands={"nope": 1}), ValueError, "unknown keys"),
        (dict(bands={"update_ratio": (1, 0.1)}), ValueError, "update_ratio"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    x, y = _classification(n=32)
    with pytest.raises(error, match=match):
        diagnose(_classifier(depth=1), x, y, **kwargs)


def test_mismatched_lengths():
    x, y = _classification(n=32)
    with pytest.raises(ValueError, match="same number"):
        diagnose(_classifier(depth=1), x, y[:10])


@pytest.mark.parametrize(
    "optimizer, name",
    [
        ("adam", "beta_1"),
        (keras.optimizers.SGD(0.01, momentum=0.9), "momentum"),
    ],
)
def test_a_momentum_cycled_by_one_cycle_momentum(optimizer, name):
    # `OneCycleMomentum` turns the optimizer's momentum into a variable
    # during a fit (`ktk train --schedule one-cycle --diagnose` sees it).
    from keras_training_kit.keras_compat import HyperparameterVariable

    keras.utils.set_random_seed(0)
    model = build_deep_mlp(20, 3, 16, activation="relu")
    model.compile(optimizer, "mse")
    x = np.random.default_rng(0).standard_normal((32, 20)).astype("float32")
    y = np.zeros((32, 16), "float32")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    cycled = HyperparameterVariable(0.85, name=name)
    setattr(model.optimizer, name, cycled)
    result = diagnose(model, x, y, batch_size=16)
    assert result.layers and float(keras.ops.convert_to_numpy(cycled)) == (
        pytest.approx(0.85)
    )


def test_a_finished_schedule_is_judged_at_its_peak():
    # One-cycle ends 1e5 times below its peak by design: judged at the rate
    # of its last step, every trained model's updates would look too small
    # and the advice would be to raise `--lr` (the peak) tenfold.
    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier
    from keras_training_kit.schedules import OneCycle

    x, y = _classification(n=64)
    keras.utils.set_random_seed(0)
    model = compile_classifier(
        build_mlp(x.shape[1:], int(y.max()) + 1, (32,)),
        optimizer=keras.optimizers.Adam(OneCycle(5e-3, 8)),
    )
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)  # 8 steps: the end
    result = diagnose(model, x, y, batch_size=16)
    assert result.trained and result.learning_rate == pytest.approx(5e-3)
    assert "update_ratio_low" not in {f.kind for f in result.findings}
    # A constant rate is judged at itself.
    constant = compile_classifier(
        build_mlp(x.shape[1:], int(y.max()) + 1, (32,)), learning_rate=1e-3
    )
    assert diagnose(constant, x, y).learning_rate == pytest.approx(1e-3)
