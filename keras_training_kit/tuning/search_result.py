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
    check_float(
        "fraction", fraction, 0, 0.5, include_low=False, include_high=False
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


def best_values(tuners: list) -> dict:
    """Returns the searched values of the best usable trial over `tuners`.

    Each tuner's objective and its direction decide. Failed and diverged
    trials are never best (see `trials.usable_trials`);
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
                k: v
                for k, v in usable[0].hyperparameters.values.items()
                if not k.startswith("tuner/")
            }
    return best


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
    messages = check_edges(best, ranges[0]) if best else []
    return SearchResult(
        tuners=tuners,
        best_hyperparameters=best,
        rows=results_table(tuners),
        edge_warnings=messages,
        ranges=ranges,
    )
