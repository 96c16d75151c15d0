"""`make_tuner()`: the KerasTuner tuner of a strategy, crash-consistent."""

import contextlib
import io
import os

import keras_tuner
from keras_tuner.engine.metrics_tracking import infer_metric_direction

from keras_training_kit.tuning import keras_tuner_compat
from keras_training_kit.tuning import pruning
from keras_training_kit.tuning.hparams import TrialSummary
from keras_training_kit.tuning.pruners import PRUNERS
from keras_training_kit.tuning.pruners import MedianPruner
from keras_training_kit.tuning.pruners import SuccessiveHalvingPruner
from keras_training_kit.tuning.pruners import make_pruner
from keras_training_kit.tuning.pruning import PruningTuner
from keras_training_kit.tuning.trials import is_pruned
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_positive_int

TUNER_STRATEGIES = ("random", "grid", "bayesian", "hyperband")


class _Reporting(keras_tuner_compat.TensorBoardRuns):
    """A KerasTuner tuner that reports through a `TrialProgress`.

    `fit_verbose` is the `verbose` of every trial's `model.fit`, apart from
    the `verbose` of `search`, which also turns KerasTuner's display on.
    A trial's TensorBoard run also gets its `pruned` and `epochs_run`
    scalars (`hparams.TrialSummary`).
    """

    progress = None
    fit_verbose = 0

    def on_search_begin(self):
        super().on_search_begin()
        if self.progress:
            self.progress.search_begins(self)

    def run_trial(self, trial, *fit_args, **fit_kwargs):
        fit_kwargs["verbose"] = self.fit_verbose
        return super().run_trial(trial, *fit_args, **fit_kwargs)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self.progress:
            self.progress.trial_ended(self, trial)

    def tensorboard_callbacks(self, trial, run_dir):
        trial_id = trial.trial_id
        return [
            TrialSummary(
                run_dir, lambda: is_pruned(self.oracle.get_trial(trial_id))
            )
        ]


class _Pruned(PruningTuner, _Reporting, keras_tuner.Tuner):
    """A tuner of one of `pruning`'s oracles: KerasTuner's own, pruning.

    Built as KerasTuner's `RandomSearch`, `GridSearch` and
    `BayesianOptimization` build themselves: the oracle, then
    `keras_tuner.Tuner`.
    """

    oracle_class = None

    def __init__(self, hypermodel, *, objective, max_trials, seed, **kwargs):
        self.seed = seed
        oracle = self.oracle_class(
            objective=objective, max_trials=max_trials, seed=seed
        )
        super().__init__(oracle, hypermodel, **kwargs)


class RandomSearch(_Pruned):
    """KerasTuner's random search, reporting (`TrialProgress`) and pruning."""

    oracle_class = pruning.RandomSearchOracle


class GridSearch(_Pruned):
    """KerasTuner's grid search, reporting (`TrialProgress`) and pruning."""

    oracle_class = pruning.GridSearchOracle


class BayesianOptimization(_Pruned):
    """KerasTuner's Bayesian optimization, reporting and pruning."""

    oracle_class = pruning.BayesianOptimizationOracle


class Hyperband(_Reporting, keras_tuner.Hyperband):
    """`keras_tuner.Hyperband` reporting through a `TrialProgress`."""


def check_pruner(pruner, strategy: str):
    """`pruner` as a pruner object (or `None`), checked against `strategy`.

    Raises:
        ValueError: for an unknown pruner name, or any pruner with
            `"hyperband"` (which gives each trial its own epoch budget).
        TypeError: for anything but `None`, a name or a pruner.
    """
    if isinstance(pruner, str):
        pruner = make_pruner(pruner)
    elif pruner is not None and not isinstance(
        pruner, (MedianPruner, SuccessiveHalvingPruner)
    ):
        raise TypeError(
            "`pruner` must be None, one of "
            f"{PRUNERS} or a MedianPruner/SuccessiveHalvingPruner. "
            f"Received: pruner={pruner!r}"
        )
    if pruner is not None and strategy == "hyperband":
        raise ValueError(
            "`pruner` does not apply to strategy='hyperband' (Hyperband "
            "gives each trial its own epoch budget): use 'random', 'grid', "
            f"'bayesian' or 'coarse-to-fine'. Received: pruner={pruner.name!r}"
        )
    return pruner


def is_distributed_worker() -> bool:
    """Whether this process is a KerasTuner worker (not the chief)."""
    return (
        bool(os.environ.get("KERASTUNER_ORACLE_IP"))
        and os.environ.get("KERASTUNER_TUNER_ID", "tuner0") != "chief"
    )


def make_objective(objective) -> keras_tuner.Objective:
    """Returns `objective` as a `keras_tuner.Objective` with its direction.

    A metric name gets the direction KerasTuner infers from it (accuracy,
    AUC, precision, recall: maximized; losses and errors: minimized, with or
    without the `val_` prefix). For any other metric pass a
    `keras_tuner.Objective` with its direction.

    Args:
        objective: str (a metric name as in the logs of `model.fit`) or a
            `keras_tuner.Objective`.

    Returns:
        A `keras_tuner.Objective`.

    Raises:
        ValueError: when the direction of a name cannot be inferred.
        TypeError: for anything but a str or an `Objective`.

    Example:

    >>> make_objective("val_loss").direction
    'min'
    """
    if isinstance(objective, keras_tuner.Objective):
        return objective
    if not isinstance(objective, str):
        raise TypeError(
            "`objective` must be a metric name or a `keras_tuner.Objective`. "
            f"Received: objective={objective!r}"
        )
    direction = infer_metric_direction(objective)
    if direction is None:
        raise ValueError(
            f"`objective`: cannot tell whether {objective!r} is maximized or "
            "minimized; pass keras_tuner.Objective(name, direction='max' or "
            f"'min'). Received: objective={objective!r}"
        )
    return keras_tuner.Objective(objective, direction)


