import math

import keras
import numpy as np
import pytest

from keras_training_kit.initializers import KaimingNormal
from keras_training_kit.initializers import KaimingUniform
from keras_training_kit.initializers import XavierNormal
from keras_training_kit.initializers import XavierUniform
from keras_training_kit.initializers import calculate_gain
from keras_training_kit.initializers import compute_fans


def test_compute_fans_follows_keras():
    assert compute_fans((20, 30)) == (20, 30)
    assert compute_fans((3, 3, 16, 32)) == (144, 288)
    assert compute_fans((5, 4, 8)) == (20, 40)
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans(()) == (1, 1)


@pytest.mark.parametrize(
    "initializer, shape, expected_std",
    [
        (KaimingNormal(seed=1), (800, 600), math.sqrt(2.0 / 800)),
        (
            KaimingNormal("tanh", mode="fan_out", seed=2),
            (800, 600),
            5.0 / 3.0 / math.sqrt(600),
        ),
        (
            KaimingUniform("leaky_relu", 0.2, seed=3),
            (800, 600),
            math.sqrt(2.0 / 1.04 / 800),
        ),
        (KaimingNormal(seed=4), (3, 3, 64, 128), math.sqrt(2.0 / (9 * 64))),
        (XavierNormal(seed=5), (800, 600), math.sqrt(2.0 / 1400)),
        (XavierNormal(mode="fan_in", seed=6), (500, 500), 1.0 / math.sqrt(500)),
        (
            XavierUniform(gain=5.0 / 3.0, seed=7),
            (3, 3, 64, 128),
            5.0 / 3.0 * math.sqrt(2.0 / (9 * 192)),
        ),
    ],
)
def test_empirical_std_within_two_percent(initializer, shape, expected_std):
    assert initializer.stddev(shape) == pytest.approx(expected_std, rel=1e-12)
    values = keras.ops.convert_to_numpy(initializer(shape))
    assert values.shape == shape
    assert abs(values.mean()) < 0.01 * expected_std * 10
    assert values.std() == pytest.approx(expected_std, rel=0.02)


def test_normal_is_untruncated_and_uniform_is_bounded():
    std = KaimingNormal(seed=0).stddev((500, 1000))
    normal = keras.ops.convert_to_numpy(KaimingNormal(seed=0)((500, 1000)))
    # Keras' HeNormal is truncated at 2 / 0.8796 = 2.27 std; 2.3% of an
    # untruncated normal lies beyond.
    assert np.mean(np.abs(normal) > 2.27 * std) == pytest.approx(
        0.0232, abs=0.004
    )
    he = keras.ops.convert_to_numpy(
        keras.initializers.HeNormal(seed=0)((500, 1000))
    )
    # Keras' PyTorch backend keeps the first of 4 draws inside 2 std, so
    # about 4e-6 of its values (0.046 ** 4) escape the truncation.
    assert np.mean(np.abs(he) > 2.274 * std) < 2e-5
    uniform = keras.ops.convert_to_numpy(KaimingUniform(seed=0)((500, 1000)))
    bound = math.sqrt(3.0) * std
    assert np.abs(uniform).max() <= bound
    assert np.abs(uniform).max() > 0.999 * bound


def test_xavier_uniform_matches_glorot_uniform_scale():
    shape = (300, 200)
    bound = math.sqrt(6.0 / (300 + 200))
    assert math.sqrt(3.0) * XavierUniform().stddev(shape) == pytest.approx(
        bound
    )


@pytest.mark.parametrize(
    "cls", [KaimingNormal, KaimingUniform, XavierNormal, XavierUniform]
)
def test_deterministic_for_a_seed(cls):
    a = keras.ops.convert_to_numpy(cls(seed=11)((40, 30)))
    b = keras.ops.convert_to_numpy(cls(seed=11)((40, 30)))
    c = keras.ops.convert_to_numpy(cls(seed=12)((40, 30)))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    unseeded = cls()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(unseeded((4, 3))),
        keras.ops.convert_to_numpy(unseeded((4, 3))),
    )


