"""Pruning in KerasTuner: each epoch's objective goes to the oracle.

KerasTuner never stops a running trial. Here the tuner reports the
objective at every epoch end (`PruningTuner.on_epoch_end`) through the
oracle's public `update_trial`, locally or over the chief's gRPC service;
the oracle (`PruningOracle`) records it with the trial, asks its pruner
(`keras_training_kit.tuning.pruners`) and answers with the trial's status:
`"STOPPED"` when the trial is pruned, which sets `model.stop_training`.

What a trial records (its `trial.json`, so a resumed search decides from
the same history):

- `"<objective>_per_epoch"`: the objective at each epoch (step = epoch);
- `"pruned"`: 1.0 at the epoch the pruner stopped it (absent otherwise);
- `"asha_rung"`: successive halving's value at each rung (step = rung).

A pruned trial ends `COMPLETED` (KerasTuner marks every ended trial so, and
a `FAILED` one would count towards its three consecutive failures), with
its score over the epochs it trained; `trials.usable_trials` (and so every
`SearchResult`) never makes it best, and the Bayesian oracle fits its
Gaussian process on the other trials only.
"""

import keras_tuner

from keras_training_kit.tuning import keras_tuner_compat
from keras_training_kit.tuning.pruners import PruningHistory
from keras_training_kit.tuning.trials import EPOCH_SUFFIX
from keras_training_kit.tuning.trials import PRUNED
from keras_training_kit.tuning.trials import RUNG
from keras_training_kit.tuning.trials import is_diverged
from keras_training_kit.tuning.trials import is_pruned

_STOPPED = "STOPPED"
# Sent with the report of a trial's last epoch: nothing is left to save.
_LAST = "last_epoch"


def epoch_metric(objective_name: str) -> str:
    """The name of the metric holding the objective at every epoch."""
    return objective_name + EPOCH_SUFFIX


def _record(trial, name, value, step, direction="min"):
    if not trial.metrics.exists(name):
        trial.metrics.register(name, direction=direction)
    trial.metrics.update(name, value, step=step)


def _history_of(trial, name) -> list:
    if not trial.metrics.exists(name):
        return []
    return [[obs.step, obs.mean()] for obs in trial.metrics.get_history(name)]


def _state(trial) -> str:
    status = str(trial.status)
    if status == "COMPLETED":
        if is_pruned(trial):
            return "pruned"
        # A trial `DivergenceGuard` stopped did not finish either.
        return "failed" if is_diverged(trial) else "completed"
    if status in ("RUNNING", "IDLE"):
        return "running"
    return "failed"


class PruningOracle:
    """An oracle mixin that records each epoch's objective and prunes.

    Mixed into KerasTuner's random, grid and Bayesian oracles. `pruner`
    is set after construction (`None`: epochs are recorded, nothing is
    pruned). Reports of `epoch_metric(objective)` are epoch reports; any
    other `update_trial` is KerasTuner's own.
    """

    pruner = None
    _pruning_min_resource = None

    def pruning_history(self) -> PruningHistory:
        """The search so far, from the trials' records, in creation order."""
        name = epoch_metric(self.objective.name)
        return PruningHistory(
            [
                {
                    "trial_id": trial_id,
                    "state": _state(trial),
                    "values": _history_of(trial, name),
                    "rungs": _history_of(trial, RUNG),
                }
                for trial_id, trial in self.trials.items()
            ],
            min_resource=self._pruning_min_resource,
        )

    @keras_tuner.synchronized
    def update_trial(self, trial_id, metrics, step=0):
        name = epoch_metric(self.objective.name)
        if name not in metrics:
            return super().update_trial(trial_id, metrics, step=step)
        trial = self.trials[trial_id]
        direction = self.objective.direction
        _record(trial, name, float(metrics[name]), int(step), direction)
        status = "RUNNING"
        if self.pruner is not None:
            history = self.pruning_history()
            rungs = dict(history.trials[trial_id]["rungs"])
            # Asked at the last epoch too (successive halving records its
            # rung), but a trial that trained every epoch is not pruned.
            prune = self.pruner.should_prune(history, trial_id, direction)
            if prune and not metrics.get(_LAST):
                _record(trial, PRUNED, 1.0, int(step))
                status = _STOPPED
            for rung, value in history.trials[trial_id]["rungs"].items():
                if rung not in rungs:
                    _record(trial, RUNG, value, rung, direction)
            self._pruning_min_resource = history.min_resource
        keras_tuner_compat.save_trial(self, trial)
        # The status answers this report only: KerasTuner's own end of the
        # trial marks it COMPLETED (the `pruned` metric tells).
        return keras_tuner.engine.trial.Trial(
            trial.hyperparameters, trial_id=trial_id, status=status
        )

    def get_state(self):
        state = super().get_state()
        state["pruning_min_resource"] = self._pruning_min_resource
        return state

    def set_state(self, state):
        super().set_state(state)
        self._pruning_min_resource = state.get("pruning_min_resource")


class RandomSearchOracle(PruningOracle, keras_tuner.oracles.RandomSearchOracle):
    """KerasTuner's `RandomSearchOracle`, pruning (`PruningOracle`)."""


class GridSearchOracle(PruningOracle, keras_tuner.oracles.GridSearchOracle):
    """KerasTuner's `GridSearchOracle`, pruning (`PruningOracle`)."""


class BayesianOptimizationOracle(
    PruningOracle, keras_tuner.oracles.BayesianOptimizationOracle
):
    """KerasTuner's Bayesian oracle, pruning; pruned trials not modelled.

    The Gaussian process is fitted on the trials that ran all their epochs
    (and the ongoing ones, as KerasTuner does): a pruned trial's score is
    its best over fewer epochs, a value of another quantity.
    """

    def populate_space(self, trial_id):
        hidden = [t for t in self.trials.values() if is_pruned(t)]
        with keras_tuner_compat.trials_hidden(self, hidden):
            return super().populate_space(trial_id)


class PruningTuner:
    """A tuner mixin reporting each epoch's objective to its oracle.

    With a `pruner` (set after construction, in every process of a
    distributed search), each epoch end sends the objective to the oracle
    (`PruningOracle.update_trial`, through the chief's service on a
    worker); a `"STOPPED"` answer stops the trial's `fit`. The last
    epoch's report says so: a trial that trained every epoch is never
    pruned (its values still count, as a successive-halving rung).
    """

    pruner = None
    _fit_epochs = None

    def run_trial(self, trial, *fit_args, **fit_kwargs):
        self._fit_epochs = fit_kwargs.get("epochs")
        return super().run_trial(trial, *fit_args, **fit_kwargs)

    def on_epoch_end(self, trial, model, epoch, logs=None):
        super().on_epoch_end(trial, model, epoch, logs=logs)
        if self.pruner is None:
            return
        objective = self.oracle.objective
        value = (logs or {}).get(objective.name)
        if value is None:
            return  # KerasTuner reports the missing objective at the end
        report = {epoch_metric(objective.name): float(value)}
        if self._fit_epochs is not None and epoch + 1 >= self._fit_epochs:
            report[_LAST] = 1.0
        answer = self.oracle.update_trial(
            trial.trial_id, report, step=int(epoch)
        )
        if str(answer.status) == _STOPPED:
            model.stop_training = True
