"""Which trials of a search count: completed, finite score, not diverged
or pruned."""

import math

# The metrics a pruned search records with each trial (`pruning.py`).
EPOCH_SUFFIX = "_per_epoch"
PRUNED = "pruned"
RUNG = "asha_rung"


class SearchError(RuntimeError):
    """Raised when no trial of a search gave a usable result.

    The message says why: every trial failed (with the first trial's error)
    or every trial diverged.
    """


def is_diverged(trial) -> bool:
    """Whether `DivergenceGuard` stopped the trial.

    See `TrainingHyperModel.fit`.
    """
    metrics = trial.metrics
    return bool(
        metrics.exists("diverged") and metrics.get_last_value("diverged")
    )


def is_pruned(trial) -> bool:
    """Whether a pruner stopped the trial (see `tuning.pruning`)."""
    metrics = trial.metrics
    return bool(metrics.exists(PRUNED) and metrics.get_last_value(PRUNED))


def pruned_epoch(trial) -> int | None:
    """The 0-based epoch at which the trial was pruned, or `None`."""
    if not is_pruned(trial):
        return None
    return int(trial.metrics.get_history(PRUNED)[-1].step)


def usable_trials(tuner) -> list:
    """The trials of `tuner` that may be best or narrow a range, best first.

    Failed, running, stopped, diverged and pruned trials, and trials
    without a finite score, are left out.
    """
    oracle = tuner.oracle
    trials = [
        trial
        for trial in oracle.trials.values()
        if str(trial.status) == "COMPLETED"
        and trial.score is not None
        and math.isfinite(trial.score)
        and not is_diverged(trial)
        and not is_pruned(trial)
    ]
    return sorted(
        trials,
        key=lambda trial: trial.score,
        reverse=oracle.objective.direction == "max",
    )


def check_usable(tuners: list) -> None:
    """Raises `SearchError` when no trial of `tuners` is usable."""
    if any(usable_trials(tuner) for tuner in tuners):
        return
    trials = [t for tuner in tuners for t in tuner.oracle.trials.values()]
    failed = [t for t in trials if str(t.status) in ("FAILED", "INVALID")]
    if failed:
        first = min(failed, key=lambda t: (len(t.trial_id), t.trial_id))
        error = (first.message or "").strip().splitlines() or ["unknown error"]
        raise SearchError(
            f"No trial of the search completed: {len(failed)} of "
            f"{len(trials)} failed. Trial {first.trial_id}'s error: "
            f"{error[-1]}"
        )
    if trials and all(is_diverged(t) for t in trials):
        raise SearchError(
            f"Every trial of the search diverged ({len(trials)} trials): "
            "lower the upper end of the learning-rate range."
        )
    raise SearchError(
        f"No trial of the search has a finite score ({len(trials)} trials)."
    )
