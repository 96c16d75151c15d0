import types

import pytest

from keras_training_kit.tuning import trials


class _Metrics:
    def __init__(self, values):
        self.values = values

    def exists(self, name):
        return name in self.values

    def get_last_value(self, name):
        return self.values[name]


def _trial(trial_id, status, score, diverged=0.0, message=None):
    return types.SimpleNamespace(
        trial_id=trial_id,
        status=status,
        score=score,
        message=message,
        metrics=_Metrics({"diverged": diverged}),
        hyperparameters=types.SimpleNamespace(values={"learning_rate": 0.1}),
    )


def _tuner(*all_trials, direction="max"):
    oracle = types.SimpleNamespace(
        trials={t.trial_id: t for t in all_trials},
        objective=types.SimpleNamespace(direction=direction),
    )
    return types.SimpleNamespace(oracle=oracle)


def test_failed_diverged_and_non_finite_trials_are_never_usable():
    tuner = _tuner(
        _trial("0", "COMPLETED", 0.9, diverged=1.0),  # highest, but diverged
        _trial("1", "COMPLETED", 0.5),
        _trial("2", "FAILED", None),
        _trial("3", "COMPLETED", float("nan")),
        _trial("4", "COMPLETED", 0.7),
        _trial("5", "RUNNING", None),
    )
    assert [t.trial_id for t in trials.usable_trials(tuner)] == ["4", "1"]
    low = _tuner(
        _trial("0", "COMPLETED", 0.3),
        _trial("1", "COMPLETED", 0.2),
        direction="min",
    )
    assert [t.trial_id for t in trials.usable_trials(low)] == ["1", "0"]
    trials.check_usable([tuner])


def test_check_usable_says_why():
    failed = _tuner(
        _trial("1", "FAILED", None, message="Traceback\nValueError: bad"),
        _trial("0", "FAILED", None, message="Traceback\nKeyError: 'x'"),
    )
    with pytest.raises(
        trials.SearchError, match="2 of 2 failed. Trial 0's error: KeyError"
    ):
        trials.check_usable([failed])
    diverged = _tuner(_trial("0", "COMPLETED", 0.1, diverged=1.0))
    with pytest.raises(trials.SearchError, match="Every trial .* diverged"):
        trials.check_usable([diverged])
