"""`search()`: one entry point for random, grid, Bayesian, Hyperband and coarse-to-fine."""

import dataclasses
import math
import os
import warnings

import keras_tuner

from keras_training_kit.models import blocks
from keras_training_kit.tuning import keras_tuner_compat
from keras_training_kit.tuning import trials


STRATEGIES = ("random", "grid", "bayesian", "hyperband", "coarse-to-fine")


class EdgeOfRangeWarning(UserWarning):
    """The best value of a log-scale hyperparameter sits at its range's edge."""


@dataclasses.dataclass
class SearchResult:
    """What a search found.

    Attributes:
        tuners: list of KerasTuner tuners, one per stage (one for every
            strategy but coarse-to-fine).
        best_hyperparameters: dict of the best trial's values over all
            stages (empty on a distributed worker).
        rows: list of dicts, the results table (see
            `keras_training_kit.tuning.results_table`).
        edge_warnings: list of str, the edge-of-range warnings issued.
        ranges: list of dicts, the `{name: (min, max)}` log ranges searched
            in each stage.
    """

    tuners: list
    best_hyperparameters: dict
    rows: list
    edge_warnings: list
    ranges: list


def is_distributed_worker() -> bool:
    """Whether this process is a KerasTuner worker (not the chief)."""
    return bool(os.environ.get("KERASTUNER_ORACLE_IP")) and os.environ.get(
        "KERASTUNER_TUNER_ID", "tuner0"
    ) != "chief"


def check_edges(best_values: dict, ranges: dict, fraction: float = 0.1) -> list:
    """Warns for each best value in the outer `fraction` of its log range.

    A best value near the edge of the searched range means the optimum may
    lie outside it: the range should be widened on that side.

    Args:
        best_values: dict of hyperparameter values (e.g. the best trial's).
        ranges: dict `{name: (min, max)}` of log-scale ranges.
        fraction: float in `(0, 0.5)`, the width of each edge band as a
            fraction of the range's log width. Defaults to `0.1`.

    Returns:
        The list of warning messages (also issued as `EdgeOfRangeWarning`).

    Example:

    >>> check_edges({"learning_rate": 0.09}, {"learning_rate": (1e-5, 0.1)})
    ... # doctest: +SKIP
    ["`learning_rate`=0.09 is in the upper 10% ..."]
    """
    if isinstance(fraction, bool) or not (
        isinstance(fraction, (int, float)) and 0 < fraction < 0.5
    ):
        raise ValueError(
            f"`fraction` must be a float in (0, 0.5). Received: fraction={fraction!r}"
        )
    messages = []
    for name, (low, high) in ranges.items():
        value = best_values.get(name)
        if value is None or not low < high:
            continue
        position = math.log(value / low) / math.log(high / low)
        side = None
        if position < fraction:
            side, widen = "lower", f"below {low:.3g}"
        elif position > 1 - fraction:
            side, widen = "upper", f"above {high:.3g}"
        if side:
            message = (
                f"The best `{name}`={value:.3g} is in the {side} "
                f"{fraction:.0%} of its log range [{low:.3g}, {high:.3g}]: "
                f"widen the range {widen}."
            )
            warnings.warn(message, EdgeOfRangeWarning, stacklevel=2)
            messages.append(message)
    return messages