@pytest.mark.parametrize(
    "initializer",
    [
        KaimingNormal("leaky_relu", 0.1, mode="fan_out", seed=3),
        KaimingUniform("selu", seed=4),
        XavierNormal(gain=calculate_gain("tanh"), mode="fan_in", seed=5),
        XavierUniform(seed=6),
    ],
)
def test_serialization_round_trip(initializer):
    clone = keras.initializers.deserialize(
        keras.initializers.serialize(initializer)
    )
    assert type(clone) is type(initializer)
    assert clone.get_config() == initializer.get_config()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(clone((6, 5))),
        keras.ops.convert_to_numpy(initializer((6, 5))),
    )


def test_argument_errors():
    with pytest.raises(ValueError, match="nonlinearity='swish'"):
        KaimingNormal("swish")
    with pytest.raises(ValueError, match="mode='fan_avg'"):
        KaimingUniform(mode="fan_avg")
    with pytest.raises(ValueError, match="mode='avg'"):
        XavierNormal(mode="avg")
    with pytest.raises(ValueError, match="gain=0"):
        XavierUniform(gain=0)
    with pytest.raises(ValueError, match="seed='1'"):
        XavierUniform(seed="1")


def test_model_reloads_in_a_fresh_process(reload_in_fresh_process):
    inputs = keras.Input((8,))
    x = keras.layers.Dense(
        6, kernel_initializer=KaimingNormal("leaky_relu", 0.2, seed=1)
    )(inputs)
    x = keras.layers.Dense(5, kernel_initializer=KaimingUniform(seed=2))(x)
    x = keras.layers.Dense(
        4, kernel_initializer=XavierNormal(mode="fan_in", seed=3)
    )(x)
    outputs = keras.layers.Dense(
        3, kernel_initializer=XavierUniform(gain=2.0, seed=4)
    )(x)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    reloaded = reload_in_fresh_process(
        model, x, ["keras_training_kit.initializers"]
    )
    np.testing.assert_allclose(reloaded, model.predict(x, verbose=0), rtol=1e-6)
    # The reloaded model rebuilds the same initializers from their configs.
    clone = keras.Model.from_config(model.get_config())
    initializers = [layer.kernel_initializer for layer in clone.layers[1:]]
    assert [type(init).__name__ for init in initializers] == [
        "KaimingNormal",
        "KaimingUniform",
        "XavierNormal",
        "XavierUniform",
    ]
    assert [init.get_config() for init in initializers] == [
        layer.kernel_initializer.get_config() for layer in model.layers[1:]
    ]


SHAPES = [(20, 30), (7,), (5, 4, 8), (3, 3, 16, 32), (2, 3, 3, 4, 6)]


def _draws(initializer, shape):
    return keras.ops.convert_to_numpy(initializer(shape))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "initializer, gain, mode, distribution",
    [
        (KaimingNormal(seed=1), math.sqrt(2.0), "fan_in", "untruncated_normal"),
        (
            KaimingNormal("tanh", mode="fan_out", seed=2),
            5.0 / 3.0,
            "fan_out",
            "untruncated_normal",
        ),
        (
            KaimingUniform("leaky_relu", 0.2, seed=3),
            math.sqrt(2.0 / 1.04),
            "fan_in",
            "uniform",
        ),
        (XavierNormal(seed=4), 1.0, "fan_avg", "untruncated_normal"),
        (
            XavierNormal(mode="fan_in", seed=5),
            1.0,
            "fan_in",
            "untruncated_normal",
        ),
        (XavierUniform(gain=2.0, seed=6), 2.0, "fan_avg", "uniform"),
        (
            XavierUniform(gain=0.5, mode="fan_out", seed=7),
            0.5,
            "fan_out",
            "uniform",
        ),
    ],
)
def test_draws_what_variance_scaling_draws(
    initializer, gain, mode, distribution, shape
):
    assert isinstance(initializer, keras.initializers.VarianceScaling)
    reference = keras.initializers.VarianceScaling(
        scale=gain**2,
        mode=mode,
        distribution=distribution,
        seed=initializer.get_config()["seed"],
    )
    np.testing.assert_allclose(
        _draws(initializer, shape), _draws(reference, shape), rtol=1e-7, atol=0
    )


