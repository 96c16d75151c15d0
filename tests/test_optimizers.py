import keras
import pytest

from keras_training_kit.optimizers import OPTIMIZERS
from keras_training_kit.optimizers import build_optimizer


@pytest.mark.parametrize(
    "name,cls,momentum,nesterov",
    [
        ("sgd", keras.optimizers.SGD, 0.0, False),
        ("momentum", keras.optimizers.SGD, 0.9, False),
        ("nesterov", keras.optimizers.SGD, 0.9, True),
        ("adagrad", keras.optimizers.Adagrad, None, None),
        ("rmsprop", keras.optimizers.RMSprop, None, None),
        ("adam", keras.optimizers.Adam, None, None),
        ("adamw", keras.optimizers.AdamW, None, None),
    ],
)
def test_build_optimizer(name, cls, momentum, nesterov):
    optimizer = build_optimizer(name, 0.05)
    # The PyTorch backend substitutes its own subclass of each optimizer.
    assert isinstance(optimizer, cls)
    assert type(optimizer).__name__ == cls.__name__
    assert float(optimizer.learning_rate) == pytest.approx(0.05)
    if momentum is not None:
        assert optimizer.momentum == momentum
        assert optimizer.nesterov == nesterov


def test_every_name_builds_a_keras_optimizer_that_steps():
    for name in OPTIMIZERS:
        optimizer = build_optimizer(name, 0.1)
        assert isinstance(optimizer, keras.optimizers.Optimizer), name
        weight = keras.Variable([1.0, -1.0])
        optimizer.apply_gradients(
            [(keras.ops.convert_to_tensor([1.0, 1.0]), weight)]
        )
        # One step against a positive gradient lowers both weights.
        assert all(keras.ops.convert_to_numpy(weight) < [1.0, -1.0]), name


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "lbfgs"}, "optimizer.*Received: optimizer='lbfgs'"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"momentum": 1.0}, "momentum"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"weight_decay": -0.1}, r"weight_decay.*Received: weight_decay=-0.1"),
        ({"clipnorm": 0.0}, "clipnorm"),
        ({"global_clipnorm": "1"}, "global_clipnorm"),
        ({"clipnorm": 1.0, "global_clipnorm": 1.0}, "Only one of"),
        ({"use_ema": 1}, "use_ema"),
        ({"gradient_accumulation_steps": 0}, "gradient_accumulation_steps"),
        ({"gradient_accumulation_steps": 2.0}, "gradient_accumulation_steps"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_optimizer(**kwargs)


def test_keras_options_are_passed_through():
    optimizer = build_optimizer(
        "adagrad",
        0.1,
        weight_decay=1e-4,
        global_clipnorm=2.0,
        use_ema=True,
        gradient_accumulation_steps=4,
    )
    config = optimizer.get_config()
    assert config["weight_decay"] == pytest.approx(1e-4)
    assert config["global_clipnorm"] == 2.0
    assert config["use_ema"] is True
    assert config["gradient_accumulation_steps"] == 4
    assert build_optimizer("sgd", clipnorm=1.0).clipnorm == 1.0
    # One batch per update is no accumulation, as Keras spells it.
    assert (
        build_optimizer(gradient_accumulation_steps=1).get_config()[
            "gradient_accumulation_steps"
        ]
        is None
    )
    # AdamW keeps its own default decay unless one is given.
    assert build_optimizer("adamw").weight_decay == pytest.approx(0.004)


def test_accumulation_updates_every_n_batches_with_the_mean_gradient():
    optimizer = build_optimizer("sgd", 0.5, gradient_accumulation_steps=2)
    weight = keras.Variable([1.0])
    for gradient in (1.0, 3.0):
        optimizer.apply_gradients(
            [(keras.ops.convert_to_tensor([gradient]), weight)]
        )
    # After two batches: one step with the mean gradient 2.0.
    assert float(weight.numpy()[0]) == pytest.approx(1.0 - 0.5 * 2.0)


def test_a_schedule_is_a_learning_rate():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = build_optimizer("momentum", schedule)
    assert optimizer.get_config()["learning_rate"]["class_name"] == (
        "ExponentialDecay"
    )
