"""Coarse-to-fine search: wide ranges, then narrowed ranges.

The first stage searches wide log ranges with short runs; later stages
search narrowed ranges with longer runs.
"""

import json
import math
import os

from keras_training_kit import run_files
from keras_training_kit.tuning.hparams import stage_callbacks
from keras_training_kit.tuning.progress import TrialProgress
from keras_training_kit.tuning.search_result import search_result
from keras_training_kit.tuning.trials import check_usable
from keras_training_kit.tuning.trials import usable_trials
from keras_training_kit.tuning.tuners import check_pruner
from keras_training_kit.tuning.tuners import is_distributed_worker
from keras_training_kit.tuning.tuners import make_tuner
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_non_negative
from keras_training_kit.validation import check_positive_int

_RANGES_FILE = "stage_ranges.json"


def narrow_ranges(values: dict, ranges: dict, margin: float = 0.1) -> dict:
    """Narrows log ranges around the values of the best trials.

    Each new range spans the best trials' values in log space, padded on
    each side by `margin` times the old range's log width, and clipped to the
    old range.

    Args:
        values: dict `{name: [values of the top-k trials]}`.
        ranges: dict `{name: (min, max)}`, the previous stage's ranges.
        margin: float >= 0, the padding as a fraction of the old log width.
            Defaults to `0.1`.

    Returns:
        A dict `{name: (min, max)}` with the narrowed ranges (a name without
        values keeps its range).

    Raises:
        ValueError: for a negative `margin`.

    Example:

    >>> narrow_ranges({"learning_rate": [1e-3, 3e-3]},
    ...               {"learning_rate": (1e-5, 1e-1)})  # doctest: +SKIP
    {'learning_rate': (0.000398..., 0.00754...)}
    """
    check_non_negative("margin", margin)
    narrowed = {}
    for name, (low, high) in ranges.items():
        points = [v for v in values.get(name, []) if v is not None and v > 0]
        if not points:
            narrowed[name] = (low, high)
            continue
        width = math.log10(high / low)
        new_low = max(math.log10(min(points)) - margin * width, math.log10(low))
        new_high = min(
            math.log10(max(points)) + margin * width, math.log10(high)
        )
        if new_high - new_low < 1e-9:
            new_high = new_low + 1e-3
        narrowed[name] = (10**new_low, 10**new_high)
    return narrowed


def top_trial_values(tuner, names, top_k: int = 3) -> dict:
    """Returns `{name: [values]}` of the `top_k` best usable trials.

    Failed and diverged trials never narrow a range; raises
    `keras_training_kit.tuning.SearchError` when no trial is usable.
    """
    check_usable([tuner])
    trials = usable_trials(tuner)[:top_k]
    return {
        name: [t.hyperparameters.values.get(name) for t in trials]
        for name in names
    }


