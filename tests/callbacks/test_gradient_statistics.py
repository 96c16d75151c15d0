"""`GradientStatistics`: figures vs the backends' autodiff and closed forms."""

import logging
import math
import os
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from autodiff import reference_gradients  # noqa: E402

from keras_training_kit.callbacks import GradientStatistics  # noqa: E402

_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(64, 6)).astype("float32")
_Y = np.argmax(_X @ _RNG.normal(size=(6, 3)), axis=1).astype("int32")


def _model(
    depth=2, width=16, activation="relu", initializer="he_normal", lr=0.01
):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((6,))]
    for i in range(depth):
        layers.append(
            keras.layers.Dense(
                width,
                activation=activation,
                kernel_initializer=initializer,
                name=f"hidden_{i + 1}",
            )
        )
    layers.append(keras.layers.Dense(3, name="out"))
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.SGD(lr),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _sample_once(callback, model):
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_train_end()
    return callback


def _norm(a):
    return float(np.sqrt(np.sum(np.square(a, dtype="float64"))))


def test_figures_match_the_backends_autodiff():
    model = _model()
    stats = _sample_once(
        GradientStatistics((_X, _Y), probe_size=64, micro_batch_size=16),
        model,
    )
    assert stats.steps == [0]
    reference = reference_gradients(model, _X, _Y)
    variables = [id(v) for v in model.trainable_variables]
    for layer in ("hidden_1", "hidden_2", "out"):
        kernel = reference[variables.index(id(model.get_layer(layer).kernel))]
        record = stats.history[layer]
        assert record["gradient_norm"][0] == pytest.approx(
            _norm(kernel), rel=1e-4
        )
        assert record["gradient_std"][0] == pytest.approx(
            kernel.std(), rel=1e-4
        )
        assert math.isnan(record["update_ratio"][0])  # no step taken yet
    model_record = stats.history["model"]
    total = math.sqrt(sum(_norm(g) ** 2 for g in reference))
    assert model_record["global_gradient_norm"][0] == pytest.approx(
        total, rel=1e-4
    )
    loss = model.compute_loss(_X, _Y, model(_X, training=True))
    assert model_record["loss"][0] == pytest.approx(
        float(keras.ops.convert_to_numpy(loss)), rel=1e-5
    )
    # Cross-entropy on logits: the per-example loss's gradient with respect
    # to the logits is softmax - onehot, averaged over the micro-batches.
    logits = keras.ops.convert_to_numpy(model(_X))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    signal = p - np.eye(3)[_Y]
    want = np.mean([signal[s : s + 16].std() for s in range(0, 64, 16)])
    assert stats.history["out"]["backprop_std"][0] == pytest.approx(
        want, rel=1e-4
    )


class _KernelRecorder(keras.callbacks.Callback):
    """The kernel before every step and at the end (step -> kernel)."""

    def __init__(self, name):
        super().__init__()
        self.name, self.step, self.kernels = name, 0, {}

    def _record(self):
        kernel = self.model.get_layer(self.name).kernel
        self.kernels[self.step] = keras.ops.convert_to_numpy(kernel).copy()

    def on_train_batch_begin(self, batch, logs=None):
        self._record()
        self.step += 1

    def on_train_end(self, logs=None):
        self._record()


def test_update_ratio_is_the_step_just_taken():
    model = _model(lr=0.1)
    stats = GradientStatistics(
        (_X, _Y), every_n_steps=3, probe_size=32, micro_batch_size=16
    )
    recorder = _KernelRecorder("hidden_2")
    model.fit(
        _X,
        _Y,
        batch_size=8,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[recorder, stats],
    )
    assert stats.steps == [0, 3, 6, 8]
    for step in (3, 6, 8):
        before, after = recorder.kernels[step - 1], recorder.kernels[step]
        want = np.linalg.norm(after - before) / np.linalg.norm(before)
        index = stats.steps.index(step)
        got = stats.history["hidden_2"]["update_ratio"][index]
        assert got == pytest.approx(want, rel=1e-4)


