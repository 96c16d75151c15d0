"""The pruners decide as Optuna's own, on the same reports in the same order.

Each parity test replays seeded random searches (trials interleaved, of
different lengths, with NaNs, ties, skipped steps, failures and trials
stopped from outside) through an in-memory Optuna study and through a
`PruningHistory`, asking both after (nearly) every report, and asserts
every decision is the same; halfway, the history and the pruner go
through `get_config()`, JSON and `from_config()`, as a resumed search's.
"""

import json
import random

import optuna
import pytest
from optuna.trial import TrialState

from keras_training_kit.tuning import PRUNERS
from keras_training_kit.tuning import MedianPruner
from keras_training_kit.tuning import PruningHistory
from keras_training_kit.tuning import SuccessiveHalvingPruner
from keras_training_kit.tuning import make_pruner

optuna.logging.set_verbosity(optuna.logging.WARNING)

_STATES = {"failed": TrialState.FAIL, "pruned": TrialState.PRUNED}

_OPTUNA = {
    MedianPruner: optuna.pruners.MedianPruner,
    SuccessiveHalvingPruner: optuna.pruners.SuccessiveHalvingPruner,
}


def _plan(rng, steps, gaps, nan):
    """One trial's reports: `[(step, value)]`, a loss-like curve."""
    level, digits = rng.gauss(0.0, 1.0), rng.choice([1, 2, None])
    all_nan = rng.random() < nan / 2
    reports, step = [], rng.randrange(gaps[1])
    for _ in range(rng.randint(*steps)):
        value = level + 1.0 / (step + 1) + rng.gauss(0.0, 0.2)
        value = round(value, digits) if digits else value  # ties
        if all_nan or rng.random() < nan:
            value = float("nan")
        reports.append((step, value))
        step += rng.randint(*gaps)
    return reports


def _resumed(history, pruner):
    config = json.loads(json.dumps(history.get_config()))
    return PruningHistory.from_config(config), type(pruner).from_config(
        json.loads(json.dumps(pruner.get_config()))
    )


