"""`make_tuner()`: the KerasTuner tuner of a strategy, crash-consistent."""

import contextlib
import io
import os

import keras_tuner
from keras_tuner.engine.metrics_tracking import infer_metric_direction

from keras_training_kit.tuning import keras_tuner_compat
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_positive_int

TUNER_STRATEGIES = ("random", "grid", "bayesian", "hyperband")


class _Reporting:
    """A KerasTuner tuner that reports through a `TrialProgress`.

    `fit_verbose` is the `verbose` of every trial's `model.fit`, apart from
    the `verbose` of `search`, which also turns KerasTuner's display on.
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


class RandomSearch(_Reporting, keras_tuner.RandomSearch):
    """`keras_tuner.RandomSearch` reporting through a `TrialProgress`."""


class GridSearch(_Reporting, keras_tuner.GridSearch):
    """`keras_tuner.GridSearch` reporting through a `TrialProgress`."""


class BayesianOptimization(_Reporting, keras_tuner.BayesianOptimization):
    """`keras_tuner.BayesianOptimization` reporting through a
    `TrialProgress`."""


class Hyperband(_Reporting, keras_tuner.Hyperband):
    """`keras_tuner.Hyperband` reporting through a `TrialProgress`."""


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

    Returns:
        A `keras_tuner.Tuner`.

    Raises:
        ValueError: for an unknown strategy, a bad count or an objective
            without a known direction.

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
    keras_tuner_compat.prepare_tuner(tuner, is_worker=worker)
    return tuner
