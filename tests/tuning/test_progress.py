import re

import keras_tuner
import pytest
from keras_tuner.engine.trial import Trial

from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import TrialProgress
from keras_training_kit.tuning import search


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Oracle:
    """The parts of a KerasTuner oracle that `TrialProgress` reads."""

    def __init__(self, trials):
        self.trials = {t.trial_id: t for t in trials}
        self.objective = keras_tuner.Objective("val_accuracy", "max")

    def get_trial(self, trial_id):
        return self.trials[trial_id]

    def get_best_trials(self, num_trials=1):
        done = [t for t in self.trials.values() if t.score is not None]
        return sorted(done, key=lambda t: -t.score)[:num_trials]


class _Tuner:
    def __init__(self, trials):
        self.oracle = _Oracle(trials)
        self.project_dir = "run/search"


def _trial(trial_id, score, status="COMPLETED", diverged=False, **values):
    hp = keras_tuner.HyperParameters()
    hp.values = dict(values)
    trial = Trial(hp, trial_id=trial_id, status=status)
    trial.score = score
    if diverged:
        trial.metrics.register("diverged")
        trial.metrics.update("diverged", 1.0)
    return trial


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_a_line_per_trial_with_values_score_best_and_times(capsys):
    clock = _Clock()
    progress = TrialProgress([(4, 2)], clock=clock)
    first = _trial("0", 0.5, learning_rate=0.0012345, optimizer="adam")
    tuner = _Tuner([first])
    clock.now = 30
    progress.trial_ended(tuner, first)
    second = _trial("1", 0.25, learning_rate=0.1, optimizer="sgd")
    tuner.oracle.trials["1"] = second
    clock.now = 60
    progress.trial_ended(tuner, second)
    assert _lines(capsys) == [
        "trial 0 (1/4): learning_rate=0.001234, optimizer=adam -> "
        "val_accuracy 0.5 (best 0.5, trial 0); 0:30 elapsed, about 1:30 left",
        "trial 1 (2/4): learning_rate=0.1, optimizer=sgd -> val_accuracy "
        "0.25 (best 0.5, trial 0); 1:00 elapsed, about 1:00 left",
    ]


def test_the_last_trial_has_no_estimate_and_failures_say_why(capsys):
    failed = _trial("1", None, status="FAILED", l2=1e-4)
    failed.message = "Traceback ...\nValueError: bad shape"
    diverged = _trial("0", 0.1, diverged=True, l2=1e-3)
    tuner = _Tuner([diverged, failed])
    progress = TrialProgress([(2, 1)], clock=_Clock())
    progress.trial_ended(tuner, diverged)
    progress.trial_ended(tuner, failed)
    assert _lines(capsys) == [
        "trial 0 (1/2): l2=0.001 -> diverged; 0:00 elapsed",
        "trial 1 (2/2): l2=0.0001 -> failed (ValueError: bad shape); 0:00 "
        "elapsed",
    ]


def test_stages_hyperband_and_workers(capsys, monkeypatch):
    clock = _Clock()
    progress = TrialProgress([(2, 1), (2, 2)], clock=clock)
    progress.stage_begins(1, {"learning_rate": (1e-4, 1e-2)})
    trial = _trial("0", 0.75, learning_rate=0.001)
    clock.now = 10
    progress.trial_ended(_Tuner([trial]), trial)
    # Hyperband: no total, its bracket instead; a worker names itself.
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner1")
    band = TrialProgress([(None, 9)], clock=clock)
    trial = _trial(
        "0007",
        0.5,
        l2=0.01,
        **{"tuner/bracket": 1, "tuner/round": 0, "tuner/epochs": 3},
    )
    band.trial_ended(_Tuner([trial]), trial)
    assert _lines(capsys) == [
        "stage 2/2: 2 trials of 2 epochs; learning_rate 0.0001..0.01",
        "stage 2/2, trial 0 (1/2): learning_rate=0.001 -> val_accuracy 0.75 "
        "(best 0.75, trial 0); 0:10 elapsed, about 0:10 left",
        "tuner1: trial 7 (bracket 1, round 0, 3 epochs): l2=0.01 -> "
        "val_accuracy 0.5 (best 0.5, trial 7); 0:00 elapsed",
    ]


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", validation_split=0.2)
    return (
        data,
        data.train.take(128).batch(64),
        data.validation.take(64).batch(64),
    )


def _search(digits, folder, trials, verbose):
    data, train, validation = digits
    hypermodel = TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        builder_kwargs={"hidden_units": (8,)},
    )
    return search(
        hypermodel,
        train,
        validation,
        strategy="random",
        max_trials=trials,
        epochs=1,
        directory=folder,
        verbose=verbose,
    )


def test_search_prints_its_trials_and_on_resume_what_it_kept(
    digits, tmp_path, capsys
):
    folder = str(tmp_path / "run")
    _search(digits, folder, 2, verbose=1)
    out = capsys.readouterr().out
    trial = r"trial \d \(\d/\d\): learning_rate=\S+, l2=\S+ -> val_accuracy "
    assert re.fullmatch(
        rf"{trial}.*left\n{trial}.*elapsed\n", out
    ), out  # no Keras progress bar, no KerasTuner table
    _search(digits, folder, 3, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"resuming .*run/search: 2 finished trials kept, 1 to run\.", lines[0]
    ), lines
    assert len(lines) == 2 and lines[1].startswith("trial 2 (3/3): ")
    _search(digits, str(tmp_path / "quiet"), 1, verbose=0)
    assert capsys.readouterr().out == ""