def coarse_to_fine_search(
    hypermodel,
    train,
    validation=None,
    *,
    stages: int = 2,
    max_trials=10,
    epochs=3,
    top_k: int = 3,
    epoch_growth: int = 2,
    margin: float = 0.1,
    directory: str = "tuning",
    objective: str = "val_accuracy",
    seed: int = 0,
    overwrite: bool = False,
    callbacks: list | None = None,
    verbose: int = 0,
    pruner=None,
):
    """Runs a coarse-to-fine random search in log space.

    Stage 1 samples the hypermodel's full log ranges with short runs
    (`epochs`); each later stage is a new `keras_tuner.RandomSearch` in
    `directory/stage_<i>` whose ranges are narrowed (`narrow_ranges`) around
    the `top_k` best non-diverged trials of the previous stage, trained
    `epoch_growth` times longer. A stage's ranges are saved in
    `directory/stage_ranges.json` when it starts, so a resumed search (same
    `directory`, `overwrite=False`) keeps every finished trial and every
    started stage's ranges; a larger `max_trials` adds trials to each stage.

    Args:
        hypermodel: a `TrainingHyperModel`.
        train: training data for `model.fit`.
        validation: validation data. Defaults to `None`.
        stages: int >= 1. Defaults to `2`.
        max_trials: int or list of ints, trials per stage. Defaults to `10`.
        epochs: int or list of ints, epochs of each stage (an int is the first
            stage's, multiplied by `epoch_growth` per stage). Defaults to `3`.
        top_k: int >= 1. Defaults to `3`.
        epoch_growth: int >= 1. Defaults to `2`.
        margin: float >= 0, see `narrow_ranges`. Defaults to `0.1`.
        directory: str, the folder holding every stage. Defaults to
            `"tuning"`.
        objective: str. Defaults to `"val_accuracy"`.
        seed: int. Defaults to `0`.
        overwrite: bool. Defaults to `False`.
        callbacks: list or `None`, extra callbacks for every trial; a
            `keras.callbacks.TensorBoard(log_dir)` logs stage `k` to
            `log_dir/stage_<k>` (see `keras_training_kit.tuning.hparams`).
            Defaults to `None`.
        verbose: int, as in `search`: 0 silent, 1 a line per stage and
            per finished trial (`TrialProgress`), 2 also `model.fit`'s line
            per epoch. Defaults to `0`.
        pruner: `None`, a pruner name or object, as in `search`: each
            stage prunes among its own trials. Defaults to `None`.

    Returns:
        A `keras_training_kit.tuning.SearchResult` with one tuner and one
        ranges dict per stage.

    Raises:
        ValueError: for bad counts, or when run as a distributed worker.

    Example:

    >>> result = coarse_to_fine_search(hypermodel, train, validation,
    ...                                max_trials=8, epochs=2)  # doctest: +SKIP
    >>> result.ranges[1]["learning_rate"]  # narrowed  # doctest: +SKIP
    """
    check_positive_int("stages", stages)
    check_positive_int("top_k", top_k)
    check_positive_int("epoch_growth", epoch_growth)
    _check_not_distributed()
    trials_per_stage = _per_stage("max_trials", max_trials, stages, 1)
    epochs_per_stage = _per_stage("epochs", epochs, stages, epoch_growth)
    check_choice("verbose", verbose, (0, 1, 2))
    pruner = check_pruner(pruner, "random")
    progress = verbose and TrialProgress(
        list(zip(trials_per_stage, epochs_per_stage))
    )
    ranges_path = os.path.join(directory, _RANGES_FILE)
    saved = _saved_ranges(ranges_path, overwrite)
    tuners, stage_ranges = [], []
    current = hypermodel
    for stage in range(stages):
        if stage > 0:
            if stage < len(saved):
                ranges = saved[stage]
            else:
                ranges = narrow_ranges(
                    top_trial_values(tuners[-1], stage_ranges[-1], top_k),
                    stage_ranges[-1],
                    margin,
                )
            current = hypermodel.with_ranges(**ranges)
        stage_ranges.append(current.log_ranges())
        if len(stage_ranges) > len(saved):
            # A stage's ranges are saved before its first trial: a resumed
            # search never recomputes the ranges of a started stage.
            os.makedirs(directory, exist_ok=True)
            run_files.write_json(ranges_path, stage_ranges)
        if progress:
            progress.stage_begins(stage, stage_ranges[-1])
        name = f"stage_{stage + 1}"
        tuner = make_tuner(
            "random",
            current,
            max_trials=trials_per_stage[stage],
            directory=directory,
            project_name=name,
            objective=objective,
            seed=seed + stage,
            overwrite=overwrite,
            progress=progress,
            fit_verbose=2 if verbose == 2 else 0,
            pruner=pruner,
        )
        # Trial ids restart per stage: TensorBoard logs in `stage_<k>`.
        tuner.tensorboard_group = name
        tuner.search(
            train,
            validation_data=validation,
            epochs=epochs_per_stage[stage],
            callbacks=stage_callbacks(callbacks, name),
            verbose=0,  # KerasTuner's display; the trials' is `fit_verbose`
        )
        tuners.append(tuner)
    return search_result(tuners, stage_ranges)


def _check_not_distributed():
    """Refuses KerasTuner's distributed mode: each stage needs the last."""
    if os.environ.get("KERASTUNER_ORACLE_IP") or is_distributed_worker():
        raise ValueError(
            "`strategy='coarse-to-fine'` cannot run in KerasTuner's "
            "distributed mode (each stage depends on the previous one); use "
            "'random', 'grid', 'bayesian' or 'hyperband'. Received: "
            f"KERASTUNER_ORACLE_IP={os.environ.get('KERASTUNER_ORACLE_IP')!r}"
        )


def _saved_ranges(ranges_path, overwrite):
    """Returns the ranges of the stages an earlier run started, one dict
    `{name: (min, max)}` per stage; `overwrite` deletes them instead."""
    if overwrite and os.path.exists(ranges_path):
        os.remove(ranges_path)
    elif os.path.exists(ranges_path):
        with open(ranges_path) as f:
            return [
                {k: tuple(v) for k, v in stage.items()}
                for stage in json.load(f)
            ]
    return []


def _per_stage(option, value, stages, growth):
    if isinstance(value, (list, tuple)):
        if len(value) != stages:
            raise ValueError(
                f"`{option}` must be an int or a list of {stages} ints "
                f"(one per stage). Received: {option}={value!r}"
            )
        values = list(value)
    else:
        values = [
            value * growth ** stage if isinstance(value, int) else value
            for stage in range(stages)
        ]
    for v in values:
        check_positive_int(option, v)
    return values
