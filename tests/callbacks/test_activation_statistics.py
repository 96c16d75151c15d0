"""`ActivationStatistics`: statistics vs NumPy, warnings, outputs, models."""

import logging
import math

import keras
import numpy as np
import pytest

from keras_training_kit.callbacks import ActivationStatistics
from keras_training_kit.diagnostics import BANDS
from keras_training_kit.models import build_deep_mlp

_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(64, 6)).astype("float32")
_Y = _RNG.integers(0, 3, size=64).astype("int32")


def _probe_model():
    x = keras.Input((6,), name="features")
    h = keras.layers.Dense(12, activation="relu", name="relu")(x)
    dead = keras.layers.Dense(
        5,
        activation="relu",
        bias_initializer=keras.initializers.Constant(-50.0),
        name="dead",
    )(h)
    t = keras.layers.Dense(7, activation="tanh", name="tanh")(h)
    s = keras.layers.Dense(4, name="pre_sigmoid")(t)
    s = keras.layers.Activation("sigmoid", name="sigmoid")(s)
    out = keras.layers.Dense(3, name="logits")(
        keras.layers.Concatenate()([dead, s])
    )
    return keras.Model(x, out)


def _layer_output(model, name, x=_X):
    """The output of `model`'s layer `name` on `x`, as a NumPy array."""
    sub = keras.Model(model.input, model.get_layer(name).output)
    return keras.ops.convert_to_numpy(sub(x))


def _sample_once(callback, model):
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_train_end()
    return callback


def _fit(model, callbacks, epochs=1, batch_size=8, **kwargs):
    model.compile(
        keras.optimizers.SGD(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        _X,
        _Y,
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


@pytest.mark.parametrize("jit_compile", [False, True])
def test_statistics_equal_numpy(jit_compile):
    # Both histogram paths: `bincount`, and XLA's static-shape segment sum.
    model = _probe_model()
    stats = _sample_once(
        ActivationStatistics(probe_data=_X, bins=10, jit_compile=jit_compile),
        model,
    )
    assert stats.steps == [0]
    assert set(stats.history) == {
        "relu",
        "dead",
        "tanh",
        "pre_sigmoid",
        "sigmoid",
        "logits",
    }
    for name, record in stats.history.items():
        a = _layer_output(model, name)
        np.testing.assert_allclose(
            record["mean"][0], a.mean(), rtol=1e-4, atol=1e-6
        )
        np.testing.assert_allclose(
            record["std"][0], a.std(), rtol=1e-4, atol=1e-6
        )
        assert record["zero_fraction"][0] == pytest.approx(np.mean(a == 0))
        assert record["dead_fraction"][0] == pytest.approx(
            np.mean(np.all(a == 0, axis=0))
        )
        counts, edges = np.histogram(a, bins=10, range=(a.min(), a.max()))
        np.testing.assert_array_equal(record["histogram"][0], counts)
        assert record["histogram_min"][0] == pytest.approx(edges[0])
        assert record["histogram_max"][0] == pytest.approx(edges[-1])
    tanh = _layer_output(model, "tanh")
    sigmoid = _layer_output(model, "sigmoid")
    assert stats.history["tanh"]["saturated_fraction"][0] == pytest.approx(
        np.mean(np.abs(tanh) > 0.99)
    )
    assert stats.history["sigmoid"]["saturated_fraction"][0] == pytest.approx(
        np.mean((sigmoid < 0.01) | (sigmoid > 0.99))
    )
    assert "saturated_fraction" not in stats.history["relu"]
    assert stats.history["dead"]["dead_fraction"][0] == 1.0
    # Kernel layers get an update ratio; before training it is unknown.
    assert math.isnan(stats.history["relu"]["update_ratio"][0])
    assert "update_ratio" not in stats.history["sigmoid"]


def test_update_ratio_is_the_last_step_relative_change():
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(3, name="dense")]
    )
    stats = ActivationStatistics(every_n_steps=4, probe_data=_X)
    recorder = _KernelRecorder("dense")
    _fit(model, [recorder, stats], epochs=1, batch_size=8)  # 8 steps
    assert stats.steps == [0, 4, 8]
    for step in (4, 8):
        before, after = recorder.kernels[step - 1], recorder.kernels[step]
        expected = np.linalg.norm(after - before) / np.linalg.norm(before)
        ratio = stats.history["dense"]["update_ratio"][stats.steps.index(step)]
        assert ratio == pytest.approx(expected, rel=1e-4)


