"""Pruning in KerasTuner searches: the epochs' reports, the oracle's
decisions, what is recorded, resume."""

import json
import os

import keras
import keras_tuner
import pytest

from keras_training_kit.tuning import MedianPruner
from keras_training_kit.tuning import SuccessiveHalvingPruner
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import make_tuner
from keras_training_kit.tuning import search
from keras_training_kit.tuning.keras_tuner_compat import repair_project
from keras_training_kit.tuning.pruners import PruningHistory
from keras_training_kit.tuning.pruning import epoch_metric
from keras_training_kit.tuning.trials import is_pruned
from keras_training_kit.tuning.trials import pruned_epoch


def _hypermodel(data, learning_rate, seed=None):
    return TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        learning_rate=learning_rate,
        l2=0.0,
        builder_kwargs={"hidden_units": (16,)},
        seed=seed,
    )


def _epoch_values(trial):
    name = epoch_metric("val_accuracy")
    return {o.step: o.mean() for o in trial.metrics.get_history(name)}


def _replayed(tuner, pruner):
    """Replays the recorded reports through `pruner`, trial by trial."""
    history = PruningHistory()
    decisions = {}
    for trial_id, trial in tuner.oracle.trials.items():
        for step, value in sorted(_epoch_values(trial).items()):
            history.report(trial_id, step, value)
            decisions[trial_id, step] = pruner.should_prune(
                history, trial_id, "max"
            )
        history.end_trial(
            trial_id, "pruned" if is_pruned(trial) else "completed"
        )
    return decisions


