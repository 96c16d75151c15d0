"""Pruners: stop a search's losing trials early, deciding as Optuna does.

A pruner looks at the values a trial has reported epoch by epoch (0-based
steps) and at what the other trials of the search reported, and says
whether to stop the trial now. Its decision reads only a
`PruningHistory`: each trial's reports, its state and, for successive
halving, the values it recorded at its rungs, in the order they arrived.
The history is plain data (`get_config()`), so a search saves it with its
trials and a resumed search decides as the first run would have.

`MedianPruner` and `SuccessiveHalvingPruner` decide exactly as
`optuna.pruners.MedianPruner` and `optuna.pruners.SuccessiveHalvingPruner`
(Optuna 5.1) do on the same reports in the same order; the tests replay
random searches through both.
"""

import inspect
import math

import numpy as np

from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_int

PRUNERS = ("none", "median", "asha")
"""The pruners `make_pruner` makes: `"none"` (every trial runs all its
epochs), `"median"` (`MedianPruner`) and `"asha"` (asynchronous successive
halving, `SuccessiveHalvingPruner`)."""

_STATES = ("running", "completed", "pruned", "failed")
_DIRECTIONS = ("min", "max")


class PruningHistory:
    """Each trial's reported values and state, in arrival order.

    What the pruners decide from. `report()` adds a trial's value at a step
    (an epoch, from 0); `end_trial()` says how the trial ended. A trial
    joins the history at its first report (or its end): `trials` keeps that
    order. Only `"completed"` trials count as finished ones for
    `MedianPruner`; pruned and failed trials, like running ones, do not.

    Args:
        trials: list of dicts, each trial as `get_config()` writes it:
            `{"trial_id": ..., "state": ..., "values": [[step, value], ...],
            "rungs": [[rung, value], ...]}`, in arrival order; `None` for
            an empty history. Defaults to `None`.
        min_resource: int or `None`, the `min_resource` that a
            `SuccessiveHalvingPruner(min_resource="auto")` settled on
            (`None` until it did). Defaults to `None`.

    Example:

    >>> history = PruningHistory()
    >>> history.report("0", step=0, value=0.9)
    >>> history.report("0", step=1, value=0.7)
    >>> history.end_trial("0", "completed")
    >>> history.trials["0"]
    {'state': 'completed', 'values': {0: 0.9, 1: 0.7}, 'rungs': {}}
    >>> PruningHistory.from_config(history.get_config()).trials == (
    ...     history.trials)
    True
    """

    def __init__(
        self, trials: list | None = None, min_resource: int | None = None
    ):
        check_int("min_resource", min_resource, allow_none=True)
        self.min_resource = min_resource
        # {trial_id: {"state", "values": {step: value}, "rungs": {k: value}}}
        self.trials = {}
        for trial in trials or []:
            check_choice("state", trial["state"], _STATES)
            self.trials[trial["trial_id"]] = {
                "state": trial["state"],
                "values": {int(s): float(v) for s, v in trial["values"]},
                "rungs": {int(k): float(v) for k, v in trial["rungs"]},
            }

    def _trial(self, trial_id, updating: bool = True) -> dict:
        trial = self.trials.setdefault(
            trial_id, {"state": "running", "values": {}, "rungs": {}}
        )
        if updating and trial["state"] != "running":
            raise ValueError(
                f"Trial {trial_id!r} has ended ({trial['state']}): it takes "
                f"no more reports. Received: trial_id={trial_id!r}"
            )
        return trial

    def report(self, trial_id, step: int, value: float) -> None:
        """Records a running trial's value at a step.

        A second report of the same step is ignored (the first value
        stays), as Optuna's `Trial.report` does.

        Args:
            trial_id: the trial's id (KerasTuner's: a str).
            step: int >= 0, the step (epoch, from 0).
            value: float, the objective at that step; NaN allowed.

        Raises:
            ValueError: if `step` is not an int >= 0, or the trial ended.
        """
        check_int("step", step, minimum=0)
        trial = self._trial(trial_id)
        trial["values"].setdefault(step, float(value))

    def end_trial(self, trial_id, state: str) -> None:
        """Records how a running trial ended.

        Args:
            trial_id: the trial's id.
            state: str, `"completed"`, `"pruned"` or `"failed"`.

        Raises:
            ValueError: if `state` is none of those, or the trial ended.
        """
        check_choice("state", state, _STATES[1:])
        self._trial(trial_id)["state"] = state

    def get_config(self) -> dict:
        """The history as JSON-friendly data, for `from_config()`."""
        trials = [
            {
                "trial_id": trial_id,
                "state": trial["state"],
                "values": [[s, v] for s, v in trial["values"].items()],
                "rungs": [[k, v] for k, v in trial["rungs"].items()],
            }
            for trial_id, trial in self.trials.items()
        ]
        return {"trials": trials, "min_resource": self.min_resource}

    @classmethod
    def from_config(cls, config: dict):
        """The history that `get_config()` returned `config` for."""
        return cls(**config)


