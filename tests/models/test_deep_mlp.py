import keras
import numpy as np
import pytest

from keras_training_kit.models import build_deep_mlp


def test_structure():
    model = build_deep_mlp(input_dim=12, depth=4, width=7)
    names = [layer.name for layer in model.layers[1:]]
    assert names == ["layer_1", "layer_2", "layer_3", "layer_4"]
    assert all(not layer.use_bias for layer in model.layers[1:])
    assert model.output_shape == (None, 7)
    assert model.layers[1].activation.__name__ == "tanh"


def test_small_init_collapses_activations():
    init = keras.initializers.RandomNormal(stddev=0.01, seed=0)
    model = build_deep_mlp(
        input_dim=100, depth=5, width=100, kernel_initializer=init
    )
    x = np.random.default_rng(0).standard_normal((200, 100)).astype("float32")
    assert float(np.std(keras.ops.convert_to_numpy(model(x)))) < 1e-4


def test_head_and_errors():
    assert build_deep_mlp(8, 2, 4, num_classes=3).output_shape == (None, 3)
    with pytest.raises(ValueError, match="depth"):
        build_deep_mlp(depth=0)