def make_tuner(
    strategy: str,
    hypermodel,
    *,
    max_trials: int = 10,
    epochs: int = 5,
    directory: str = "tuning",
    project_name: str = "search",
    objective: str = "val_accuracy",
    seed: int = 0,
    overwrite: bool = False,
    grid_per_decade: int = 1,
):
    """Returns the KerasTuner tuner of a strategy.

    `"random"` is `keras_tuner.RandomSearch`, `"bayesian"`
    `BayesianOptimization`, `"hyperband"` `Hyperband` (with `max_epochs=epochs`;
    `max_trials` is not used), `"grid"` `GridSearch` over a log-spaced grid
    (`hypermodel.with_grid(grid_per_decade)` unless the hypermodel already
    declares one). With `overwrite=False` an existing project folder is
    reloaded, so an interrupted search resumes with its finished trials: the
    folder is repaired and kept crash-consistent by
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
        objective: str, the metric to maximize (names starting with
            `"val_"` or ending in `"accuracy"`) or minimize (the rest).
            Defaults to `"val_accuracy"`.
        seed: int >= 0, the oracle's seed (passed as `seed + 1`, since
            KerasTuner replaces 0 by a random seed). Defaults to `0`.
        overwrite: bool, start afresh instead of resuming. Defaults to
            `False`.
        grid_per_decade: int, grid points per decade for `"grid"`. Defaults
            to `1`.

    Returns:
        A `keras_tuner.Tuner`.

    Raises:
        ValueError: for an unknown strategy or a bad count.

    Example:

    >>> tuner = make_tuner("grid", hypermodel, directory="/tmp/ktk_grid")
    ... # doctest: +SKIP
    """
    blocks.check_choice("strategy", strategy, STRATEGIES[:-1])
    blocks.check_positive_int("max_trials", max_trials)
    blocks.check_positive_int("epochs", epochs)
    if isinstance(seed, bool) or not (isinstance(seed, int) and seed >= 0):
        raise ValueError(f"`seed` must be an int >= 0. Received: seed={seed!r}")
    project_dir = os.path.join(directory, project_name)
    if not overwrite and not is_distributed_worker() and os.path.isdir(project_dir):
        keras_tuner_compat.repair_project(project_dir)
    direction = "max" if "accuracy" in objective or "auc" in objective else "min"
    common = dict(
        objective=keras_tuner.Objective(objective, direction),
        directory=directory,
        project_name=project_name,
        # KerasTuner draws a random seed when given 0.
        seed=seed + 1,
        overwrite=overwrite,
    )
    if strategy == "grid":
        if getattr(hypermodel, "grid_per_decade", 0) is None:
            hypermodel = hypermodel.with_grid(grid_per_decade)
        tuner = keras_tuner.GridSearch(hypermodel, max_trials=max_trials, **common)
    elif strategy == "bayesian":
        tuner = keras_tuner.BayesianOptimization(
            hypermodel, max_trials=max_trials, **common
        )
    elif strategy == "hyperband":
        tuner = keras_tuner.Hyperband(
            hypermodel, max_epochs=epochs, factor=3, **common
        )
    else:
        tuner = keras_tuner.RandomSearch(hypermodel, max_trials=max_trials, **common)
    keras_tuner_compat.prepare_tuner(tuner, is_worker=is_distributed_worker())
    return tuner


def best_values(tuners: list, objective: str = "val_accuracy") -> dict:
    """Returns the searched values of the best usable trial over `tuners`.

    Failed and diverged trials are never best (see `trials.usable_trials`);
    KerasTuner's own `tuner/...` values (Hyperband's bracket bookkeeping)
    are left out. Returns `{}` when no trial is usable.
    """
    best, best_key = {}, None
    for tuner in tuners:
        usable = trials.usable_trials(tuner)
        if not usable:
            continue
        sign = 1 if tuner.oracle.objective.direction == "max" else -1
        if best_key is None or sign * usable[0].score > best_key:
            best_key = sign * usable[0].score
            best = {
                k: v for k, v in usable[0].hyperparameters.values.items()
                if not k.startswith("tuner/")
            }
    return best


