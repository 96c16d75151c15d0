"""The probes' graphs pass TensorFlow's graph optimizer without errors.

TensorFlow's remapper (Grappler) logs an error on every call of a graph
it fails to rewrite. The probes are built so that it never does; the
check runs in a fresh process at TensorFlow's default log level (the test
session sets `TF_CPP_MIN_LOG_LEVEL`, which would hide the lines).
"""

import os
import subprocess
import sys

import keras
import pytest

# Dense and Conv2D layers followed by a separate activation layer (the
# probes' offsets sit between them), and a Dense with its activation.
_SCRIPT = """
import numpy as np
import keras

from keras_training_kit.babysitting import diagnose
from keras_training_kit.babysitting import run_init_study
from keras_training_kit.callbacks import ActivationStatistics
from keras_training_kit.callbacks import GradientStatistics

rng = np.random.default_rng(0)
x = rng.normal(size=(32, 8)).astype("float32")
y = rng.integers(0, 3, size=32)
images = rng.normal(size=(8, 6, 6, 2)).astype("float32")


def dense_model():
    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(8),
        keras.layers.Activation("relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(8),
        keras.layers.ELU(),
        keras.layers.Dense(3),
    ])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


conv = keras.Sequential([
    keras.Input((6, 6, 2)),
    keras.layers.Conv2D(4, 3),
    keras.layers.ReLU(),
    keras.layers.Flatten(),
    keras.layers.Dense(3),
])
conv.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
diagnose(dense_model(), x, y, batch_size=8)
diagnose(conv, images, y[:8], batch_size=4)
dense_model().fit(
    x,
    y,
    batch_size=8,
    epochs=1,
    verbose=0,
    callbacks=[
        GradientStatistics(
            (x[:16], y[:16]),
            every_n_steps=2,
            probe_size=16,
            micro_batch_size=8,
        ),
        ActivationStatistics(every_n_steps=2, probe_data=x, probe_size=16),
    ],
)
run_init_study(
    ["relu-he"], num_examples=16, input_dim=8, depth=3, width=8, bins=5
)
print("OK")
"""


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="checks TensorFlow's graph optimizer",
)
def test_probes_pass_the_graph_optimizer_without_errors():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "TF_CPP_MIN_LOG_LEVEL"
    }
    env.update(KERAS_BACKEND="tensorflow", PYTHONPATH=root)
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["OK"]
    errors = [
        line
        for line in result.stderr.splitlines()
        if "remapper failed" in line or "No registered ''" in line
    ]
    assert errors == []
