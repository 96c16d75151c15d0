import keras
import numpy as np
import pytest

from keras_training_kit.initializers import lsuv_initialize
from keras_training_kit.models import build_cnn


def output_std(model, layer_name, x):
    probe = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    return float(np.std(keras.ops.convert_to_numpy(probe(x))))


def test_mlp_reaches_tolerance():
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="tanh", name="d1"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(32, activation="relu", name="d2"),
            keras.layers.Dense(5, name="d3"),
        ]
    )
    x = (
        np.random.default_rng(0).standard_normal((256, 20)).astype("float32")
        * 7.0
    )
    report = lsuv_initialize(model, x, target_std=0.5, tol=0.02, seed=0)
    assert [r["layer"] for r in report] == ["d1", "d2", "d3"]
    for entry in report:
        assert entry["converged"]
        assert abs(entry["std"] - 0.5) <= 0.02
        assert entry["std"] == pytest.approx(
            output_std(model, entry["layer"], x), rel=1e-5
        )
        assert 0 <= entry["iterations"] <= 10
    # Dense layers feed on tanh/ReLU of a x7 input, so some rescaling happened.
    assert sum(r["iterations"] for r in report) > 0


def test_cnn_reaches_tolerance_and_skips_layers_without_kernels():
    model = build_cnn(
        (8, 8, 1), 3, (4, 8), dense_units=(16,), normalization="batch"
    )
    x = np.random.default_rng(1).uniform(0, 1, (64, 8, 8, 1)).astype("float32")
    report = lsuv_initialize(model, x, seed=1)
    kernel_layers = [
        layer.name for layer in model.layers if hasattr(layer, "kernel")
    ]
    assert [r["layer"] for r in report] == kernel_layers
    assert len(kernel_layers) == 4  # 2 convs, 1 hidden dense, the output.
    for entry in report:
        assert entry["converged"] and abs(entry["std"] - 1.0) <= 0.1
        assert entry["std"] == pytest.approx(
            output_std(model, entry["layer"], x), rel=1e-5
        )


def test_orthonormal_start_and_seed():
    def make():
        return keras.Sequential(
            [keras.Input((16,)), keras.layers.Dense(16, use_bias=False)]
        )

    x = np.random.default_rng(2).standard_normal((128, 16)).astype("float32")
    first, second = make(), make()
    lsuv_initialize(first, x, seed=3, max_iter=1, tol=10.0)  # Orthogonal only.
    lsuv_initialize(second, x, seed=3, max_iter=1, tol=10.0)
    kernel = keras.ops.convert_to_numpy(first.layers[0].kernel)
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(16), atol=1e-5)
    np.testing.assert_array_equal(
        kernel, keras.ops.convert_to_numpy(second.layers[0].kernel)
    )

    kept = make()
    before = keras.ops.convert_to_numpy(kept.layers[0].kernel)
    report = lsuv_initialize(kept, x, orthogonal=False)
    after = keras.ops.convert_to_numpy(kept.layers[0].kernel)
    # Without the orthonormal start LSUV only rescales the existing kernel.
    ratio = after / before
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-4)
    assert report[0]["converged"]


def test_unreachable_outputs_raise():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model(np.ones((2, 4), "float32"))
    with pytest.raises(
        ValueError, match="Sequential or functional.*Subclassed"
    ):
        lsuv_initialize(model, np.ones((2, 4), "float32"))


def test_argument_errors():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match="tol=0"):
        lsuv_initialize(model, x, tol=0)
    with pytest.raises(ValueError, match="max_iter=0"):
        lsuv_initialize(model, x, max_iter=0)
    with pytest.raises(ValueError, match="no Dense/Conv"):
        lsuv_initialize(
            keras.Sequential([keras.Input((3,)), keras.layers.ReLU()]), x
        )


def _numpy_maxout_bn_cnn(weights, x, upto):
    """NumPy forward pass of the Maxout + BN CNN below, up to layer `upto`."""
    eps = 1e-3  # keras.layers.BatchNormalization's default epsilon.

    def batch_norm(h, gamma, beta, mean, variance):
        # Inference mode: the moving statistics, never the batch's.
        return (h - mean) / np.sqrt(variance + eps) * gamma + beta

    def maxout(h, units):
        return h.reshape(h.shape[:-1] + (-1, units)).max(axis=-2)

    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    h = sum(
        padded[:, a : a + 8, b : b + 8] @ weights["conv_1_linear"][0][a, b]
        for a in range(3)
        for b in range(3)
    )
    if upto == "conv_1_linear":
        return h
    h = maxout(batch_norm(h, *weights["conv_1_norm"]), 4)
    h = h.reshape(-1, 4, 2, 4, 2, 4).max(axis=(2, 4)).reshape(len(x), -1)
    h = h @ weights["dense_1_linear"][0]
    if upto == "dense_1_linear":
        return h
    h = maxout(batch_norm(h, *weights["dense_1_norm"]), 6)
    return h @ weights["output"][0] + weights["output"][1]


def test_maxout_batch_norm_cnn_matches_numpy_and_keeps_bn_statistics():
    # examples/lsuv_backends.py's model (Maxout + BN + LSUV), shrunk: every
    # backend must rescale the kernels as NumPy does, run BN in inference
    # mode and leave its moving statistics alone.
    model = build_cnn(
        (8, 8, 1),
        3,
        (4,),
        dense_units=(6,),
        activation="maxout",
        normalization="batch",
    )
    rng = np.random.default_rng(4)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = rng.uniform(
                0.5, 2.0, (4, layer.gamma.shape[0])
            )
            layer.set_weights([gamma, beta - 1.0, mean - 1.0, variance])
        elif layer.weights:
            layer.set_weights(
                [rng.standard_normal(w.shape) for w in layer.get_weights()]
            )
    expected = {
        layer.name: [w.astype("float64") for w in layer.get_weights()]
        for layer in model.layers
        if layer.weights
    }
    x = rng.uniform(0, 1, (64, 8, 8, 1)).astype("float32")

    report = lsuv_initialize(model, x, orthogonal=False)

    # LSUV's loop in NumPy, with the defaults (target 1, tol 0.1, 10 steps).
    kernels = ["conv_1_linear", "dense_1_linear", "output"]
    assert [r["layer"] for r in report] == kernels
    for entry in report:
        name = entry["layer"]
        std = np.std(_numpy_maxout_bn_cnn(expected, x, name))
        iterations = 0
        while abs(std - 1.0) > 0.1 and iterations < 10:
            expected[name][0] = expected[name][0] / std
            iterations += 1
            std = np.std(_numpy_maxout_bn_cnn(expected, x, name))
        assert entry["iterations"] == iterations >= 1
        assert entry["std"] == pytest.approx(std, rel=1e-4)
    for layer in model.layers:
        for actual, wanted in zip(
            layer.get_weights(), expected.get(layer.name, [])
        ):
            np.testing.assert_allclose(actual, wanted, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x, training=False)),
        _numpy_maxout_bn_cnn(expected, x, "output"),
        rtol=1e-4,
        atol=1e-4,
    )
