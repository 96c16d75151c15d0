import keras
import numpy as np
import pytest

from keras_training_kit.models import build_mlp


def _layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_default_mlp_shapes():
    model = build_mlp((8, 8, 1), 10)
    assert model.output_shape == (None, 10)
    assert _layer_types(model) == [
        "InputLayer",
        "Flatten",
        "Dense",
        "Activation",
        "Dense",
        "Activation",
        "Dense",
    ]
    assert model.layers[-1].activation.__name__ == "linear"


def test_flat_input_has_no_flatten():
    model = build_mlp((20,), 3, (5,))
    assert "Flatten" not in _layer_types(model)


def test_batchnorm_before_activation_drops_bias():
    model = build_mlp((4,), 3, (6,), normalization="batch")
    types = _layer_types(model)
    assert types[1:4] == ["Dense", "BatchNormalization", "Activation"]
    assert model.get_layer("dense_1_linear").use_bias is False


def test_batchnorm_after_activation():
    model = build_mlp(
        (4,),
        3,
        (6,),
        normalization="batch",
        normalization_position="after_activation",
    )
    assert _layer_types(model)[1:4] == [
        "Dense",
        "Activation",
        "BatchNormalization",
    ]
    assert model.get_layer("dense_1_linear").use_bias is True


def test_layer_normalization():
    model = build_mlp((4,), 3, (6,), normalization="layer")
    assert "LayerNormalization" in _layer_types(model)


def test_dropout_only_active_in_training():
    model = build_mlp((50,), 3, (200,), dropout=0.5)
    x = np.ones((4, 50), "float32")
    inference = [
        keras.ops.convert_to_numpy(model(x, training=False)) for _ in range(2)
    ]
    np.testing.assert_allclose(inference[0], inference[1])
    training = [
        keras.ops.convert_to_numpy(model(x, training=True)) for _ in range(2)
    ]
    assert not np.allclose(training[0], training[1])
    assert not np.allclose(training[0], inference[0])


def test_regularization_losses_present():
    model = build_mlp((4,), 3, (6, 5), l2=1e-2, l1=1e-3)
    model(np.ones((1, 4), "float32"))
    assert len(model.losses) == 3  # two hidden kernels and the output kernel
    kernel = model.get_layer("dense_1_linear").kernel.numpy()
    expected = 1e-2 * np.sum(kernel**2) + 1e-3 * np.sum(np.abs(kernel))
    assert float(model.losses[0]) == pytest.approx(expected, rel=1e-5)
    assert build_mlp((4,), 3, (6,)).losses == []


def test_softmax_output():
    model = build_mlp((4,), 3, (6,), output="softmax")
    out = keras.ops.convert_to_numpy(
        model(np.random.rand(5, 4).astype("float32"))
    )
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "activation,expected",
    [
        ("relu", "HeNormal"),
        ("leaky_relu", "HeNormal"),
        ("tanh", "GlorotUniform"),
        ("sigmoid", "GlorotUniform"),
        ("selu", "LecunNormal"),
    ],
)
def test_auto_initializer(activation, expected):
    model = build_mlp((4,), 3, (6,), activation=activation)
    layer = model.get_layer("dense_1_linear")
    assert type(layer.kernel_initializer).__name__ == expected


def test_explicit_initializer_and_seeded_layers_differ():
    init = keras.initializers.RandomNormal(stddev=0.5, seed=7)
    a = build_mlp((6,), 3, (6, 6), kernel_initializer=init)
    b = build_mlp((6,), 3, (6, 6), kernel_initializer=init)
    k1 = a.get_layer("dense_1_linear").kernel.numpy()
    k2 = a.get_layer("dense_2_linear").kernel.numpy()
    assert not np.allclose(k1, k2)
    np.testing.assert_array_equal(
        k1, b.get_layer("dense_1_linear").kernel.numpy()
    )
    assert np.std(k1) > 0.2


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"activation": "nope"}, "activation.*Received: activation='nope'"),
        ({"kernel_initializer": "nope"}, "kernel_initializer.*Received"),
        (
            {"normalization": "group"},
            r"normalization.*\(None, 'batch', 'layer'\).*"
            r"Received: normalization='group'",
        ),
        (
            {"normalization_position": "middle"},
            "normalization_position.*before_activation",
        ),
        ({"dropout": 1.0}, r"dropout.*\[0, 1\).*Received: dropout=1.0"),
        ({"l2": -1.0}, "l2.*Received: l2=-1.0"),
        ({"output": "sigmoid"}, "output.*logits.*softmax"),
        ({"hidden_units": ()}, "hidden_units"),
        ({"hidden_units": (0,)}, "hidden_units"),
        ({"num_classes": 1}, "num_classes.*Received: num_classes=1"),
        ({"input_shape": ()}, "input_shape"),
    ],
)
def test_invalid_options(kwargs, match):
    args = {"input_shape": (4,), "num_classes": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        build_mlp(**args)


def test_maxout_pieces_without_maxout_is_refused():
    import pytest

    from keras_training_kit.models import build_cnn
    from keras_training_kit.models import build_mlp

    with pytest.raises(
        ValueError, match="only with `activation='maxout'`.*maxout_pieces=3"
    ):
        build_mlp((4,), 2, (8,), activation="relu", maxout_pieces=3)
    with pytest.raises(ValueError, match="only with `activation='maxout'`"):
        build_cnn((8, 8, 1), 2, (4,), maxout_pieces=3)
    model = build_mlp((4,), 2, (8,), activation="maxout", maxout_pieces=3)
    assert model.count_params() > 0


def test_batch_norm_momentum_reaches_every_batch_normalization():
    from keras_training_kit.models import build_cnn

    for model in (
        build_mlp(
            (4,), 2, (8, 8), normalization="batch", batch_norm_momentum=0.9
        ),
        build_cnn(
            (8, 8, 1),
            2,
            (4,),
            normalization="batch",
            normalization_position="after_activation",
            batch_norm_momentum=0.8,
        ),
    ):
        norms = [
            layer
            for layer in model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        assert norms and len({layer.momentum for layer in norms}) == 1
    # Without it, Keras' own default.
    model = build_mlp((4,), 2, (8,), normalization="batch")
    assert model.get_layer("dense_1_norm").momentum == 0.99


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(normalization="layer", batch_norm_momentum=0.9), "only with"),
        (dict(normalization=None, batch_norm_momentum=0.9), "only with"),
        (dict(normalization="batch", batch_norm_momentum=1.0), r"\[0, 1\)"),
        (dict(normalization="batch", batch_norm_momentum="0.9"), r"\[0, 1\)"),
    ],
)
def test_batch_norm_momentum_is_checked(kwargs, match):
    with pytest.raises(
        ValueError, match=f"batch_norm_momentum.*{match}|{match}"
    ):
        build_mlp((4,), 2, (8,), **kwargs)
