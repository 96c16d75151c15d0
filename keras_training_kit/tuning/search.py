"""`search()`: one entry point for all search strategies.

The strategies are random, grid, Bayesian, Hyperband and coarse-to-fine.
"""

from keras_training_kit.tuning.coarse_to_fine import coarse_to_fine_search
from keras_training_kit.tuning.progress import TrialProgress
from keras_training_kit.tuning.search_result import SearchResult
from keras_training_kit.tuning.search_result import search_result
from keras_training_kit.tuning.tuners import TUNER_STRATEGIES
from keras_training_kit.tuning.tuners import check_pruner
from keras_training_kit.tuning.tuners import make_tuner
from keras_training_kit.validation import check_choice

STRATEGIES = TUNER_STRATEGIES + ("coarse-to-fine",)
"""The search strategies of `search`: KerasTuner's random search, grid
search, Bayesian optimization and Hyperband, and `"coarse-to-fine"`.
"""


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
    objective="val_accuracy",
    seed: int = 0,
    overwrite: bool = False,
    grid_per_decade: int = 1,
    stages: int = 2,
    top_k: int = 3,
    epoch_growth: int = 2,
    callbacks: list | None = None,
    verbose: int = 0,
    pruner=None,
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
        objective: str or `keras_tuner.Objective`, the metric to optimize;
            the direction of a name is KerasTuner's (`"val_accuracy"`
            maximized, `"val_loss"` minimized; see `make_objective`).
            Defaults to `"val_accuracy"`.
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
            A `keras.callbacks.TensorBoard(log_dir)` gives each trial a
            run `log_dir/<trial_id>/execution0` in TensorBoard's HParams
            dashboard, with its hyperparameters and `pruned` and
            `epochs_run` metrics (coarse-to-fine: `log_dir/stage_<k>/...`;
            any backend, with TensorFlow installed; see
            `keras_training_kit.tuning.hparams`). Defaults to `None`.
        verbose: int, 0 (silent), 1 (a line per finished trial, see
            `TrialProgress`; on a resumed search first the trials kept) or
            2 (also `model.fit`'s line per epoch). KerasTuner's own display
            stays off. Defaults to `0`.
        pruner: `None`, `"none"`, `"median"`, `"asha"` (see `make_pruner`)
            or a `MedianPruner`/`SuccessiveHalvingPruner`: stops trials
            whose objective falls behind the others' at the same epoch
            (see `keras_training_kit.tuning.pruning`); not with
            `"hyperband"`; coarse-to-fine prunes within each stage.
            Defaults to `None`.

    Returns:
        A `SearchResult`.

    Raises:
        ValueError: for an unknown strategy or pruner, bad counts, or a
            pruner with `"hyperband"`.

    Example:

    >>> from keras_training_kit.data import load_dataset
    >>> from keras_training_kit.tuning import TrainingHyperModel
    >>> data = load_dataset("digits")
    >>> hypermodel = TrainingHyperModel("mlp", data.input_shape, 10)
    >>> result = search(hypermodel, data.train.batch(64),
    ...                 data.validation.batch(64), strategy="random",
    ...                 max_trials=3, epochs=1, directory="/tmp/ktk_tune")
    ... # doctest: +SKIP
    """
    check_choice("strategy", strategy, STRATEGIES)
    check_choice("verbose", verbose, (0, 1, 2))
    pruner = check_pruner(pruner, strategy)
    fit_kwargs = dict(
        validation_data=validation,
        callbacks=list(callbacks or []),
        verbose=0,  # KerasTuner's display; the trials' is `fit_verbose`
    )
    if strategy == "coarse-to-fine":
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
            pruner=pruner,
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
        progress=_progress(strategy, max_trials, epochs, verbose),
        fit_verbose=2 if verbose == 2 else 0,
        pruner=pruner,
    )
    if strategy == "hyperband":
        tuner.search(train, **fit_kwargs)
    else:
        tuner.search(train, epochs=epochs, **fit_kwargs)
    ranges = _searched_ranges(tuner.hypermodel)
    return search_result([tuner], [ranges])


def _progress(strategy, max_trials, epochs, verbose):
    if not verbose:
        return None
    return TrialProgress(
        [(None if strategy == "hyperband" else max_trials, epochs)]
    )


def _searched_ranges(hypermodel):
    return hypermodel.log_ranges() if hasattr(hypermodel, "log_ranges") else {}
