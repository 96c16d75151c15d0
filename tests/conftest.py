"""Test session set-up shared by every test module.

Two logical CPU devices are configured before TensorFlow initializes, so
`tf.distribute.MirroredStrategy` can be tested on a CPU-only machine.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Tests of TensorFlow-only features (tf.data input, tf.distribute) run
# under the TensorFlow backend only.
requires_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="needs the TensorFlow backend (tf.data / tf.distribute)",
)

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu,
    [
        tf.config.LogicalDeviceConfiguration(),
        tf.config.LogicalDeviceConfiguration(),
    ],
)


@pytest.fixture(scope="session")
def mirrored_strategy():
    """A `MirroredStrategy` over the two logical CPU devices.

    One per session: collective-op instance keys of several strategies in
    one process collide ("Shape mismatch in the collective instance").
    Skips the test under another backend, whose models a `tf.distribute`
    strategy does not distribute.
    """
    if keras.backend.backend() != "tensorflow":
        pytest.skip("tf.distribute strategies need the TensorFlow backend")
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture
def mixed_precision():
    """Runs a test under the `mixed_float16` policy, restoring the old one."""
    previous = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy(previous)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    yield


@pytest.fixture
def reload_in_fresh_process(tmp_path):
    """Saves a model to `.keras` and predicts with it in a fresh process.

    Returns `predict(model, x, modules)`: the fresh process imports
    `modules` (the package modules registering the model's objects), loads
    the model with `safe_mode=True` and returns its predictions on `x`.
    """
    import subprocess
    import sys

    import numpy as np

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import importlib, sys, numpy as np, keras\n"
        "for name in sys.argv[4:]: importlib.import_module(name)\n"
        "m = keras.saving.load_model(sys.argv[1], safe_mode=True)\n"
        "np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))\n"
    )

    def predict(model, x, modules):
        paths = [
            str(tmp_path / name) for name in ("model.keras", "x.npy", "y.npy")
        ]
        model.save(paths[0])
        np.save(paths[1], x)
        subprocess.run(
            [sys.executable, "-c", code, *paths, *modules],
            check=True,
            cwd=root,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            capture_output=True,
            timeout=300,
        )
        return np.load(paths[2])

    return predict