def _latest(history: PruningHistory, trial_id):
    """The trial's record and its last (largest) step, or `None`s."""
    trial = history.trials.get(trial_id)
    if trial is None or not trial["values"]:
        return trial, None
    return trial, max(trial["values"])


class _Pruner:
    """What the pruners share: their config and `make_pruner` name."""

    name = None

    def get_config(self) -> dict:
        """The constructor's arguments, for `from_config()`."""
        return {name: getattr(self, name) for name in _parameters(type(self))}

    @classmethod
    def from_config(cls, config: dict):
        """The pruner that `get_config()` returned `config` for."""
        return cls(**config)


class MedianPruner(_Pruner):
    """Prunes a trial whose best value is worse than the median at its step.

    At a trial's latest step `s`, the trial is pruned when its best value
    so far (the lowest for `"min"`, highest for `"max"`, NaNs skipped) is
    worse than the median of the values that the completed trials reported
    at step `s` (NaNs skipped). Exactly `optuna.pruners.MedianPruner`:

    - no decision before `n_startup_trials` trials completed (and none
      while no trial has: `n_startup_trials=0` waits for one too);
    - none at a step below `n_warmup_steps`;
    - one per interval: a trial is checked at the first step it reports in
      each interval `[n_warmup_steps + i * interval_steps, ...)`, so a
      skipped step postpones the check to the next report;
    - a trial whose values are all NaN is pruned (once the checks above
      pass); otherwise none when fewer than `n_min_trials` completed trials
      reported step `s` (NaNs counted) or all their values there are NaN.

    Args:
        n_startup_trials: int >= 0, completed trials before any pruning.
            Defaults to `5`.
        n_warmup_steps: int >= 0, the first step at which a trial can be
            pruned. Defaults to `0`.
        interval_steps: int >= 1, steps between checks, counted from
            `n_warmup_steps`. Defaults to `1`.
        n_min_trials: int >= 1, completed trials that must have reported
            a step before a trial is judged there. Defaults to `1`.

    Example:

    >>> history = PruningHistory()
    >>> for trial_id, losses in [("0", [1.0, 0.8]), ("1", [0.9, 0.5])]:
    ...     for step, loss in enumerate(losses):
    ...         history.report(trial_id, step, loss)
    ...     history.end_trial(trial_id, "completed")
    >>> pruner = MedianPruner(n_startup_trials=2)
    >>> history.report("2", 0, 1.2)
    >>> pruner.should_prune(history, "2", "min")  # 1.2 > median 0.95
    True

    References:
        Golovin et al., 2017, [Google Vizier: A Service for Black-Box
        Optimization](https://research.google/pubs/pub46180/).
    """

    name = "median"

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ):
        check_int("n_startup_trials", n_startup_trials, minimum=0)
        check_int("n_warmup_steps", n_warmup_steps, minimum=0)
        check_int("interval_steps", interval_steps)
        check_int("n_min_trials", n_min_trials)
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials

    def should_prune(
        self, history: PruningHistory, trial_id, direction: str
    ) -> bool:
        """Whether to stop the trial at its latest reported step.

        Args:
            history: `PruningHistory`, the search so far; not changed.
            trial_id: the trial's id; a trial without reports goes on.
            direction: str, `"min"` or `"max"`: which values are better.

        Returns:
            bool, `True` to prune the trial.
        """
        check_choice("direction", direction, _DIRECTIONS)
        completed = [
            trial
            for trial in history.trials.values()
            if trial["state"] == "completed"
        ]
        if not completed or len(completed) < self.n_startup_trials:
            return False
        trial, step = _latest(history, trial_id)
        if step is None or step < self.n_warmup_steps:
            return False
        # Optuna checks the first step reported in each interval: a step
        # skipped at the interval's start postpones the check, not drops it.
        start = (step - self.n_warmup_steps) // self.interval_steps
        start = start * self.interval_steps + self.n_warmup_steps
        earlier = [s for s in trial["values"] if s != step]
        if max(earlier, default=-1) >= start:
            return False
        values = np.array(list(trial["values"].values()), dtype=float)
        if np.isnan(values).all():
            return True
        best = np.nanmax(values) if direction == "max" else np.nanmin(values)
        at_step = np.array(
            [t["values"][step] for t in completed if step in t["values"]],
            dtype=float,
        )
        if len(at_step) < self.n_min_trials or np.isnan(at_step).all():
            return False
        # numpy's percentile, as Optuna's (a mean of the two middle values
        # may differ in its last bit from `(a + b) / 2`).
        median = float(np.nanpercentile(at_step, 50.0))
        return bool(best < median if direction == "max" else best > median)


