"""Compiled builders' models train under XLA, mixed precision, and more.

They also train under MirroredStrategy, and reload.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

from keras_training_kit.models import build_cnn
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier


def _data(shape=(8, 8, 1), n=64, classes=3):
    rng = np.random.default_rng(0)
    x = rng.random((n,) + shape).astype("float32")
    y = (x.reshape(n, -1).mean(axis=1) > 0.5).astype("int32") % classes
    return x, y


def test_from_logits_follows_output():
    logits = compile_classifier(build_mlp((4,), 3, (4,)))
    softmax = compile_classifier(build_mlp((4,), 3, (4,), output="softmax"))
    assert logits.loss.from_logits is True
    assert softmax.loss.from_logits is False


def test_fit_with_jit_compile():
    x, y = _data()
    model = compile_classifier(
        build_cnn((8, 8, 1), 3, (4,), normalization="batch"),
        learning_rate=1e-2,
        jit_compile=True,
    )
    assert model.jit_compile is True
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_fit_under_mixed_float16(mixed_precision):
    x, y = _data()
    model = compile_classifier(
        build_cnn((8, 8, 1), 3, (4,), normalization="batch", dropout=0.1)
    )
    assert model.get_layer("conv_1_linear").compute_dtype == "float16"
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    out = model.predict(x[:4], verbose=0)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()


def test_fit_under_mirrored_strategy(mirrored_strategy):
    assert mirrored_strategy.num_replicas_in_sync == 2
    x, y = _data((40, 1))
    with mirrored_strategy.scope():
        model = compile_classifier(
            build_cnn((40, 1), 3, (4,), normalization="batch"),
            optimizer="momentum",
            learning_rate=1e-2,
        )
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    kernel = model.get_layer("conv_1_linear").kernel.value
    assert isinstance(kernel, tf.distribute.DistributedValues)
    replicas = [v.numpy() for v in kernel.values]
    assert len(replicas) == 2
    np.testing.assert_allclose(replicas[0], replicas[1])


def test_keras_round_trip_in_fresh_process(tmp_path):
    x, y = _data()
    model = compile_classifier(
        build_cnn(
            (8, 8, 1), 3, (4,), normalization="batch", dropout=0.2, l2=1e-3
        )
    )
    model.fit(x, y, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    np.save(tmp_path / "x.npy", x[:8])
    expected = model.predict(x[:8], verbose=0)
    script = textwrap.dedent(f"""
        import numpy as np, keras
        model = keras.saving.load_model({path!r}, safe_mode=True)
        x = np.load({str(tmp_path / 'x.npy')!r})
        np.save({str(tmp_path / 'out.npy')!r}, model.predict(x, verbose=0))
        """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run(
        [sys.executable, "-c", script], check=True, env=env, timeout=300
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "out.npy"), expected, rtol=1e-5, atol=1e-6
    )