def make_tuner(
    strategy: str,
    hypermodel,
    *,
    max_trials: int = 10,
    epochs: int = 5,
    directory: str = "tuning",
    project_name: str = "search",
    objective="val_accuracy",
    seed: int = 0,
    overwrite: bool = False,
    grid_per_decade: int = 1,
    progress=None,
    fit_verbose: int = 0,
    pruner=None,
) -> keras_tuner.Tuner:
    """Returns the KerasTuner tuner of a strategy.

    `"random"` is `keras_tuner.RandomSearch`, `"bayesian"`
    `BayesianOptimization`, `"hyperband"` `Hyperband` (with
    `max_epochs=epochs` and `factor=3`; `max_trials` is not used), `"grid"`
    `GridSearch` over a log-spaced grid (`hypermodel.with_grid(
    grid_per_decade)` unless the hypermodel already declares one). With
    `overwrite=False` an existing project folder is reloaded, so an
    interrupted search resumes with its finished trials: the folder is
    repaired and kept crash-consistent by
    `keras_training_kit.tuning.keras_tuner_compat` (a kill at any instant
    loses no finished trial and retries the running one).

    Args:
        strategy: str, one of `"random"`, `"grid"`, `"bayesian"`,
            `"hyperband"`.
        hypermodel: a `keras_tuner.HyperModel`, usually a
            `TrainingHyperModel`.
        max_trials: int >= 1, the number of trials. Defaults to `10`.
        epochs: int >= 1, Hyperband's `max_epochs`. Defaults to `5`.
        directory: str, the tuning folder. Defaults to `"tuning"`.
        project_name: str, the project subfolder. Defaults to `"search"`.
        objective: str or `keras_tuner.Objective`, the metric to optimize;
            the direction of a name is KerasTuner's (see `make_objective`).
            Defaults to `"val_accuracy"` (maximized).
        seed: int >= 0, the oracle's seed (passed as `seed + 1`, since
            KerasTuner replaces 0 by a random seed). Defaults to `0`.
        overwrite: bool, start afresh instead of resuming. Defaults to
            `False`.
        grid_per_decade: int >= 1, grid points per decade for `"grid"`.
            Defaults to `1`.
        progress: a `TrialProgress` printing a line per finished trial, or
            `None`. KerasTuner's own display and its `Reloading Tuner`
            line stay off either way. Defaults to `None`.
        fit_verbose: int, 0, 1 or 2, the `verbose` of each trial's
            `model.fit`. Defaults to `0`.
        pruner: `None`, a pruner name (`"none"`, `"median"`, `"asha"`, see
            `make_pruner`) or a `MedianPruner`/`SuccessiveHalvingPruner`:
            stops losing trials early (see `keras_training_kit.tuning.
            pruning`). Not with `"hyperband"`. Defaults to `None`.

    Returns:
        A `keras_tuner.Tuner`.

    Raises:
        ValueError: for an unknown strategy, a bad count, an objective
            without a known direction, or a pruner with `"hyperband"`.

    Example:

    >>> from keras_training_kit.tuning import TrainingHyperModel
    >>> hypermodel = TrainingHyperModel("mlp", (64,), 10)
    >>> tuner = make_tuner("grid", hypermodel, directory="/tmp/ktk_grid",
    ...                    overwrite=True)
    >>> type(tuner).__name__
    'GridSearch'
    """
    check_choice("strategy", strategy, TUNER_STRATEGIES)
    check_positive_int("max_trials", max_trials)
    check_positive_int("epochs", epochs)
    check_positive_int("grid_per_decade", grid_per_decade)
    check_int("seed", seed, minimum=0)
    objective = make_objective(objective)
    pruner = check_pruner(pruner, strategy)
    worker = is_distributed_worker()
    project_dir = os.path.join(directory, project_name)
    if not overwrite and not worker and os.path.isdir(project_dir):
        keras_tuner_compat.repair_project(project_dir)
    common = dict(
        objective=objective,
        directory=directory,
        project_name=project_name,
        # KerasTuner draws a random seed when given 0.
        seed=seed + 1,
        overwrite=overwrite,
    )
    if strategy == "grid":
        if getattr(hypermodel, "grid_per_decade", 0) is None:
            hypermodel = hypermodel.with_grid(grid_per_decade)
        kind, size = GridSearch, dict(max_trials=max_trials)
    elif strategy == "bayesian":
        kind, size = BayesianOptimization, dict(max_trials=max_trials)
    elif strategy == "hyperband":
        kind, size = Hyperband, dict(max_epochs=epochs, factor=3)
    else:
        kind, size = RandomSearch, dict(max_trials=max_trials)
    # KerasTuner prints `Reloading Tuner from ...` (the progress says more).
    with contextlib.redirect_stdout(io.StringIO()):
        tuner = kind(hypermodel, **size, **common)
    tuner.progress, tuner.fit_verbose = progress, fit_verbose
    if pruner is not None:
        tuner.pruner = pruner
        if not worker:
            tuner.oracle.pruner = pruner
    keras_tuner_compat.prepare_tuner(tuner, is_worker=worker)
    return tuner