class _RatesInOrder(keras_tuner.HyperModel):
    """A small MLP whose learning rate a grid search takes in list order."""

    def __init__(self, data, rates):
        super().__init__()
        self.data, self.rates = data, rates

    def build(self, hp):
        rate = hp.Choice("learning_rate", self.rates, ordered=False)
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input(self.data.input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(self.data.num_classes),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(rate, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, shuffle=False, **kwargs)


def test_a_bad_learning_rate_range_is_pruned(digits, tmp_path):
    data, train, validation = digits
    # Two good rates first, trained fully; the tiny ones then fall behind
    # the median at once.
    rates = [0.1, 0.03, 1e-6, 3e-7, 1e-7]
    pruner = MedianPruner(n_startup_trials=2)
    result = search(
        _RatesInOrder(data, rates),
        train,
        validation,
        strategy="grid",
        max_trials=len(rates),
        epochs=4,
        directory=str(tmp_path),
        pruner=pruner,
    )
    tuner = result.tuners[0]
    trials = tuner.oracle.trials
    pruned = {t.trial_id: pruned_epoch(t) for t in trials.values()}
    rates = {
        t.trial_id: t.hyperparameters.values["learning_rate"]
        for t in trials.values()
    }
    assert {rates[i] for i, e in pruned.items() if e is not None} == {
        1e-6,
        3e-7,
        1e-7,
    }
    # Each trial's epochs are recorded; a pruned trial stopped where the
    # pruner said so, and trained no further.
    for trial_id, trial in trials.items():
        steps = sorted(_epoch_values(trial))
        if pruned[trial_id] is None:
            assert steps == [0, 1, 2, 3]
        else:
            assert steps == list(range(pruned[trial_id] + 1))
    # The decisions replay: KerasTuner's oracle decided as the pruner.
    replayed = _replayed(tuner, pruner)
    # (never at the last epoch: a trial that trained them all is kept).
    for (trial_id, step), prune in replayed.items():
        expected = prune and step < 3
        assert expected == (pruned[trial_id] == step), (trial_id, step)
    # Never best, shown as pruned.
    assert result.best_hyperparameters["learning_rate"] >= 0.03
    statuses = {r["trial"]: r["status"] for r in result.rows}
    assert {int(i) for i, e in pruned.items() if e is not None} == {
        t for t, status in statuses.items() if status == "pruned"
    }


def test_hyperband_and_unknown_pruners_are_refused(digits, tmp_path):
    data, train, validation = digits
    hypermodel = _hypermodel(data, (1e-3, 1e-1))
    with pytest.raises(ValueError, match="strategy='hyperband'.*'median'"):
        search(
            hypermodel,
            train,
            validation,
            strategy="hyperband",
            pruner="median",
            directory=str(tmp_path),
        )
    with pytest.raises(ValueError, match="`pruner`.*Received: pruner='pbt'"):
        search(hypermodel, train, validation, pruner="pbt")
    with pytest.raises(TypeError, match="Received: pruner=3"):
        make_tuner("random", hypermodel, pruner=3, directory=str(tmp_path))
    assert not os.listdir(tmp_path)


def test_asha_prunes_at_its_rungs_and_bayesian_skips_pruned(
    digits, tmp_path, monkeypatch
):
    data, train, validation = digits
    hypermodel = _hypermodel(data, (1e-6, 1e-1))
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    result = search(
        hypermodel,
        train,
        validation,
        strategy="bayesian",
        max_trials=6,
        epochs=4,
        directory=str(tmp_path),
        pruner=pruner,
    )
    oracle = result.tuners[0].oracle
    epochs = [pruned_epoch(t) for t in oracle.trials.values()]
    # Rungs at epochs (steps) 1 and 2: nothing is pruned elsewhere.
    assert {e for e in epochs if e is not None} <= {1, 2}
    assert any(e is not None for e in epochs)
    replayed = _replayed(result.tuners[0], pruner)
    assert {key: prune and key[1] < 3 for key, prune in replayed.items()} == {
        (t.trial_id, step): pruned_epoch(t) == step
        for t in oracle.trials.values()
        for step in _epoch_values(t)
    }
    # The Gaussian process is fitted on the trials that were not pruned.
    seen = []
    base = keras_tuner.oracles.BayesianOptimizationOracle
    vectorize = base._vectorize_trials

    def spy(self):
        seen.append(set(self.trials))
        return vectorize(self)

    monkeypatch.setattr(base, "_vectorize_trials", spy)
    monkeypatch.setattr(oracle, "num_initial_points", 1)
    oracle.populate_space("99")
    kept = {i for i, t in oracle.trials.items() if pruned_epoch(t) is None}
    assert seen == [kept]
    assert len(oracle.trials) == 6  # and all of them are back


def test_a_pruned_trial_killed_before_its_end_is_ended_on_repair(
    digits, tmp_path
):
    data, train, validation = digits
    hypermodel = _hypermodel(data, (1e-7, 1e-1))
    options = dict(
        strategy="grid",
        max_trials=4,
        epochs=3,
        directory=str(tmp_path),
        pruner=MedianPruner(n_startup_trials=2),
    )
    result = search(hypermodel, train, validation, **options)
    oracle = result.tuners[0].oracle
    pruned = [t for t in oracle.trials.values() if is_pruned(t)]
    assert pruned
    # As a kill right after the pruner's decision leaves it: the trial's
    # file RUNNING with its reports, the oracle still running it.
    trial = pruned[-1]
    project = os.path.join(str(tmp_path), "search")
    trial_path = os.path.join(project, f"trial_{trial.trial_id}", "trial.json")
    with open(trial_path) as f:
        state = json.load(f)
    kept = state["metrics"]["metrics"]
    expected_score = state["score"]
    state["status"] = "RUNNING"
    state["score"] = state["best_step"] = None
    state["metrics"]["metrics"] = {
        name: kept[name] for name in (epoch_metric("val_accuracy"), "pruned")
    }
    with open(trial_path, "w") as f:
        json.dump(state, f)
    oracle_path = os.path.join(project, "oracle.json")
    with open(oracle_path) as f:
        oracle_state = json.load(f)
    oracle_state["end_order"].remove(trial.trial_id)
    oracle_state["ongoing_trials"] = {"tuner0": trial.trial_id}
    with open(oracle_path, "w") as f:
        json.dump(oracle_state, f)
    assert repair_project(project)["ended"] == [trial.trial_id]
    with open(trial_path) as f:
        repaired = json.load(f)
    assert repaired["status"] == "COMPLETED"
    assert repaired["score"] == pytest.approx(expected_score)
    # The search resumes without training anything again.
    again = search(hypermodel, train, validation, **options)
    statuses = [r["status"] for r in again.rows]
    assert statuses == [r["status"] for r in result.rows]


def test_coarse_to_fine_prunes_within_each_stage(digits, tmp_path):
    data, train, validation = digits
    hypermodel = _hypermodel(data, (1e-7, 1e-1))
    result = search(
        hypermodel,
        train,
        validation,
        strategy="coarse-to-fine",
        stages=2,
        max_trials=3,
        epochs=2,
        directory=str(tmp_path),
        pruner=MedianPruner(n_startup_trials=1),
    )
    for stage, epochs in zip(result.tuners, (2, 4)):
        oracle = stage.oracle
        assert isinstance(oracle.pruner, MedianPruner)
        for trial in oracle.trials.values():
            steps = sorted(_epoch_values(trial))
            stop = pruned_epoch(trial)
            assert steps == list(range(epochs if stop is None else stop + 1))
        # Stage 2's trials are judged against stage 2's only: the first
        # trial of a stage always runs all its epochs.
        first = min(oracle.trials, key=int)
        assert pruned_epoch(oracle.trials[first]) is None
