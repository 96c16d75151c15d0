"""`TrialProgress`: a search's progress, one line per finished trial.

KerasTuner's own display (a table per trial, `Reloading Tuner from ...`)
stays off; `search(verbose=1)` prints these lines instead, to stdout:

    stage 1/2: 10 trials of 3 epochs; learning_rate 1e-05..0.1, l2 1e-06..0.1
    resuming run/stage_1: 4 finished trials kept, 6 to run.
    trial 4 (5/10): learning_rate=0.001234, l2=1.2e-05 -> val_accuracy
      0.9514 (best 0.9611, trial 2); 0:42 elapsed, about 1:10 left

(one line each). A trial is named by its KerasTuner id, as in its folder
`trial_<id>` and the results table, then its place out of the total.
Hyperband, whose number of trials is not fixed, names the trial's bracket,
round and epochs instead of a total; a distributed worker prefixes its lines
with its `KERASTUNER_TUNER_ID` and prints its own trials.
"""

import math
import os
import sys
import time

from keras_training_kit.tuning.trials import is_diverged
from keras_training_kit.tuning.trials import is_pruned
from keras_training_kit.tuning.trials import pruned_epoch

_ENDED = ("COMPLETED", "FAILED", "INVALID")


class TrialProgress:
    """Prints one line per finished trial of a search (and its stages).

    Pass it to `make_tuner(..., progress=...)`; `search(verbose=1)` makes
    one. The estimate of the time left assumes every epoch of the plan costs
    what the epochs trained so far did.

    Args:
        plan: list of `(trials, epochs)` per stage; `trials` is `None` when
            the search sets it (Hyperband: no total, no estimate).
        stream: a text stream, or `None` for `sys.stdout` as it is at each
            line. Defaults to `None`.
        clock: a function returning seconds. Defaults to `time.monotonic`.

    Example:

    >>> progress = TrialProgress([(10, 3)])
    >>> progress.format_duration(4321)
    '1:12:01'
    """

    def __init__(self, plan, *, stream=None, clock=time.monotonic):
        self.plan = [tuple(stage) for stage in plan]
        self.stream = stream
        self.clock = clock
        self.stage = 0
        self.start = clock()
        self.trained_epochs = 0

    def stage_begins(self, stage: int, ranges: dict) -> None:
        """Says which stage starts, its trials, epochs and ranges."""
        self.stage = stage
        trials, epochs = self.plan[stage]
        spans = ", ".join(
            f"{name} {low:.3g}..{high:.3g}"
            for name, (low, high) in ranges.items()
        )
        self._print(
            f"stage {stage + 1}/{len(self.plan)}: {_count(trials, 'trial')} "
            f"of {_count(epochs, 'epoch')}" + (f"; {spans}" if spans else "")
        )

    def search_begins(self, tuner) -> None:
        """On a resumed search: how many finished trials are kept."""
        if _worker_id():
            return
        kept = len(_ended(tuner.oracle))
        if not kept:
            return
        trials = self.plan[self.stage][0]
        left = (
            f"{max(trials - kept, 0)} to run"
            if trials
            else "Hyperband's brackets set how many follow"
        )
        folder = os.path.relpath(tuner.project_dir)
        self._print(
            f"resuming {folder}: {_count(kept, 'finished trial')} kept, {left}."
        )

    def trial_ended(self, tuner, trial) -> None:
        """Prints the line of `trial`, which `tuner`'s oracle has ended."""
        oracle = tuner.oracle
        trial = oracle.get_trial(trial.trial_id)
        values = trial.hyperparameters.values
        trained = trial.metrics.exists("epochs_run") and int(
            trial.metrics.get_last_value("epochs_run")
        )
        self.trained_epochs += trained or values.get(
            "tuner/epochs", self.plan[self.stage][1]
        )
        head = self._head(trial, oracle)
        shown = ", ".join(
            f"{name}={_format(value, 4)}"
            for name, value in values.items()
            if not name.startswith("tuner/")
        )
        line = f"{head}: {shown or 'no hyperparameters'} -> "
        line += _outcome(trial, oracle) + _best(oracle)
        line += f"; {self._times(trial, oracle)}"
        self._print(line)

    def _head(self, trial, oracle) -> str:
        worker = _worker_id()
        number = int(trial.trial_id)
        trials = self.plan[self.stage][0]
        head = f"{worker}: " if worker else ""
        if len(self.plan) > 1:
            head += f"stage {self.stage + 1}/{len(self.plan)}, "
        if trials:
            return head + f"trial {number} ({number + 1}/{trials})"
        values = trial.hyperparameters.values
        return head + (
            f"trial {number} (bracket {values.get('tuner/bracket')}, round "
            f"{values.get('tuner/round')}, "
            f"{_count(values.get('tuner/epochs'), 'epoch')})"
        )

    def _times(self, trial, oracle) -> str:
        elapsed = self.clock() - self.start
        text = f"{self.format_duration(elapsed)} elapsed"
        left = self._epochs_left(trial, oracle)
        if not left or not self.trained_epochs:
            return text
        seconds = elapsed / self.trained_epochs * left
        return text + f", about {self.format_duration(seconds)} left"

    def _epochs_left(self, trial, oracle):
        trials, epochs = self.plan[self.stage]
        if not trials:
            return None
        done = max(len(_ended(oracle)), int(trial.trial_id) + 1)
        left = max(trials - done, 0) * epochs
        return left + sum(t * e for t, e in self.plan[self.stage + 1 :])

    @staticmethod
    def format_duration(seconds: float) -> str:
        """`m:ss`, or `h:mm:ss` from an hour on."""
        seconds = int(round(seconds))
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours}:{minutes:02d}:{seconds:02d}"
        return f"{minutes}:{seconds:02d}"

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stdout, flush=True)


def _worker_id() -> str:
    """This process's `KERASTUNER_TUNER_ID` if it is a distributed worker."""
    if not os.environ.get("KERASTUNER_ORACLE_IP"):
        return ""
    tuner_id = os.environ.get("KERASTUNER_TUNER_ID", "")
    return "" if tuner_id == "chief" else tuner_id


def _ended(oracle) -> list:
    """The ended trials `oracle` knows of (a worker's `OracleClient` knows
    none: the chief holds them)."""
    trials = getattr(oracle, "trials", None) or {}
    return [t for t in trials.values() if str(t.status) in _ENDED]


def _format(value, digits=3) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _outcome(trial, oracle) -> str:
    status = str(trial.status)
    if status != "COMPLETED":
        lines = (trial.message or "").strip().splitlines()
        return f"{status.lower()}" + (f" ({lines[-1]})" if lines else "")
    if is_diverged(trial):
        return "diverged"
    score = trial.score
    name = oracle.objective.name
    text = f"{name} {_format(score, 4) if score is not None else 'none'}"
    if is_pruned(trial):
        return f"pruned after epoch {pruned_epoch(trial) + 1} ({text})"
    return text


def _best(oracle) -> str:
    trials = getattr(oracle, "trials", None)
    if trials is None:  # a worker's `OracleClient`: the chief ranks
        trials = {t.trial_id: t for t in oracle.get_best_trials(3)}
    best = sorted(
        (
            t
            for t in trials.values()
            if str(t.status) == "COMPLETED"
            and t.score is not None
            and math.isfinite(t.score)
            and not is_diverged(t)
            and not is_pruned(t)
        ),
        key=lambda t: t.score,
        reverse=oracle.objective.direction == "max",
    )
    if not best:
        return ""
    number = int(best[0].trial_id)
    return f" (best {_format(best[0].score, 4)}, trial {number})"


def _count(number, noun) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