class _KernelRecorder(keras.callbacks.Callback):
    """Keeps the kernel before every step and at the end (step -> kernel)."""

    def __init__(self, name, bias=False):
        super().__init__()
        self.name, self.bias, self.step = name, bias, 0
        self.kernels, self.biases = {}, {}

    def _record(self):
        layer = self.model.get_layer(self.name)
        self.kernels[self.step] = layer.kernel.numpy().copy()
        if self.bias:
            self.biases[self.step] = layer.bias.numpy().copy()

    def on_train_batch_begin(self, batch, logs=None):
        self._record()
        self.step += 1

    def on_train_end(self, logs=None):
        self._record()


def test_planted_dead_layer_is_flagged(caplog):
    with caplog.at_level(logging.WARNING):
        stats = _sample_once(
            ActivationStatistics(probe_data=_X), _probe_model()
        )
    (finding,) = [f for f in stats.findings if f.layer == "dead"]
    assert finding.kind == "dead_units" and finding.value == 1.0
    assert finding.fix == {"activation": "leaky_relu"}
    assert finding.step is None and finding.examples == len(_X)
    (message,) = [m for m in stats.warnings if ": dead: " in m]
    assert "100% of the units output 0 for every example" in message
    assert "`activation='leaky_relu'`" in message
    assert "measured before training" in message and message in caplog.text
    assert not [f for f in stats.findings if f.layer == "relu"]


@pytest.mark.parametrize(
    "stddev, condition",
    [
        (1.0, "saturated"),
        (0.01, "collapsed_activations"),
    ],
)
def test_tanh_init_scale_is_flagged(stddev, condition):
    model = build_deep_mlp(
        input_dim=100,
        depth=6,
        width=100,
        activation="tanh",
        kernel_initializer=keras.initializers.RandomNormal(
            stddev=stddev, seed=1
        ),
    )
    stats = _sample_once(ActivationStatistics(probe_size=200), model)
    kinds = {f.kind for f in stats.findings}
    assert condition in kinds, stats.warnings
    if stddev == 1.0:
        assert stats.history["layer_6"]["saturated_fraction"][0] > 0.7
        assert "collapsed_activations" not in kinds
    else:
        assert stats.history["layer_6"]["std"][0] < 1e-3
        assert stats.history["layer_1"]["std"][0] > 0.05
        assert "saturated" not in kinds


def test_healthy_tanh_net_is_not_flagged():
    model = build_deep_mlp(input_dim=100, depth=6, width=100, activation="tanh")
    stats = _sample_once(ActivationStatistics(probe_size=200), model)
    assert stats.warnings == []


def test_tensorboard_events_have_the_tags(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    stats = ActivationStatistics(
        every_n_steps=4, probe_data=_X, log_dir=str(tmp_path)
    )
    _fit(_probe_model(), [stats])
    accumulator = event_accumulator.EventAccumulator(
        str(tmp_path), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = set(accumulator.Tags()["tensors"])
    for tag in (
        "activations/relu/mean",
        "activations/dead/dead_fraction",
        "activations/tanh/saturated_fraction",
        "activations/relu/update_ratio",
        "activations/logits/histogram",
    ):
        assert tag in tags, sorted(tags)
    steps = [e.step for e in accumulator.Tensors("activations/relu/mean")]
    assert steps == stats.steps
    buckets = keras.ops.convert_to_numpy(
        __import__("tensorflow").make_ndarray(
            accumulator.Tensors("activations/relu/histogram")[0].tensor_proto
        )
    )
    np.testing.assert_array_equal(
        buckets[:, 2], stats.history["relu"]["histogram"][0]
    )


def test_csv_round_trip_and_figures(tmp_path):
    path = tmp_path / "stats.csv"
    stats = ActivationStatistics(
        every_n_steps=3, probe_data=_X, csv_path=str(path)
    )
    _fit(_probe_model(), [stats], epochs=2)
    steps, history = ActivationStatistics.read_csv(str(path))
    assert steps == stats.steps == [0, 3, 6, 8, 9, 12, 15, 16]
    assert history.keys() == stats.history.keys()
    for name, record in stats.history.items():
        assert record.keys() == history[name].keys()
        for metric, values in record.items():
            np.testing.assert_array_equal(
                np.array(values), np.array(history[name][metric])
            )
    paths = stats.save_figures(str(tmp_path / "figures"))
    assert all(p.endswith(".png") for p in paths) and len(paths) == 2


def test_nested_and_multi_input_models_are_flattened():
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="a")],
        name="inner",
    )
    xi = keras.Input((5,))
    block = keras.Model(
        xi, keras.layers.Dense(3, activation="tanh", name="b")(xi), name="block"
    )
    x1, x2 = keras.Input((4,), name="x1"), keras.Input((5,), name="x2")
    merged = keras.layers.Concatenate(name="concat")(
        [block(inner(x1)), block(x2)]
    )
    model = keras.Model([x1, x2], keras.layers.Dense(2, name="out")(merged))
    probe = [_X[:, :4], _RNG.normal(size=(64, 5)).astype("float32")]
    stats = _sample_once(ActivationStatistics(probe_data=(probe, _Y)), model)
    assert list(stats.history) == ["inner/a", "block/b", "block/b_call2", "out"]
    b = keras.ops.convert_to_numpy(block(inner(probe[0])))
    assert stats.history["block/b"]["mean"][0] == pytest.approx(
        b.mean(), rel=1e-4
    )