def test_update_ratio_spans_one_update_with_gradient_accumulation():
    # The weights change every 2nd step: each ratio is one whole update.
    model = _model(lr=0.1)
    model.compile(
        keras.optimizers.SGD(0.1, gradient_accumulation_steps=2),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    stats = GradientStatistics(
        (_X, _Y), every_n_steps=3, probe_size=32, micro_batch_size=16
    )
    recorder = _KernelRecorder("hidden_2")
    model.fit(
        _X,
        _Y,
        batch_size=8,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[recorder, stats],
    )
    assert stats.steps == [0, 3, 6, 8]
    ratios = stats.history["hidden_2"]["update_ratio"]
    assert math.isnan(ratios[0])
    for step in (3, 6, 8):
        before, after = recorder.kernels[step - 2], recorder.kernels[step]
        want = np.linalg.norm(after - before) / np.linalg.norm(before)
        assert want > 0
        assert ratios[stats.steps.index(step)] == pytest.approx(want, rel=1e-4)


def test_noise_scale_matches_the_closed_form_of_linear_regression():
    # MSE at w* + delta, x ~ N(0, I_d), noise sigma:
    # B_simple = ((d + 1) |delta|^2 + d sigma^2) / |delta|^2.
    d, sigma, n = 8, 0.5, 32768
    rng = np.random.default_rng(1)
    w_star = rng.standard_normal((d, 1))
    delta = 0.3 * rng.standard_normal((d, 1))
    x = rng.standard_normal((n, d)).astype("float32")
    y = (x @ w_star + sigma * rng.standard_normal((n, 1))).astype("float32")
    model = keras.Sequential(
        [keras.Input((d,)), keras.layers.Dense(1, use_bias=False)]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].kernel.assign((w_star + delta).astype("float32"))
    stats = _sample_once(
        GradientStatistics((x, y), probe_size=n, micro_batch_size=128), model
    )
    norm2 = float(np.sum(delta**2))
    want = ((d + 1) * norm2 + d * sigma**2) / norm2
    assert stats.history["model"]["noise_scale"][0] == pytest.approx(
        want, rel=0.15
    )


def test_noise_scale_is_averaged_over_the_window():
    model = _model(lr=0.0)  # the weights stay put: every sample is alike
    stats = GradientStatistics(
        (_X, _Y),
        every_n_steps=1,
        probe_size=64,
        micro_batch_size=16,
        noise_scale_window=3,
    )
    model.fit(_X, _Y, batch_size=16, epochs=1, verbose=0, callbacks=[stats])
    noise = stats.history["model"]["noise_scale"]
    assert len(noise) == 5 and np.allclose(noise, noise[0], rtol=1e-5)
    assert len(stats._estimates) == 3


def test_watching_does_not_change_training():
    weights = []
    for watch in (False, True):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(16, name="hidden"),
                keras.layers.BatchNormalization(name="bn"),
                keras.layers.Activation("relu", name="relu"),
                keras.layers.Dropout(0.3, seed=1, name="drop"),
                keras.layers.Dense(3, name="out"),
            ]
        )
        model.compile(
            keras.optimizers.Adam(1e-2),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        callbacks = (
            [
                GradientStatistics(
                    (_X, _Y), every_n_steps=2, probe_size=32, micro_batch_size=8
                )
            ]
            if watch
            else []
        )
        model.fit(
            _X,
            _Y,
            batch_size=8,
            epochs=2,
            verbose=0,
            shuffle=False,
            callbacks=callbacks,
        )
        weights.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for unwatched, watched in zip(*weights):
        np.testing.assert_array_equal(unwatched, watched)


def test_vanishing_gradients_are_warned_once_and_healthy_nets_are_not(caplog):
    healthy = _sample_once(
        GradientStatistics((_X, _Y), probe_size=64, micro_batch_size=16),
        _model(depth=4),
    )
    assert healthy.warnings == []
    small = keras.initializers.RandomNormal(stddev=0.01)
    model = _model(depth=6, width=32, activation="tanh", initializer=small)
    stats = GradientStatistics(
        (_X, _Y), every_n_steps=2, probe_size=64, micro_batch_size=16
    )
    with caplog.at_level(logging.WARNING):
        model.fit(_X, _Y, batch_size=16, epochs=1, verbose=0, callbacks=[stats])
    vanishing = [f for f in stats.findings if f.kind == "vanishing_gradients"]
    assert len(vanishing) == 1 and len(stats.steps) == 3
    assert vanishing[0].fix == {"kernel_initializer": "glorot_normal"}
    assert vanishing[0].step is None and vanishing[0].examples == 64
    (message,) = [w for w in stats.warnings if "vanishing_gradients" in w]
    assert message.startswith("GradientStatistics: model: vanishing_gradie")
    assert "`kernel_initializer='glorot_normal'`" in message
    assert "measured before training on 64 examples" in message
    assert any(message in r.getMessage() for r in caplog.records)


def test_a_batch_below_the_noise_scale_is_warned():
    d, n = 8, 4096
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, d)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) + 4 * rng.standard_normal((n, 1))).astype(
        "float32"
    )
    model = keras.Sequential(
        [keras.Input((d,)), keras.layers.Dense(1, use_bias=False)]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.layers[0].kernel.assign(np.ones((d, 1), "float32") * 0.9)
    stats = _sample_once(
        GradientStatistics(
            (x, y), probe_size=n, micro_batch_size=64, batch_size=4
        ),
        model,
    )
    noise = stats.history["model"]["noise_scale"][0]
    (finding,) = [f for f in stats.findings if f.kind == "batch_size"]
    steps = math.ceil(noise / 4)
    assert finding.fix == {"gradient_accumulation_steps": steps}
    assert finding.alternatives == ({"batch_size": 4 * steps},)
    # No advice that leaves fewer than ten updates an epoch, nor from an
    # estimate resting on fewer examples than its value.
    capped = _sample_once(
        GradientStatistics(
            (x, y),
            probe_size=n,
            micro_batch_size=64,
            batch_size=4,
            training_examples=4 * steps * 10 - 1,
        ),
        model,
    )
    assert not [f for f in capped.findings if f.kind == "batch_size"]
    few = _sample_once(
        GradientStatistics(
            (x[:512], y[:512]),
            probe_size=512,
            micro_batch_size=64,
            batch_size=4,
        ),
        model,
    )
    assert few.history["model"]["noise_scale"][0] > 512
    assert not [f for f in few.findings if f.kind == "batch_size"]
    quiet = _sample_once(
        GradientStatistics((x, y), probe_size=n, micro_batch_size=64), model
    )
    assert quiet.warnings == []  # no training batch given: no advice


def test_csv_round_trip_and_figure(tmp_path):
    csv_path = str(tmp_path / "gradients.csv")
    stats = GradientStatistics(
        (_X, _Y),
        every_n_steps=4,
        probe_size=32,
        micro_batch_size=16,
        csv_path=csv_path,
    )
    _model().fit(_X, _Y, batch_size=8, epochs=1, verbose=0, callbacks=[stats])
    steps, history = GradientStatistics.read_csv(csv_path)
    assert steps == stats.steps == [0, 4, 8]
    assert set(history) == set(stats.history)
    for layer, record in stats.history.items():
        for metric, values in record.items():
            np.testing.assert_array_equal(history[layer][metric], values)
    (path,) = stats.save_figures(str(tmp_path))
    assert path.endswith("gradient_curves.png") and os.path.getsize(path) > 0


def test_dataset_probe_data_and_tensorboard(tmp_path):
    tf = pytest.importorskip("tensorflow")
    data = tf.data.Dataset.from_tensor_slices((_X, _Y))
    stats = _sample_once(
        GradientStatistics(
            data,
            probe_size=32,
            micro_batch_size=16,
            log_dir=str(tmp_path / "tb"),
        ),
        _model(),
    )
    arrays = _sample_once(
        GradientStatistics((_X[:32], _Y[:32]), micro_batch_size=16),
        _model(),
    )
    assert stats.history["out"]["gradient_norm"] == pytest.approx(
        arrays.history["out"]["gradient_norm"], rel=1e-6
    )
    assert os.listdir(tmp_path / "tb")


def test_config_round_trip():
    stats = GradientStatistics(
        (_X, _Y), layers=["out"], every_n_steps=5, batch_size=32
    )
    config = stats.get_config()
    clone = GradientStatistics((_X, _Y), **config)
    assert clone.get_config() == config


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((None,), {}, ValueError, "probe_data=None"),
        (((_X, _Y),), dict(probe_size=48), ValueError, "two micro-batches"),
        (((_X, _Y),), dict(every_n_steps=0), ValueError, "every_n_steps"),
        (((_X, _Y),), dict(layers=3), TypeError, "layers"),
        (((_X, _Y),), dict(bands={"dead": 2.0}), ValueError, "dead"),
        (((_X, _Y),), dict(max_overhead=1.5), ValueError, "max_overhead"),
    ],
)
def test_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        GradientStatistics(*args, **kwargs)


def test_probe_without_targets_or_loss_is_refused_at_fit():
    with pytest.raises(ValueError, match="Gradients need targets"):
        _sample_once(GradientStatistics(_X), _model())
    uncompiled = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="compiled loss"):
        _sample_once(GradientStatistics((_X, _Y)), uncompiled)
    with pytest.raises(ValueError, match="at least two micro-batches"):
        _sample_once(
            GradientStatistics((_X[:20], _Y[:20]), micro_batch_size=16),
            _model(),
        )
