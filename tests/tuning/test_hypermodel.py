import math

import keras
import keras_tuner
import numpy as np
import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import log_grid


def _hypermodel(**kwargs):
    options = dict(builder_kwargs={"hidden_units": (8,)})
    options.update(kwargs)
    return TrainingHyperModel("mlp", (8, 8, 1), 10, **options)


def _space(hypermodel):
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    return {p.name: p for p in hp.space}


def test_log_sampling_spreads_over_decades():
    space = _space(_hypermodel(learning_rate=(1e-5, 1e-1)))
    samples = np.array(
        [space["learning_rate"].random_sample(seed) for seed in range(400)]
    )
    assert samples.min() >= 1e-5 and samples.max() <= 1e-1
    decades = np.floor(np.log10(samples)).astype(int)
    counts = np.array([np.sum(decades == d) for d in range(-5, -1)])
    # Uniform in log space: about 100 per decade. Uniform sampling would put
    # 90% of the samples in the top decade.
    assert counts.min() > 60, counts
    assert counts[-1] < 0.4 * len(samples), counts


def test_build_declares_log_floats_and_compiles_with_them():
    hypermodel = _hypermodel(learning_rate=(1e-4, 1e-2), l2=(1e-5, 1e-3))
    hp = keras_tuner.HyperParameters()
    hp.values.update({"learning_rate": 3e-3, "l2": 2e-4})
    model = hypermodel.build(hp)
    space = {p.name: p for p in hp.space}
    assert space["learning_rate"].sampling == "log"
    assert space["l2"].sampling == "log"
    assert math.isclose(
        float(model.optimizer.learning_rate), 3e-3, rel_tol=1e-6
    )
    assert math.isclose(
        float(model.get_layer("dense_1_linear").kernel_regularizer.l2),
        2e-4,
        rel_tol=1e-6,
    )


def test_fixed_values_and_choices():
    hypermodel = _hypermodel(
        learning_rate=1e-3,
        dropout=[0.0, 0.5],
        normalization=[None, "batch"],
        optimizer=["adam", "sgd"],
    )
    space = _space(hypermodel)
    assert "learning_rate" not in space
    assert set(space["dropout"].values) == {0.0, 0.5}
    assert set(space["normalization"].values) == {"none", "batch"}
    assert set(space["optimizer"].values) == {"adam", "sgd"}
    assert hypermodel.log_ranges() == {"l2": (1e-6, 1e-1)}


def test_a_fixed_l2_of_zero_is_no_penalty_and_no_hyperparameter():
    # `ktk train`'s default: a grid holds L2 there unless asked to search it.
    hypermodel = _hypermodel(
        learning_rate=1e-3,
        l2=0.0,
        optimizer=["adam", "nesterov"],
        schedule=["constant", "one-cycle"],
    ).with_grid(1)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    # The grid spans the choices only: 2 x 2 points.
    assert {p.name: len(p.values) for p in hp.space} == {
        "optimizer": 2,
        "schedule": 2,
    }
    assert hypermodel.log_ranges() == {}
    assert model.get_layer("dense_1_linear").kernel_regularizer is None


def test_with_ranges_builds_with_the_new_ranges():
    narrowed = _hypermodel().with_ranges(learning_rate=(1e-3, 2e-3))
    space = _space(narrowed)
    assert (
        space["learning_rate"].min_value,
        space["learning_rate"].max_value,
    ) == (
        1e-3,
        2e-3,
    )


def test_log_grid_is_log_spaced():
    grid = np.array(log_grid(1e-5, 1e-1, per_decade=2))
    ratios = grid[1:] / grid[:-1]
    np.testing.assert_allclose(ratios, np.sqrt(10), rtol=1e-4)
    assert grid[0] == 1e-5 and math.isclose(grid[-1], 1e-1)
    assert log_grid(1e-4, 5e-2) == [1e-4, 1e-3, 1e-2, 5e-2]
    space = _space(_hypermodel(learning_rate=(1e-4, 1e-1)).with_grid(1))
    assert space["learning_rate"].values == [1e-4, 1e-3, 1e-2, 1e-1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate=(1e-2, 1e-3)), "learning_rate"),
        (dict(learning_rate=(0.0, 1e-3)), "learning_rate"),
        (dict(l2=(-1.0, 1.0)), "l2"),
        (dict(l2=-1e-4), "l2"),
        (dict(l2=(0.0, 1e-3)), "l2"),
        (dict(dropout=[0.1, 1.5]), "dropout"),
        (dict(optimizer="lion"), "optimizer"),
        (dict(normalization="group"), "normalization"),
        (dict(divergence_factor=1.0), "divergence_factor"),
        (dict(grid_per_decade=0), "grid_per_decade"),
    ],
)
def test_constructor_validates(kwargs, match):
    with pytest.raises(ValueError, match=f"`{match}`.*Received"):
        _hypermodel(**kwargs)


