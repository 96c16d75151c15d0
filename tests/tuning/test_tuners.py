import keras_tuner
import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import make_objective
from keras_training_kit.tuning import make_tuner


@pytest.fixture(scope="module")
def digits():
    return (load_dataset("digits", validation_split=0.2),)


def _hypermodel(data, **kwargs):
    return TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        builder_kwargs={"hidden_units": (8,)},
        **kwargs,
    )


@pytest.mark.parametrize(
    "name, direction",
    [
        ("val_accuracy", "max"),
        ("accuracy", "max"),
        ("val_auc", "max"),
        ("val_loss", "min"),
        ("loss", "min"),
        ("val_mean_squared_error", "min"),
    ],
)
def test_objective_direction_is_keras_tuners(name, direction):
    objective = make_objective(name)
    assert (objective.name, objective.direction) == (name, direction)


def test_objectives_without_a_direction_are_refused():
    with pytest.raises(ValueError, match="cannot tell whether 'val_f00'"):
        make_objective("val_f00")
    with pytest.raises(TypeError, match="Received: objective=3"):
        make_objective(3)
    given = keras_tuner.Objective("val_f00", "min")
    assert make_objective(given) is given


def test_make_tuner_kinds(digits, tmp_path):
    data = digits[0]
    tuner = make_tuner("grid", _hypermodel(data), directory=str(tmp_path))
    assert type(tuner).__name__ == "GridSearch"
    assert tuner.hypermodel.grid_per_decade == 1
    assert tuner.oracle.objective.direction == "max"
    with pytest.raises(
        ValueError, match="`max_trials`.*Received: max_trials=0"
    ):
        make_tuner("random", _hypermodel(data), max_trials=0)
    with pytest.raises(ValueError, match="`strategy`.*'coarse-to-fine'"):
        make_tuner("coarse-to-fine", _hypermodel(data))
    loss = make_tuner(
        "random",
        _hypermodel(data),
        objective="val_loss",
        directory=str(tmp_path / "loss"),
    )
    assert loss.oracle.objective.direction == "min"
