"""Search reports: the results table (CSV and text) and the lr-vs-l2 scatter."""

import csv
import math
import os

from keras_training_kit import run_files
from keras_training_kit.tuning.trials import is_pruned

_FIRST_COLUMNS = ("stage", "trial", "learning_rate", "l2")
_LAST_COLUMNS = ("epochs_run", "status")


def _metric(trial, name, best=None):
    """The last value of a trial's metric, or its best (`best="max"/"min"`)."""
    if not trial.metrics.exists(name):
        return None
    if best is None:
        value = trial.metrics.get_last_value(name)
    else:
        history = [o.mean() for o in trial.metrics.get_history(name)]
        value = (max if best == "max" else min)(history) if history else None
    return None if value is None else float(value)


def _fixed(tuner, name):
    value = getattr(getattr(tuner, "hypermodel", None), name, None)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and value[0] == value[1]
    ):
        value = value[0]
    return float(value) if isinstance(value, (int, float)) else None


def results_table(tuners: list) -> list:
    """Returns one row per trial of `tuners` (one tuner per stage).

    Each row is a dict with `stage` (1-based), `trial`, `learning_rate`,
    `l2`, the other hyperparameters (KerasTuner's internal `tuner/...` ones
    left out), `best_<objective>` (the best value of the tuner's objective
    over the trial's epochs, e.g. `best_val_accuracy`), `epochs_run` and
    `status`: `"diverged"` when `DivergenceGuard` stopped the trial,
    `"pruned"` when a pruner did (after `epochs_run` epochs), else
    KerasTuner's status in lower case (`"completed"`, `"running"`,
    `"invalid"`, `"failed"`).

    Args:
        tuners: list of KerasTuner tuners.

    Returns:
        A list of dicts.
    """
    rows = []
    for stage, tuner in enumerate(tuners, start=1):
        objective = tuner.oracle.objective
        best = "max" if objective.direction == "max" else "min"
        trials = sorted(
            tuner.oracle.trials.values(), key=lambda t: int(t.trial_id)
        )
        for trial in trials:
            values = {
                k: v
                for k, v in trial.hyperparameters.values.items()
                if not k.startswith("tuner/")
            }
            diverged = _metric(trial, "diverged")
            epochs_run = _metric(trial, "epochs_run")
            # KerasTuner pads ids to the width of `max_trials`, which a
            # resumed search with more trials changes (`7`, `08`): the
            # number is the id.
            row = {"stage": stage, "trial": int(trial.trial_id)}
            # A value the hypermodel fixes (a range with MIN == MAX) is not
            # a hyperparameter of the trial, but it is the trial's value.
            row.update(
                {name: _fixed(tuner, name) for name in ("learning_rate", "l2")}
            )
            row.update(values)
            row[f"best_{objective.name}"] = _metric(
                trial, objective.name, best=best
            )
            row["epochs_run"] = None if epochs_run is None else int(epochs_run)
            row["status"] = (
                "diverged"
                if diverged
                else "pruned" if is_pruned(trial) else str(trial.status).lower()
            )
            rows.append(row)
    return rows


def _score_column(rows):
    """The `best_<objective>` column of a results table, or `None`."""
    for row in rows:
        for key in row:
            if key.startswith("best_"):
                return key
    return None


def _columns(rows):
    score = _score_column(rows)
    last = ([score] if score else []) + list(_LAST_COLUMNS)
    middle = []
    for row in rows:
        for key in row:
            if (
                key not in _FIRST_COLUMNS
                and key not in last
                and key not in middle
            ):
                middle.append(key)
    return list(_FIRST_COLUMNS) + middle + last


def write_results_csv(rows: list, path: str) -> str:
    """Writes the results table to a CSV file; returns the path.

    Example:

    >>> write_results_csv([{"trial": "0", "learning_rate": 1e-3,
    ...                     "l2": 1e-4, "status": "completed"}],
    ...                   "/tmp/results.csv")
    '/tmp/results.csv'
    """
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    columns = _columns(rows)
    with run_files.atomic_path(path) as temporary:
        with open(temporary, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, restval="")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {k: "" if v is None else v for k, v in row.items()}
                )
    return os.fspath(path)


def read_results_csv(path: str) -> list:
    """Reads a results CSV back into rows (numbers as floats/ints)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    parsed = []
    for row in rows:
        out = {}
        for key, value in row.items():
            if value == "":
                out[key] = None
            elif key in ("stage", "epochs_run"):
                out[key] = int(float(value))
            else:
                try:
                    out[key] = float(value) if key != "trial" else value
                except ValueError:
                    out[key] = value
        parsed.append(out)
    return parsed


def format_results(
    rows: list, sort_by: str | None = None, direction: str | None = None
) -> str:
    """Formats the results table as aligned text, best trials first.

    Args:
        rows: list of dicts, as `results_table` returns them or
            `read_results_csv` reads them back.
        sort_by: str or `None`, the column to sort by. Defaults to `None`:
            the `best_<objective>` column.
        direction: `"max"`, `"min"` or `None`, whether higher or lower
            values of `sort_by` come first. Defaults to `None`: the
            direction KerasTuner infers from the metric's name (a loss is
            minimized, an accuracy maximized).

    Returns:
        The table as one str; trials without a value come last.

    Example:

    >>> print(format_results([
    ...     {"trial": 0, "best_val_loss": 0.9, "status": "completed"},
    ...     {"trial": 1, "best_val_loss": 0.3, "status": "completed"}]))
    stage  trial  learning_rate  l2  best_val_loss  epochs_run     status
        -      1              -   -            0.3           -  completed
        -      0              -   -            0.9           -  completed
    """
    columns = _columns(rows)
    sort_by = sort_by or _score_column(rows)
    if direction is None and sort_by is not None:
        from keras_training_kit.tuning.tuners import make_objective

        name = sort_by.removeprefix("best_")
        try:
            direction = make_objective(name).direction
        except ValueError:
            direction = "max"
    if direction not in ("max", "min"):
        raise ValueError(
            "`direction` must be 'max', 'min' or None. Received: "
            f"direction={direction!r}"
        )
    sign = -1 if direction == "max" else 1

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.4g}" if math.isfinite(value) else str(value)
        return str(value)

    def order(row):
        value = row.get(sort_by)
        finite = isinstance(value, (int, float)) and math.isfinite(value)
        return sign * value if finite else math.inf

    ordered = sorted(rows, key=order)
    table = [columns] + [[cell(r.get(c)) for c in columns] for r in ordered]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return "\n".join(
        "  ".join(text.rjust(width) for text, width in zip(line, widths))
        for line in table
    )