class SuccessiveHalvingPruner(_Pruner):
    """Asynchronous successive halving (ASHA): the best of each rung go on.

    Rung `k` is at step `min_resource * reduction_factor ** (k +
    min_early_stopping_rate)`. At a trial's latest step, if it reached its
    next rung, it records its latest value there (in the history: `rungs`)
    and is promoted when that value is among the best
    `1 / reduction_factor` of the values recorded at that rung so far, by
    any trial (running, pruned or completed: who reached the rung first
    matters), its own included; at least the best one goes on, ties go on.
    Otherwise it is pruned; a NaN value at a rung is pruned. A trial whose
    latest step skips several rungs is judged at each with the same value.
    Exactly `optuna.pruners.SuccessiveHalvingPruner`.

    `min_resource="auto"` waits (no pruning, no rung recorded) until a
    trial completed with reports, then settles on `max(last_step // 100,
    1)` for the largest last step among the completed trials at that
    check, and keeps it (in the history: `min_resource`) for the search.

    Args:
        min_resource: int >= 1 or `"auto"`, the steps before the first
            rung. Defaults to `"auto"`.
        reduction_factor: int >= 2, the rungs' growth in steps and the
            inverse of the fraction promoted. Defaults to `4`.
        min_early_stopping_rate: int >= 0, rungs skipped at the start.
            Defaults to `0`.
        bootstrap_count: int >= 0, a trial is pruned at a rung until more
            than this many values (its own included) are recorded there;
            must be `0` with `min_resource="auto"`. Defaults to `0`.

    Example:

    >>> pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    >>> history = PruningHistory()
    >>> history.report("0", 1, 0.5)
    >>> pruner.should_prune(history, "0", "min")  # alone at rung 0
    False
    >>> history.report("1", 1, 0.7)
    >>> pruner.should_prune(history, "1", "min")  # not the best half
    True
    >>> history.trials["1"]["rungs"]
    {0: 0.7}

    References:
        Li et al., 2020, [A System for Massively Parallel Hyperparameter
        Tuning](https://arxiv.org/abs/1810.05934).
    """

    name = "asha"

    def __init__(
        self,
        min_resource: int | str = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ):
        check_int("min_resource", min_resource, also=("auto",))
        check_int("reduction_factor", reduction_factor, minimum=2)
        check_int("min_early_stopping_rate", min_early_stopping_rate, minimum=0)
        check_int("bootstrap_count", bootstrap_count, minimum=0)
        if bootstrap_count and min_resource == "auto":
            raise ValueError(
                "`bootstrap_count` must be 0 with min_resource='auto' (an "
                "int `min_resource` allows more). Received: "
                f"bootstrap_count={bootstrap_count!r}"
            )
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = min_early_stopping_rate
        self.bootstrap_count = bootstrap_count

    def _resolved_min_resource(self, history: PruningHistory):
        if self.min_resource != "auto":
            return self.min_resource
        if history.min_resource is None:
            last_steps = [
                max(trial["values"])
                for trial in history.trials.values()
                if trial["state"] == "completed" and trial["values"]
            ]
            if last_steps:
                history.min_resource = max(max(last_steps) // 100, 1)
        return history.min_resource

    def should_prune(
        self, history: PruningHistory, trial_id, direction: str
    ) -> bool:
        """Whether to stop the trial at its latest reported step.

        Records the trial's value at each rung it reaches (and, with
        `min_resource="auto"`, the `min_resource` settled on) in `history`,
        as Optuna records them in the trial's system attributes: call it
        after each report, as the decisions depend on when a trial
        reached a rung.

        Args:
            history: `PruningHistory`, the search so far; updated.
            trial_id: the trial's id; a trial without reports goes on.
            direction: str, `"min"` or `"max"`: which values are better.

        Returns:
            bool, `True` to prune the trial.
        """
        check_choice("direction", direction, _DIRECTIONS)
        trial, step = _latest(history, trial_id)
        if step is None:
            return False
        min_resource = self._resolved_min_resource(history)
        if min_resource is None:
            return False
        value = trial["values"][step]
        rung = 0
        while rung in trial["rungs"]:
            rung += 1
        others = [t["rungs"] for t in history.trials.values() if t is not trial]
        while True:
            exponent = self.min_early_stopping_rate + rung
            if step < min_resource * self.reduction_factor**exponent:
                return False
            if math.isnan(value):
                return True
            trial["rungs"][rung] = value
            competing = [rungs[rung] for rungs in others if rung in rungs]
            competing = sorted(competing + [value])
            if len(competing) <= self.bootstrap_count:
                return True
            kept = max(len(competing) // self.reduction_factor - 1, 0)
            if direction == "max" and value < competing[-(kept + 1)]:
                return True
            if direction == "min" and value > competing[kept]:
                return True
            rung += 1


_CLASSES = {cls.name: cls for cls in (MedianPruner, SuccessiveHalvingPruner)}


def _parameters(cls) -> tuple:
    return tuple(inspect.signature(cls).parameters)


def make_pruner(pruner: str = "none", **params):
    """The pruner named `pruner` (one of `PRUNERS`), with its arguments.

    `make_pruner(p.name, **p.get_config())` makes `p` again.

    Args:
        pruner: str, `"none"`, `"median"` (`MedianPruner`) or `"asha"`
            (`SuccessiveHalvingPruner`). Defaults to `"none"`.
        **params: the pruner's arguments; `"none"` takes none.

    Returns:
        A `MedianPruner` or `SuccessiveHalvingPruner`; `None` for `"none"`.

    Raises:
        ValueError: for an unknown pruner, an argument the pruner does not
            take, or a value it does not allow.

    Example:

    >>> make_pruner("median", n_warmup_steps=2).get_config()["n_warmup_steps"]
    2
    >>> make_pruner("none") is None
    True
    """
    check_choice("pruner", pruner, PRUNERS)
    cls = _CLASSES.get(pruner)
    allowed = _parameters(cls) if cls else ()
    for name, value in params.items():
        if name not in allowed:
            raise ValueError(
                f"`{name}` is not an argument of the {pruner!r} pruner, which "
                f"takes {allowed}. Received: {name}={value!r}"
            )
    return cls(**params) if cls else None
