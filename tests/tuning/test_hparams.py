"""A search in TensorBoard's HParams dashboard, read back with TensorBoard's
own plugin: every trial, its hyperparameters, `pruned` and `epochs_run`."""

import inspect
import os
import subprocess
import sys

import keras
import keras_tuner
import pytest

from keras_training_kit.tuning import MedianPruner
from keras_training_kit.tuning import search
from keras_training_kit.tuning.hparams import stage_callbacks
from keras_training_kit.tuning.keras_tuner_compat import tensorboard_run_dir
from keras_training_kit.tuning.trials import is_pruned
from keras_training_kit.tuning.trials import pruned_epoch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
from hparams_dashboard import read_dashboard  # noqa: E402
from test_pruning import _hypermodel  # noqa: E402
from test_pruning import _RatesInOrder  # noqa: E402

_RATES = [0.1, 0.03, 1e-6, 3e-7, 1e-7]
_EPOCHS = 3


@pytest.fixture(scope="module")
def pruned_search(digits, tmp_path_factory):
    """A grid over `_RATES` in list order: the two good rates train
    fully, the tiny ones fall behind their median at the first epoch (as
    in `test_pruning`)."""
    data, train, validation = digits
    folder = tmp_path_factory.mktemp("pruned")
    result = search(
        _RatesInOrder(data, _RATES),
        train,
        validation,
        strategy="grid",
        max_trials=len(_RATES),
        epochs=_EPOCHS,
        directory=str(folder / "search"),
        pruner=MedianPruner(n_startup_trials=2),
        callbacks=[keras.callbacks.TensorBoard(str(folder / "logs"))],
    )
    return result.tuners[0], folder / "logs"


def test_every_trial_is_in_the_dashboard_with_pruned(pruned_search):
    tuner, logs = pruned_search
    experiment, groups = read_dashboard(logs)
    assert "learning_rate" in experiment["hparams"]
    for metric in [("", "pruned"), ("", "epochs_run")] + [
        (group, "epoch_accuracy") for group in ("train", "validation")
    ]:
        assert metric in experiment["metrics"]
    trials = tuner.oracle.trials
    assert sorted(groups) == sorted(trials)
    for trial_id, trial in trials.items():
        group = groups[trial_id]
        assert group["sessions"] == [f"{trial_id}/execution0"]
        assert group["hparams"]["learning_rate"] == pytest.approx(
            trial.hyperparameters.values["learning_rate"]
        )
        metrics = group["metrics"]
        assert metrics["", "pruned"] == float(is_pruned(trial))
        epochs = _EPOCHS if not is_pruned(trial) else pruned_epoch(trial) + 1
        assert metrics["", "epochs_run"] == epochs
        assert metrics["validation", "epoch_accuracy"] == pytest.approx(
            trial.metrics.get_last_value("val_accuracy"), abs=1e-6
        )
    pruned = [t for t in trials.values() if is_pruned(t)]
    rates = {t.hyperparameters.values["learning_rate"] for t in pruned}
    assert rates == {1e-6, 3e-7, 1e-7}


def test_coarse_to_fine_logs_each_stage_in_its_folder(digits, tmp_path):
    data, train, validation = digits
    logs = tmp_path / "logs"
    result = search(
        _hypermodel(data, (1e-3, 1e-1), seed=0),
        train,
        validation,
        strategy="coarse-to-fine",
        max_trials=2,
        epochs=1,
        top_k=1,
        directory=str(tmp_path / "search"),
        callbacks=[keras.callbacks.TensorBoard(str(logs))],
    )
    assert sorted(os.listdir(logs)) == ["stage_1", "stage_2"]
    _, groups = read_dashboard(logs)
    expected = {}
    for stage, tuner in enumerate(result.tuners, start=1):
        for trial_id, trial in tuner.oracle.trials.items():
            # Trial ids restart per stage; each stage's is its own group.
            expected[f"stage_{stage}/{trial_id}"] = trial
    assert sorted(groups) == sorted(expected)
    for name, trial in expected.items():
        assert groups[name]["sessions"] == [f"{name}/execution0"]
        assert groups[name]["hparams"]["learning_rate"] == pytest.approx(
            trial.hyperparameters.values["learning_rate"]
        )
        assert groups[name]["metrics"]["", "pruned"] == 0.0
        assert groups[name]["metrics"]["", "epochs_run"] == int(name[6])


def test_stage_callbacks_move_only_tensorboard_to_the_stage():
    tensorboard = keras.callbacks.TensorBoard("logs")
    other = keras.callbacks.TerminateOnNaN()
    staged = stage_callbacks([tensorboard, other], "stage_2")
    assert staged[0].log_dir == os.path.join("logs", "stage_2")
    assert tensorboard.log_dir == "logs"  # the caller's is left alone
    assert staged[1] is other
    assert stage_callbacks(None, "stage_1") == []


def test_keras_tuner_still_configures_tensorboard_as_written_for():
    # `keras_tuner_compat.TensorBoardRuns` overrides this hook of
    # KerasTuner 1.4 and names the runs as it does.
    tuner = keras_tuner.Tuner
    assert "self._configure_tensorboard_dir(" in inspect.getsource(
        tuner.run_trial
    )
    assert tensorboard_run_dir("logs", "07", 1) == tuner._get_tensorboard_dir(
        None, "logs", "07", 1
    )


_JAX_SEARCH = """
import keras
from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel, search
data = load_dataset("digits", validation_split=0.2)
hypermodel = TrainingHyperModel(
    "mlp", data.input_shape, data.num_classes, learning_rate=(1e-3, 1e-1),
    l2=0.0, builder_kwargs={"hidden_units": (16,)})
search(hypermodel, data.train.take(256).batch(64),
       data.validation.take(128).batch(128), max_trials=2, epochs=1,
       directory=%r, callbacks=[keras.callbacks.TensorBoard(%r)])
"""


def test_the_dashboard_is_written_under_jax_too(tmp_path):
    pytest.importorskip("jax")
    logs = str(tmp_path / "logs")
    code = _JAX_SEARCH % (str(tmp_path / "search"), logs)
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, timeout=240
    )
    _, groups = read_dashboard(logs)
    assert sorted(groups) == ["0", "1"]
    for group in groups.values():
        assert 1e-3 <= group["hparams"]["learning_rate"] <= 1e-1
        assert group["metrics"]["", "pruned"] == 0.0
        assert ("validation", "epoch_accuracy") in group["metrics"]
