import keras
import numpy as np
import pytest

from keras_training_kit.models import build_cnn


def _types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_conv2d_for_images():
    model = build_cnn((8, 8, 1), 10)
    types = _types(model)
    assert types.count("Conv2D") == 2 and types.count("MaxPooling2D") == 2
    assert model.output_shape == (None, 10)


def test_conv1d_for_signals():
    model = build_cnn((40, 1), 10, filters=(8, 16, 16), dense_units=())
    types = _types(model)
    assert types.count("Conv1D") == 3 and "Conv2D" not in types
    assert types.count("MaxPooling1D") == 3
    assert types[-2:] == ["Flatten", "Dense"]


def test_pooling_stops_at_size_one():
    model = build_cnn((4, 4, 1), 3, filters=(4, 4, 4, 4))
    assert _types(model).count("MaxPooling2D") == 2


def test_batchnorm_positions():
    before = _types(build_cnn((8, 8, 1), 3, (4,), normalization="batch"))
    assert before[1:4] == ["Conv2D", "BatchNormalization", "Activation"]
    after = _types(
        build_cnn(
            (8, 8, 1),
            3,
            (4,),
            normalization="batch",
            normalization_position="after_activation",
        )
    )
    assert after[1:4] == ["Conv2D", "Activation", "BatchNormalization"]


def test_spatial_dropout_drops_whole_channels_in_training_only():
    model = build_cnn(
        (6, 6, 1), 3, (32,), pooling=None, spatial_dropout=0.5, dense_units=()
    )
    assert "SpatialDropout2D" in _types(model)
    probe = __import__("keras").Model(
        model.input, model.get_layer("spatial_dropout_1").output
    )
    x = np.random.rand(2, 6, 6, 1).astype("float32")
    out = keras.ops.convert_to_numpy(probe(x, training=True))
    zero_channels = np.all(out == 0, axis=(1, 2))
    assert zero_channels.any()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(probe(x, training=False)),
        keras.ops.convert_to_numpy(probe(x, training=False)),
    )
    assert not np.all(
        keras.ops.convert_to_numpy(probe(x, training=False)) == 0, axis=(1, 2)
    ).all()


def test_spatial_dropout_1d_and_regularizers():
    model = build_cnn(
        (40, 1), 3, (4,), spatial_dropout=0.2, l2=1e-3, dropout=0.3
    )
    assert "SpatialDropout1D" in _types(model) and "Dropout" in _types(model)
    model(np.zeros((1, 40, 1), "float32"))
    assert len(model.losses) == 3


def test_maxout_widths():
    model = build_cnn(
        (8, 8, 1),
        3,
        (4,),
        activation="maxout",
        maxout_pieces=3,
        dense_units=(5,),
    )
    assert model.get_layer("conv_1_linear").filters == 12
    assert model.get_layer("dense_1_linear").units == 15
    assert model.get_layer("conv_1_act").output.shape[-1] == 4


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"input_shape": (10,)}, "input_shape.*build_mlp"),
        ({"spatial_dropout": 2.0}, "spatial_dropout"),
        ({"pooling": "min"}, "pooling.*Received: pooling='min'"),
        ({"filters": (8, -1)}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
    ],
)
def test_invalid_options(kwargs, match):
    args = {"input_shape": (8, 8, 1), "num_classes": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        build_cnn(**args)


def test_whitening_stem_is_a_frozen_patch_whitening_conv():
    from keras_training_kit.initializers import patch_whitening_kernel

    images = np.random.default_rng(0).random((16, 8, 8, 3)).astype("float32")
    model = build_cnn(
        (8, 8, 3), 3, (4,), whitening_stem=True, whitening_images=images
    )
    stem = model.get_layer("whitening_stem")
    assert model.layers[1] is stem and not stem.trainable
    assert stem.output.shape == (None, 7, 7, 24)
    kernel, bias = patch_whitening_kernel(images, 2, return_bias=True)
    np.testing.assert_allclose(stem.kernel.numpy(), kernel)
    np.testing.assert_allclose(stem.bias.numpy(), bias)
    assert len(model.trainable_weights) == len(
        build_cnn((7, 7, 24), 3, (4,)).trainable_weights
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"whitening_stem": True}, "whitening_images=x_train"),
        ({"whitening_stem": np.zeros((2, 8, 8, 1))}, "whitening_stem.*bool"),
        ({"whitening_stem": True, "input_shape": (40, 1)}, "image inputs"),
        (
            {
                "whitening_stem": True,
                "whitening_images": np.zeros((4, 8, 8, 3), "float32"),
            },
            "channels",
        ),
    ],
)
def test_whitening_stem_errors(kwargs, match):
    args = {"input_shape": (8, 8, 1), "num_classes": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        build_cnn(**args)
