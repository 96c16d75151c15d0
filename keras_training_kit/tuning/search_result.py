"""What a search found: `SearchResult`, the best values, the edge check."""

import dataclasses
import math
import warnings

from keras_training_kit.tuning import trials
from keras_training_kit.tuning.report import results_table
from keras_training_kit.tuning.tuners import is_distributed_worker
from keras_training_kit.validation import check_float


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


def check_edges(
    best_values: dict,
    ranges: dict,
    fraction: float = 0.1,
    tied_values: dict | None = None,
) -> list:
    """Warns for each best value in the outer `fraction` of its log range.

    A best value near the edge of the searched range means the optimum may
    lie outside it: the range should be widened on that side. When other
    trials tie with the best score (`tied_values`), the warning is raised
    only if all their values sit in the same edge band: a score that is
    flat from the edge into the range says nothing about what lies beyond.

    Args:
        best_values: dict of hyperparameter values (e.g. the best trial's).
        ranges: dict `{name: (min, max)}` of log-scale ranges.
        fraction: float in `(0, 0.5)`, the width of each edge band as a
            fraction of the range's log width. Defaults to `0.1`.
        tied_values: dict `{name: [values]}` or `None`, the values of every
            trial scoring as well as the best (see `tied_best_values`).
            Defaults to `None`: only the best trial's.

    Returns:
        The list of warning messages (also issued as `EdgeOfRangeWarning`).

    Example:

    >>> ranges = {"l2": (1e-6, 1e-1)}
    >>> check_edges({"l2": 1e-6}, ranges,
    ...             tied_values={"l2": [1e-6, 1e-5, 1e-4]})
    []
    """
    check_float(
        "fraction", fraction, 0, 0.5, include_low=False, include_high=False
    )
    messages = []
    for name, (low, high) in ranges.items():
        value = best_values.get(name)
        if value is None or not low < high:
            continue
        values = [value] + list((tied_values or {}).get(name) or [])
        sides = {_edge(v, low, high, fraction) for v in values if v}
        side = sides.pop() if len(sides) == 1 else None
        if side:
            widen = (
                f"below {low:.3g}" if side == "lower" else f"above {high:.3g}"
            )
            message = (
                f"The best `{name}`={value:.3g} is in the {side} "
                f"{fraction:.0%} of its log range [{low:.3g}, {high:.3g}]: "
                f"widen the range {widen}."
            )
            warnings.warn(message, EdgeOfRangeWarning, stacklevel=2)
            messages.append(message)
    return messages


def _edge(value, low, high, fraction):
    """`"lower"`, `"upper"` or `None`: the edge band `value` is in."""
    position = math.log(value / low) / math.log(high / low)
    if position < fraction:
        return "lower"
    if position > 1 - fraction:
        return "upper"
    return None


def _best_trials(tuners: list) -> list:
    """The usable trials of `tuners` scoring as well as the best one, the
    best first (each tuner's objective and its direction decide)."""
    best_key, tied = None, []
    for tuner in tuners:
        sign = 1 if tuner.oracle.objective.direction == "max" else -1
        for trial in trials.usable_trials(tuner):
            key = sign * trial.score
            if best_key is None or key > best_key and not _ties(key, best_key):
                best_key, tied = key, [trial]
            elif _ties(key, best_key):
                tied.append(trial)
    return tied


def _ties(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _searched(trial) -> dict:
    """A trial's values, without KerasTuner's own `tuner/...` ones."""
    return {
        k: v
        for k, v in trial.hyperparameters.values.items()
        if not k.startswith("tuner/")
    }


def best_values(tuners: list) -> dict:
    """Returns the searched values of the best usable trial over `tuners`.

    Each tuner's objective and its direction decide. Failed and diverged
    trials are never best (see `trials.usable_trials`);
    KerasTuner's own `tuner/...` values (Hyperband's bracket bookkeeping)
    are left out. Of trials tying with the best score, the first tuner's
    best-sorted first is taken. Returns `{}` when no trial is usable.
    """
    best = _best_trials(tuners)
    return _searched(best[0]) if best else {}


def tied_best_values(tuners: list) -> dict:
    """Returns `{name: [values]}` of every usable trial tying for best.

    Example: a grid where `l2` from 1e-6 to 1e-4 scores the same best
    accuracy gives `{"l2": [1e-6, 1e-5, 1e-4], ...}`, which
    `check_edges` reads as "no evidence beyond the lower edge".
    """
    tied = {}
    for trial in _best_trials(tuners):
        for name, value in _searched(trial).items():
            tied.setdefault(name, []).append(value)
    return tied


def search_result(tuners: list, ranges: list) -> SearchResult:
    """The `SearchResult` of finished tuners (a worker's is empty).

    Args:
        tuners: list of finished KerasTuner tuners, one per stage.
        ranges: list of `{name: (min, max)}`, the log ranges of each stage.

    Raises:
        keras_training_kit.tuning.SearchError: when no trial is usable.
    """
    if is_distributed_worker():
        return SearchResult(tuners, {}, [], [], ranges)
    trials.check_usable(tuners)
    best = best_values(tuners)
    # The first stage's ranges are the user's: only they can be widened.
    messages = (
        check_edges(best, ranges[0], tied_values=tied_best_values(tuners))
        if best
        else []
    )
    return SearchResult(
        tuners=tuners,
        best_hyperparameters=best,
        rows=results_table(tuners),
        edge_warnings=messages,
        ranges=ranges,
    )