def test_layer_selection_and_errors():
    model = _probe_model()
    stats = _sample_once(
        ActivationStatistics(layers="t.*|dead", probe_data=_X), model
    )
    assert set(stats.history) == {"dead", "tanh"}
    stats = _sample_once(
        ActivationStatistics(layers=["logits"], probe_data=_X), model
    )
    assert list(stats.history) == ["logits"]
    with pytest.raises(ValueError, match="does not have: \\['nope'\\]"):
        _sample_once(
            ActivationStatistics(layers=["nope"], probe_data=_X), model
        )
    with pytest.raises(ValueError, match="selects no layer"):
        _sample_once(ActivationStatistics(layers="zzz", probe_data=_X), model)
    with pytest.raises(ValueError, match="every_n_steps=0"):
        ActivationStatistics(every_n_steps=0)
    with pytest.raises(TypeError, match="layers=3"):
        ActivationStatistics(layers=3)
    with pytest.raises(ValueError, match="update_ratio_range"):
        ActivationStatistics(update_ratio_range=(1e-2, 1e-4))


def test_subclassed_model_error_and_probe_model():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(
                8, activation="relu", name="hidden"
            )
            self.head = keras.layers.Dense(3, name="head")

        def call(self, x):
            return self.head(self.hidden(x))

    net = Net()
    net(_X)
    with pytest.raises(
        ValueError, match="pass `probe_model`|Pass `probe_model`"
    ):
        _sample_once(ActivationStatistics(probe_data=_X), net)
    x = keras.Input((6,))
    probe_model = keras.Model(x, net.head(net.hidden(x)))
    stats = ActivationStatistics(
        probe_data=_X, probe_model=probe_model, every_n_steps=4
    )
    _fit(net, [stats])
    assert list(stats.history) == ["hidden", "head"]
    assert stats.history["head"]["update_ratio"][1] > 0


def test_config_round_trip_takes_the_probe_data_again():
    stats = ActivationStatistics(
        layers="dense.*", every_n_steps=7, bins=12, probe_data=_X
    )
    config = stats.get_config()
    assert "probe_data" not in config
    restored = ActivationStatistics(probe_data=_X, **config)
    assert restored.get_config() == config
    # Not registered for saving: its probe data does not serialize, and a
    # copy made without it would silently probe random data.
    with pytest.raises(TypeError, match="ActivationStatistics"):
        keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(stats)
        )


def test_thresholds_override_the_bands_and_old_configs_load():
    old = {
        "dead_threshold": 0.5,
        "saturation_threshold": 0.5,
        "std_threshold": 1e-3,
        "update_ratio_range": [1e-6, 0.3],
    }
    stats = ActivationStatistics(probe_data=_X, **old)
    assert stats._bands["saturated"] == 0.5 and stats._bands["dead"] == 0.5
    default = ActivationStatistics(probe_data=_X)
    assert default._bands == BANDS


def test_automatic_interval_and_dataset_probe():
    import tensorflow as tf

    probe = tf.data.Dataset.from_tensor_slices((_X, _Y))
    stats = ActivationStatistics(probe_data=probe, probe_size=16)
    _fit(_probe_model(), [stats], epochs=2, batch_size=4)  # 32 steps
    assert isinstance(stats.sample_interval, int) and stats.sample_interval >= 1
    # The trained model is sampled; the epoch end at 16 only if it is near
    # an interval sample (`SamplingSchedule.epoch_end_due`).
    assert stats.steps[0] == 0 and stats.steps[-1] == 32


def test_mixed_precision_and_xla(mixed_precision):
    stats = ActivationStatistics(
        every_n_steps=4, probe_data=_X, jit_compile=True
    )
    model = _probe_model()
    _fit(model, [stats])
    assert model.get_layer("tanh").compute_dtype == "float16"
    assert all(np.isfinite(v).all() for v in stats.history["tanh"]["std"])
    assert stats.history["tanh"]["update_ratio"][1] > 0


