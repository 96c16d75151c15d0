"""The builders' defaults pass the package's own checks on every seed.

The loss before training is about ln C (the first sanity check of CS231n's
"Training Neural Networks" lectures, `diagnose`'s `initial_loss` band of
25%) because the classifier head starts with small weights; `diagnose`
finds nothing on the defaults.
"""

import math
import os
import random

import keras
import numpy as np
import pytest

from keras_training_kit.babysitting import diagnose
from keras_training_kit.models import blocks
from keras_training_kit.models import build_cnn
from keras_training_kit.models import build_deep_mlp
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier

BUILDERS = {"mlp": build_mlp, "cnn": build_cnn}
EXAMPLES = 512


def _digits():
    from keras_training_kit.data import load_dataset
    from keras_training_kit.diagnostics import first_examples

    x, y, _ = first_examples(load_dataset("digits").train, EXAMPLES)
    return x, y


def _mnist1d():
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    args = get_dataset_args()
    args.num_samples = EXAMPLES * 5 // 4  # 80% of them are the train split.
    # `make_dataset` seeds NumPy's and Python's global random streams.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return data["x"][..., np.newaxis].astype("float32"), data["y"]


DATA = {"digits": _digits, "mnist1d": _mnist1d}


@pytest.fixture(scope="module", params=sorted(DATA))
def examples(request):
    return DATA[request.param]()


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_initial_loss_is_near_ln_c_on_every_seed(builder, examples):
    x, y = examples
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses = []
    for seed in range(10):
        keras.utils.set_random_seed(seed)
        model = BUILDERS[builder](x.shape[1:], 10)
        # Eager, in training mode as `fit` runs it: no tracing per seed.
        losses.append(float(loss(y, model(x, training=True))))
    np.testing.assert_allclose(losses, math.log(10), rtol=0.25)
    # Not by luck of a band: the logits start near 0 (measured: <= 6%).
    np.testing.assert_allclose(losses, math.log(10), rtol=0.1)


def test_head_is_small_whatever_the_hidden_initializer():
    x, _ = _digits()
    model = build_mlp(x.shape[1:], 10, kernel_initializer="glorot_normal")
    head = keras.ops.convert_to_numpy(model.get_layer("output").kernel)
    # VarianceScaling(0.1, "fan_in") over the last hidden layer's 128 units.
    expected = math.sqrt(blocks.OUTPUT_SCALE / 128)
    assert np.std(head) == pytest.approx(expected, rel=0.1)
    hidden = model.get_layer("dense_1_linear")
    assert type(hidden.kernel_initializer).__name__ == "GlorotNormal"
    # "auto" still picks He for the hidden ReLU layers.
    cnn = build_cnn(x.shape[1:], 10)
    assert [
        type(cnn.get_layer(name).kernel_initializer).__name__
        for name in ("conv_1_linear", "dense_1_linear", "output")
    ] == ["HeNormal", "HeNormal", "VarianceScaling"]
    # The three builders' heads agree, with `blocks.OUTPUT_INITIALIZER`.
    deep = build_deep_mlp(8, 2, 16, num_classes=3)
    for built in (model, cnn, deep):
        config = built.layers[-1].get_config()["kernel_initializer"]
        assert config["class_name"] == "VarianceScaling"
        assert {k: config["config"][k] for k in ("scale", "mode")} == {
            "scale": blocks.OUTPUT_SCALE,
            "mode": "fan_in",
        }
    head = keras.initializers.get(blocks.OUTPUT_INITIALIZER)
    assert head.get_config() == blocks.output_initializer().get_config()


def test_config_and_saved_model_keep_the_head(tmp_path):
    x, _ = _digits()
    model = build_cnn(x.shape[1:], 10, filters=(4,), dense_units=(8,))
    clone = keras.Model.from_config(model.get_config())
    assert clone.get_layer("output").get_config()["kernel_initializer"] == (
        model.get_layer("output").get_config()["kernel_initializer"]
    )
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x[:8])),
        keras.ops.convert_to_numpy(model(x[:8])),
        rtol=1e-5,
        atol=1e-7,
    )


def test_diagnose_finds_nothing_on_the_defaults():
    x, y = _digits()
    found = {}
    for builder in sorted(BUILDERS):
        for seed in range(3):
            keras.utils.set_random_seed(seed)
            model = compile_classifier(BUILDERS[builder](x.shape[1:], 10))
            diagnosis = diagnose(model, x, y, batch_size=32)
            # The small head still sends a gradient to the first layer.
            assert diagnosis.layers[0]["backprop_std"] > 0
            found[builder, seed] = [
                (f.kind, f.layer, round(f.value, 3)) for f in diagnosis.findings
            ]
    assert found == {key: [] for key in found}