def test_bad_builder():
    with pytest.raises(ValueError, match="`builder`.*Received: builder='rnn'"):
        TrainingHyperModel("rnn", (8, 8, 1), 10)


def test_callable_builder_and_cnn():
    calls = {}

    def builder(input_shape, num_classes, **options):
        calls.update(options)
        return keras.Sequential(
            [
                keras.Input(input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(num_classes),
            ]
        )

    hp = keras_tuner.HyperParameters()
    TrainingHyperModel(builder, (4, 4, 1), 3, builder_kwargs={"x": 1}).build(hp)
    assert calls["x"] == 1 and 1e-6 <= calls["l2"] <= 1e-1
    cnn = TrainingHyperModel(
        "cnn", (8, 8, 1), 10, builder_kwargs={"filters": (4,)}
    )
    assert cnn.build(keras_tuner.HyperParameters()).output_shape == (None, 10)


def test_fit_records_divergence():
    data = load_dataset("digits")
    train = data.train.take(256).batch(32)
    hypermodel = _hypermodel(learning_rate=1e3, optimizer="sgd")
    hp = keras_tuner.HyperParameters()
    history = hypermodel.fit(
        hp, hypermodel.build(hp), train, epochs=3, verbose=0
    )
    assert history.history["diverged"] == [1.0] * len(history.epoch)
    assert len(history.epoch) == 1
    calm = _hypermodel(learning_rate=1e-3)
    history = calm.fit(hp, calm.build(hp), train, epochs=2, verbose=0)
    assert history.history["diverged"] == [0.0, 0.0]
    assert history.history["epochs_run"] == [2.0, 2.0]


def test_schedule_is_a_choice_and_runs_over_the_trials_fit():
    hypermodel = _hypermodel(
        learning_rate=0.05,
        optimizer=("adam", "sgd"),
        schedule=("constant", "one-cycle"),
    )
    space = _space(hypermodel)
    assert space["schedule"].values == ["constant", "one-cycle"]
    hp = keras_tuner.HyperParameters()
    hp.Fixed("schedule", "one-cycle")
    hp.Fixed("optimizer", "adam")
    model = hypermodel.build(hp)
    x = np.random.default_rng(0).random((40, 8, 8, 1)).astype("float32")
    y = np.arange(40) % 10
    hypermodel.fit(hp, model, x, y, epochs=3, batch_size=8, verbose=0)
    config = model.optimizer.get_config()["learning_rate"]
    assert config["class_name"] == "OneCycle"
    # 3 epochs of 5 batches, peaking at the trial's learning rate.
    assert config["config"]["total_steps"] == 15
    assert config["config"]["max_learning_rate"] == pytest.approx(0.05)
    # One-cycle cycled Adam's beta_1 and gave the float back.
    assert isinstance(model.optimizer.beta_1, float)
    assert model.optimizer.beta_1 != 0.9


def test_a_search_over_schedule_and_optimizer(tmp_path):
    data = load_dataset("digits")
    hypermodel = TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        learning_rate=0.1,
        l2=1e-4,
        optimizer=("momentum", "adagrad"),
        schedule=("cosine", "one-cycle"),
        builder_kwargs={"hidden_units": (16,)},
        seed=0,
    )
    tuner = keras_tuner.GridSearch(
        hypermodel,
        objective="val_accuracy",
        directory=str(tmp_path),
        project_name="grid",
        max_trials=4,
    )
    train = data.train.batch(64)
    tuner.search(train, validation_data=data.validation.batch(64), epochs=3)
    trials = tuner.oracle.trials.values()
    seen = sorted(
        (t.hyperparameters.get("optimizer"), t.hyperparameters.get("schedule"))
        for t in trials
    )
    assert seen == [
        ("adagrad", "cosine"),
        ("adagrad", "one-cycle"),
        ("momentum", "cosine"),
        ("momentum", "one-cycle"),
    ]
    # Every trial trained (chance is 0.1).
    scores = [t.score for t in trials]
    assert all(s is not None and s > 0.5 for s in scores), scores


def test_a_schedule_over_data_of_unknown_length_needs_steps():
    import tensorflow as tf

    hypermodel = _hypermodel(schedule="cosine")
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    x = tf.data.Dataset.from_tensors(
        (np.zeros((2, 8, 8, 1), "float32"), np.zeros(2, "int32"))
    ).filter(lambda a, b: True)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        hypermodel.fit(hp, model, x, epochs=1, verbose=0)