def test_mirrored_strategy(mirrored_strategy):
    with mirrored_strategy.scope():
        model = _probe_model()
        model.compile(
            keras.optimizers.SGD(0.01),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    stats = ActivationStatistics(every_n_steps=2, probe_data=_X)
    model.fit(_X, _Y, batch_size=16, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == [0, 2, 4]
    a = _layer_output(model, "relu")
    assert stats.history["relu"]["mean"][-1] == pytest.approx(
        a.mean(), rel=1e-4
    )
    assert stats.history["relu"]["update_ratio"][-1] > 0


def test_mid_epoch_samples_see_the_current_weights():
    # Under JAX the trainer keeps the weights outside the variables during
    # an epoch: each sample must see the weights of its own step.
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(4, name="dense")]
    )
    stats = ActivationStatistics(every_n_steps=3, probe_data=_X)
    recorder = _KernelRecorder("dense", bias=True)
    _fit(model, [recorder, stats], epochs=1, batch_size=8)  # 8 steps
    assert stats.steps == [0, 3, 6, 8]
    for index, step in enumerate(stats.steps):
        kernel, bias = recorder.kernels[step], recorder.biases[step]
        a = _X @ kernel + bias
        record = stats.history["dense"]
        assert record["mean"][index] == pytest.approx(a.mean(), rel=1e-5)
        assert record["std"][index] == pytest.approx(a.std(), rel=1e-5)
        counts, _ = np.histogram(a, bins=30)
        assert np.abs(record["histogram"][index] - counts).sum() <= 2


def test_watching_does_not_change_training():
    weights = []
    for callbacks in ([], [ActivationStatistics(every_n_steps=2)]):
        keras.utils.set_random_seed(0)
        model = _probe_model()
        _fit(model, callbacks, epochs=2, shuffle=False)
        weights.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for unwatched, watched in zip(*weights):
        np.testing.assert_array_equal(unwatched, watched)


def test_iterable_of_batches_as_probe_data():
    def batches():
        for start in range(0, 64, 10):
            yield _X[start : start + 10], _Y[start : start + 10]

    model = _probe_model()
    stats = _sample_once(
        ActivationStatistics(probe_data=batches(), probe_size=25), model
    )
    reference = _sample_once(
        ActivationStatistics(probe_data=_X[:25], probe_size=25), model
    )
    for name, record in reference.history.items():
        assert stats.history[name]["mean"] == record["mean"]


def test_tensorboard_is_skipped_once_without_tensorboard(
    tmp_path, monkeypatch, caplog
):
    # TensorBoard is simulated missing for the writers only.
    import builtins

    from keras_training_kit.callbacks import activation_writers

    real_import = builtins.__import__

    def blocked_import(name, globals=None, *args, **kwargs):
        caller = (globals or {}).get("__name__")
        if (
            name.split(".")[0] == "tensorboard"
            and caller == activation_writers.__name__
        ):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, globals, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked_import)
    monkeypatch.setattr(activation_writers, "_missing_reported", False)
    with caplog.at_level(logging.WARNING):
        for run in range(2):
            stats = ActivationStatistics(
                every_n_steps=4,
                probe_data=_X,
                log_dir=str(tmp_path / "logs"),
                csv_path=str(tmp_path / f"stats{run}.csv"),
            )
            _fit(_probe_model(), [stats])
    reported = [m for m in caplog.messages if "no TensorBoard" in m]
    assert len(reported) == 1
    assert "`tensorboard` is not installed" in reported[0]
    assert "the CSV (`csv_path`)" in reported[0]
    assert not (tmp_path / "logs").exists()
    steps, _ = ActivationStatistics.read_csv(str(tmp_path / "stats1.csv"))
    assert steps == stats.steps == [0, 4, 8]


_WITHOUT_TENSORFLOW = """
import logging, os, sys
sys.modules["tensorflow"] = None  # `import tensorflow` raises ImportError
import numpy as np, keras
from keras_training_kit.callbacks import ActivationStatistics
logging.basicConfig(level=logging.WARNING, format="%(message)s")
folder = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 4)).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile("sgd", "mse")
for run in range(2):
    stats = ActivationStatistics(
        every_n_steps=2, probe_data=x, log_dir=os.path.join(folder, "logs"),
        csv_path=os.path.join(folder, f"stats{run}.csv"))
    model.fit(x, x[:, :3], batch_size=8, epochs=1, verbose=0,
              callbacks=[stats])
steps, _ = ActivationStatistics.read_csv(os.path.join(folder, "stats1.csv"))
assert steps == stats.steps == [4, 6, 8], steps
assert len(stats.save_figures(folder)) == 2
assert sys.modules["tensorflow"] is None
print("OK", keras.backend.backend())
"""


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="runs a fresh JAX process with TensorFlow blocked (run it with "
    "KERAS_BACKEND=jax)",
)
def test_runs_under_jax_without_tensorflow(tmp_path):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TENSORFLOW, str(tmp_path)],
        cwd=root,
        env={**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["OK", "jax"]
    # TensorBoard summaries need the `tensorboard` package only.
    assert "no TensorBoard summaries" not in result.stderr
    assert (tmp_path / "logs").exists()