@pytest.mark.parametrize("shape", SHAPES + [(), (1, 1), (3, 1, 5, 2)])
def test_compute_fans_agrees_with_variance_scaling(shape):
    # `VarianceScaling` draws `normal(shape, seed) * sqrt(1 / fan)` (scale
    # 1): the ratio to a unit normal with the same seed gives its fan.
    unit = keras.ops.convert_to_numpy(keras.random.normal(shape, seed=3))
    fans = []
    for mode in ("fan_in", "fan_out"):
        scaled = _draws(
            keras.initializers.VarianceScaling(
                mode=mode, distribution="untruncated_normal", seed=3
            ),
            shape,
        )
        ratio = np.median(np.ravel(scaled / unit))
        fans.append(round(1.0 / ratio**2))
    assert compute_fans(shape) == tuple(fans)


@pytest.mark.parametrize("shape", [(40, 30), (3, 3, 8, 16)])
@pytest.mark.parametrize(
    "initializer",
    [
        KaimingNormal("leaky_relu", 0.1, mode="fan_out", seed=3),
        XavierNormal(gain=3.0, seed=4),
    ],
)
def test_stddev_is_the_drawn_standard_deviation(initializer, shape):
    seed = initializer.get_config()["seed"]
    unit = keras.ops.convert_to_numpy(keras.random.normal(shape, seed=seed))
    np.testing.assert_allclose(
        _draws(initializer, shape) / unit, initializer.stddev(shape), rtol=1e-6
    )


def test_unseeded_keeps_seed_none_in_its_config():
    assert KaimingUniform().get_config() == {
        "nonlinearity": "relu",
        "negative_slope": None,
        "mode": "fan_in",
        "seed": None,
    }
    assert XavierNormal().get_config() == {
        "gain": 1.0,
        "mode": "fan_avg",
        "seed": None,
    }


# The serialized form written by earlier 0.1.0 builds, whose initializers
# were not `VarianceScaling` subclasses (from the `config.json` of their
# `.keras`).
_MODULE = "keras_training_kit.initializers.random_initializers"
EARLIER_CONFIGS = [
    (
        "KaimingNormal",
        {
            "mode": "fan_out",
            "seed": 1,
            "nonlinearity": "leaky_relu",
            "negative_slope": 0.2,
        },
        (2.0 / 1.04, "fan_out", "untruncated_normal"),
    ),
    (
        "KaimingUniform",
        {
            "mode": "fan_in",
            "seed": 2,
            "nonlinearity": "relu",
            "negative_slope": None,
        },
        (2.0, "fan_in", "uniform"),
    ),
    (
        "XavierNormal",
        {"mode": "fan_in", "seed": 3, "gain": 1.0},
        (1.0, "fan_in", "untruncated_normal"),
    ),
    (
        "XavierUniform",
        {"mode": "fan_avg", "seed": 4, "gain": 2.0},
        (4.0, "fan_avg", "uniform"),
    ),
]


@pytest.mark.parametrize("class_name, config, expected", EARLIER_CONFIGS)
def test_configs_saved_by_earlier_versions_load(class_name, config, expected):
    initializer = keras.initializers.deserialize(
        {
            "module": _MODULE,
            "class_name": class_name,
            "config": dict(config),
            "registered_name": f"keras_training_kit>{class_name}",
        }
    )
    assert type(initializer).__name__ == class_name
    # The same keys: a model saved by this version loads in those builds.
    assert initializer.get_config() == config
    scale, mode, distribution = expected
    reference = keras.initializers.VarianceScaling(
        scale=scale, mode=mode, distribution=distribution, seed=config["seed"]
    )
    np.testing.assert_allclose(
        _draws(initializer, (3, 3, 4, 6)),
        _draws(reference, (3, 3, 4, 6)),
        rtol=1e-6,
    )