def search(
    hypermodel,
    train,
    validation=None,
    *,
    strategy: str = "random",
    max_trials: int = 10,
    epochs: int = 5,
    directory: str = "tuning",
    project_name: str = "search",
    objective: str = "val_accuracy",
    seed: int = 0,
    overwrite: bool = False,
    grid_per_decade: int = 1,
    stages: int = 2,
    top_k: int = 3,
    epoch_growth: int = 2,
    callbacks: list | None = None,
    verbose: int = 0,
) -> SearchResult:
    """Runs a hyperparameter search with one of five strategies.

    Every strategy but `"coarse-to-fine"` is one KerasTuner tuner in
    `directory/project_name`; `"coarse-to-fine"` runs `stages` tuners in
    `directory/stage_1`, `directory/stage_2`, ... (see
    `keras_training_kit.tuning.coarse_to_fine_search`). Called again with the
    same folder, the search resumes: finished trials are kept and only the
    missing ones run (a larger `max_trials` continues the search). After the
    search, a best `learning_rate`/`l2` in the outer 10% of its log range
    raises an `EdgeOfRangeWarning`.

    In KerasTuner's distributed mode (`KERASTUNER_TUNER_ID`,
    `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT` set) the chief serves
    the oracle until every trial is done and the workers run the trials;
    every process calls `search` with the same arguments. Workers return an
    empty result. Coarse-to-fine is not distributed (each stage's ranges
    depend on the previous stage's results).

    Args:
        hypermodel: a `TrainingHyperModel` (or any `keras_tuner.HyperModel`;
            the edge check then only sees its `log_ranges()` if it has one).
        train: the training data for `model.fit` (a batched
            `tf.data.Dataset`), or a function without arguments returning
            it, called once per trial (see `TrainingHyperModel.fit`).
        validation: the validation data. Defaults to `None`.
        strategy: str, one of `STRATEGIES`. Defaults to `"random"`.
        max_trials: int, trials (per stage for coarse-to-fine). Defaults to
            `10`.
        epochs: int, epochs per trial (of the first stage for
            coarse-to-fine; Hyperband's `max_epochs`). Defaults to `5`.
        directory: str, the tuning folder. Defaults to `"tuning"`.
        project_name: str, the project subfolder (not used by
            coarse-to-fine). Defaults to `"search"`.
        objective: str, the metric to optimize. Defaults to
            `"val_accuracy"`.
        seed: int, the oracles' seed. Defaults to `0`.
        overwrite: bool, discard an existing search instead of resuming.
            Defaults to `False`.
        grid_per_decade: int, grid points per decade for `"grid"`. Defaults
            to `1`.
        stages: int >= 1, coarse-to-fine stages. Defaults to `2`.
        top_k: int >= 1, coarse-to-fine: the best trials a stage's ranges
            are narrowed around. Defaults to `3`.
        epoch_growth: int >= 1, coarse-to-fine: each stage trains this many
            times longer than the previous one. Defaults to `2`.
        callbacks: list or `None`, extra Keras callbacks for every trial.
            Defaults to `None`.
        verbose: int, `model.fit` and KerasTuner verbosity. Defaults to `0`.

    Returns:
        A `SearchResult`.

    Raises:
        ValueError: for an unknown strategy or bad counts.

    Example:

    >>> from keras_training_kit.data import load_dataset
    >>> data = load_dataset("digits")
    >>> hypermodel = TrainingHyperModel("mlp", data.input_shape, 10)
    >>> result = search(hypermodel, data.train.batch(64),
    ...                 data.validation.batch(64), strategy="random",
    ...                 max_trials=3, epochs=1, directory="/tmp/ktk_tune")
    ... # doctest: +SKIP
    """
    blocks.check_choice("strategy", strategy, STRATEGIES)
    fit_kwargs = dict(
        validation_data=validation,
        callbacks=list(callbacks or []),
        verbose=verbose,
    )
    if strategy == "coarse-to-fine":
        from keras_training_kit.tuning.coarse_to_fine import coarse_to_fine_search

        return coarse_to_fine_search(
            hypermodel,
            train,
            validation,
            stages=stages,
            max_trials=max_trials,
            epochs=epochs,
            top_k=top_k,
            epoch_growth=epoch_growth,
            directory=directory,
            objective=objective,
            seed=seed,
            overwrite=overwrite,
            callbacks=callbacks,
            verbose=verbose,
        )
    tuner = make_tuner(
        strategy,
        hypermodel,
        max_trials=max_trials,
        epochs=epochs,
        directory=directory,
        project_name=project_name,
        objective=objective,
        seed=seed,
        overwrite=overwrite,
        grid_per_decade=grid_per_decade,
    )
    if strategy == "hyperband":
        tuner.search(train, **fit_kwargs)
    else:
        tuner.search(train, epochs=epochs, **fit_kwargs)
    ranges = _searched_ranges(tuner.hypermodel)
    return finish([tuner], [ranges], objective)


def _searched_ranges(hypermodel):
    return hypermodel.log_ranges() if hasattr(hypermodel, "log_ranges") else {}


def finish(tuners, ranges, objective):
    """Builds the `SearchResult` of finished tuners (workers get an empty one)."""
    if is_distributed_worker():
        return SearchResult(tuners, {}, [], [], ranges)
    from keras_training_kit.tuning.report import results_table

    trials.check_usable(tuners)
    best = best_values(tuners, objective)
    # The first stage's ranges are the user's: only they can be widened.
    messages = check_edges(best, ranges[0]) if best else []
    return SearchResult(
        tuners=tuners,
        best_hyperparameters=best,
        rows=results_table(tuners, objective=objective),
        edge_warnings=messages,
        ranges=ranges,
    )