def _replay(
    pruner,
    direction,
    seed,
    trials=12,
    parallel=3,
    steps=(3, 12),
    gaps=(1, 1),
    nan=0.05,
):
    """Replays one search through Optuna and `pruner`; returns decisions."""
    rng = random.Random(seed)
    study = optuna.create_study(
        direction={"min": "minimize", "max": "maximize"}[direction],
        pruner=_OPTUNA[type(pruner)](**pruner.get_config()),
    )
    history = PruningHistory()
    plans = [_plan(rng, steps, gaps, nan) for _ in range(trials)]
    waiting, running, decisions = list(range(trials)), {}, []
    resume_at = rng.randrange(trials * steps[1] // 2)
    while waiting or running:
        if waiting and len(running) < parallel and rng.random() < 0.5:
            running[waiting.pop(0)] = (study.ask(), 0)
            continue
        if not running:
            continue
        i = rng.choice(sorted(running))
        trial, done = running[i]
        trial_id = str(trial.number)
        if done == len(plans[i]) or rng.random() < 0.04:
            state = rng.choices(["completed", "failed", "pruned"], [8, 1, 1])
            state = state[0] if done == len(plans[i]) else "pruned"
            if state == "completed":
                study.tell(trial, 0.0)
            else:
                study.tell(trial, state=_STATES[state])
            history.end_trial(trial_id, state)
            del running[i]
            continue
        step, value = plans[i][done]
        trial.report(value, step)
        history.report(trial_id, step, value)
        running[i] = (trial, done + 1)
        if rng.random() < 0.1:  # a report nobody asks about
            continue
        if len(decisions) == resume_at:
            history, pruner = _resumed(history, pruner)
        expected = bool(trial.should_prune())  # Optuna's may be np.bool_
        decided = pruner.should_prune(history, trial_id, direction)
        assert decided is expected, (seed, trial_id, step, decisions)
        decisions.append(decided)
        if decided:
            study.tell(trial, state=TrialState.PRUNED)
            history.end_trial(trial_id, "pruned")
            del running[i]
    for trial in study.trials:  # the rungs, as Optuna recorded them
        rungs = {
            int(key.rsplit("_", 1)[1]): value
            for key, value in trial.system_attrs.items()
            if key.startswith("completed_rung_")
        }
        recorded = history.trials.get(str(trial.number), {"rungs": {}})
        assert recorded["rungs"] == rungs
    return decisions


CASES = [
    (MedianPruner(), {}),
    (MedianPruner(n_startup_trials=0), {}),
    (MedianPruner(n_startup_trials=2, n_warmup_steps=3), {}),
    (MedianPruner(2, n_warmup_steps=2, interval_steps=3), {"gaps": (1, 3)}),
    (MedianPruner(2, n_min_trials=3), {"steps": (2, 12)}),
    (MedianPruner(1), {"nan": 0.3, "parallel": 5}),
    (SuccessiveHalvingPruner(), {"steps": (2, 20)}),
    (SuccessiveHalvingPruner(1, reduction_factor=2), {}),
    (
        SuccessiveHalvingPruner(2, 3, min_early_stopping_rate=1),
        {"gaps": (1, 3)},
    ),
    (SuccessiveHalvingPruner(1, 2, bootstrap_count=2), {"parallel": 5}),
    (SuccessiveHalvingPruner(1, 2), {"gaps": (1, 6), "nan": 0.2}),
    # "auto" > 1: completed trials with 200+ steps (reported sparsely).
    (SuccessiveHalvingPruner(), {"steps": (5, 14), "gaps": (5, 45)}),
    (
        SuccessiveHalvingPruner(reduction_factor=2),
        {"steps": (5, 14), "gaps": (20, 60)},
    ),
]


@pytest.mark.parametrize("direction", ["min", "max"])
@pytest.mark.parametrize("pruner, scenario", CASES)
def test_every_decision_is_optunas(pruner, scenario, direction):
    decisions = []
    for seed in range(6):
        decisions += _replay(pruner, direction, seed, **scenario)
    # Both kinds of decision were made: the replays test something.
    assert decisions.count(True) >= 3 and decisions.count(False) >= 3


def test_auto_min_resource_waits_for_a_completed_trial_then_stays():
    pruner, history = SuccessiveHalvingPruner(), PruningHistory()
    history.report("0", 250, 0.5)
    history.report("1", 40, 0.9)
    assert pruner.should_prune(history, "1", "min") is False
    assert history.trials["1"]["rungs"] == {} and history.min_resource is None
    history.end_trial("0", "completed")
    history.report("1", 41, 0.8)
    # 250 // 100: rungs at 2, 8, 32; three at once, each promoted alone.
    assert pruner.should_prune(history, "1", "min") is False
    assert history.min_resource == 2
    assert history.trials["1"]["rungs"] == {0: 0.8, 1: 0.8, 2: 0.8}
    history.report("2", 300, 0.1)
    history.end_trial("2", "completed")
    assert pruner.should_prune(history, "1", "min") is False
    assert history.min_resource == 2  # settled: a longer trial changes nothing


def test_history_ignores_a_repeated_step_and_refuses_an_ended_trial():
    history = PruningHistory()
    history.report("a", 0, 1.0)
    history.report("a", 0, 2.0)
    assert history.trials["a"]["values"] == {0: 1.0}
    history.end_trial("a", "pruned")
    with pytest.raises(ValueError, match=r"has ended \(pruned\).*trial_id='a'"):
        history.report("a", 1, 1.0)
    with pytest.raises(ValueError, match=r"`step` must be an int >= 0\. "):
        history.report("b", -1, 1.0)
    with pytest.raises(ValueError, match=r"`state` must be one of \('comp"):
        history.end_trial("b", "done")


@pytest.mark.parametrize(
    "pruner",
    [
        MedianPruner(3, 2, 4, n_min_trials=2),
        SuccessiveHalvingPruner(2, 3, 1, 4),
    ],
)
def test_config_round_trips(pruner):
    again = make_pruner(pruner.name, **pruner.get_config())
    assert type(again) is type(pruner)
    assert again.get_config() == pruner.get_config()
    assert type(pruner).from_config(pruner.get_config()).get_config() == (
        pruner.get_config()
    )


def test_make_pruner_names():
    assert PRUNERS == ("none", "median", "asha")
    assert make_pruner() is None and make_pruner("none") is None
    assert isinstance(make_pruner("median"), MedianPruner)
    assert make_pruner("asha", reduction_factor=3).reduction_factor == 3


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: make_pruner("hyperband"),
            r"`pruner` must be one of \('none', 'median', 'asha'\)\. "
            r"Received: pruner='hyperband'",
        ),
        (
            lambda: make_pruner("median", min_resource=2),
            r"`min_resource` is not an argument of the 'median' pruner, "
            r"which takes \('n_startup_trials', .*Received: min_resource=2",
        ),
        (
            lambda: make_pruner("none", n_startup_trials=1),
            r"not an argument of the 'none' pruner, which takes \(\)",
        ),
        (
            lambda: MedianPruner(n_startup_trials=-1),
            r"`n_startup_trials` must be an int >= 0\. "
            r"Received: n_startup_trials=-1",
        ),
        (
            lambda: MedianPruner(n_warmup_steps=1.5),
            r"`n_warmup_steps` must be an int >= 0\. Received: ",
        ),
        (
            lambda: MedianPruner(interval_steps=0),
            r"`interval_steps` must be an int >= 1\. Received: ",
        ),
        (
            lambda: MedianPruner(n_min_trials=True),
            r"`n_min_trials` must be an int >= 1\. Received: n_min_trials=True",
        ),
        (
            lambda: SuccessiveHalvingPruner(reduction_factor=2.5),
            r"`reduction_factor` must be an int >= 2\. "
            r"Received: reduction_factor=2\.5",
        ),
        (
            lambda: SuccessiveHalvingPruner(reduction_factor=True),
            r"`reduction_factor` must be an int >= 2\. "
            r"Received: reduction_factor=True",
        ),
        (
            lambda: SuccessiveHalvingPruner(min_resource=0),
            r"`min_resource` must be an int >= 1 or 'auto'\. "
            r"Received: min_resource=0",
        ),
        (
            lambda: SuccessiveHalvingPruner(min_resource="best"),
            r"`min_resource` must be an int >= 1 or 'auto'\. ",
        ),
        (
            lambda: SuccessiveHalvingPruner(min_early_stopping_rate=-1),
            r"`min_early_stopping_rate` must be an int >= 0\. ",
        ),
        (
            lambda: SuccessiveHalvingPruner(1, bootstrap_count=-1),
            r"`bootstrap_count` must be an int >= 0\. ",
        ),
        (
            lambda: SuccessiveHalvingPruner(bootstrap_count=2),
            r"`bootstrap_count` must be 0 with min_resource='auto' .*"
            r"Received: bootstrap_count=2",
        ),
        (
            lambda: MedianPruner().should_prune(
                PruningHistory(), "0", "minimize"
            ),
            r"`direction` must be one of \('min', 'max'\)\. "
            r"Received: direction='minimize'",
        ),
    ],
)
def test_errors_name_the_argument_and_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()
