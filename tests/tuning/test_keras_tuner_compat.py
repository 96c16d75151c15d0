"""KerasTuner workarounds: repairs, version check, and kills at chosen points.

The kill-point tests run a two-trial `ktk tune` under `tests/crash_points.py`,
SIGKILL it right after its N-th state change in the project folder, run the
same command again and check that the results equal the uninterrupted run's
and that no finished trial trained again. CI runs a sample (every kind of
write, the windows of KerasTuner's own write order, a kill between two
coarse-to-fine stages, one point per other strategy, the random search's in
the Ctrl-C test); `KTK_CRASH_SWEEP=all` tries every point of every strategy.
"""

import csv
import glob
import json
import os
import sys
import warnings

import keras_tuner
import pytest

from keras_training_kit import version_check

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import crash_points  # noqa: E402

from keras_training_kit.tuning import keras_tuner_compat  # noqa: E402

_COMMON = [
    "tune",
    "--hidden-units",
    "8",
    "--trials",
    "2",
    "--epochs",
    "1",
    "--lr-range",
    "1e-3,1e-1",
    "--seed",
    "0",
]
_STRATEGIES = {
    "coarse-to-fine": ["--search", "coarse-to-fine"],
    "random": ["--search", "random"],
    "bayesian": ["--search", "bayesian"],
    "grid": ["--search", "grid"],
    "hyperband": ["--search", "hyperband", "--epochs", "2"],
    # Trials of 3 epochs, pruned from the second trial on by the median of
    # the first (most of the rates are too small to learn in 3 epochs).
    "pruned": [
        "--search",
        "random",
        "--trials",
        "3",
        "--epochs",
        "3",
        "--lr-range",
        "1e-7,1e-1",
        "--prune",
        "median",
        "--prune-startup",
        "1",
        "--seed",
        "2",
    ],
}
# A new trial's trial.json (RUNNING) before oracle.json records it: Bayesian
# trial_1's point below (coarse-to-fine's trial_0 has the same window). The
# random search's oracle.json after its 4th write: the Ctrl-C test's point,
# with the same checks on the resumed search.
_SAMPLE = [
    # A trial's checkpoint written while it trains.
    ("coarse-to-fine", ("h5", "stage_1/trial_0/checkpoint.weights.h5")),
    # The first trial's trial.json (COMPLETED) before tuner0.json exists
    # (KerasTuner alone would start afresh) and before oracle.json ended it.
    ("coarse-to-fine", ("rename", "stage_1/trial_0/trial.json", 2)),
    # Between two stages: stage 1 done, stage 2's ranges not yet saved.
    ("coarse-to-fine", ("rename", "stage_1/tuner0.json", 3)),
    ("coarse-to-fine", ("rename", "results.csv")),
    ("bayesian", ("rename", "search/trial_1/trial.json", 1)),
    ("grid", ("rename", "search/trial_0/trial.json", 3)),
    ("hyperband", ("rename", "search/oracle.json", 3)),
]
if os.environ.get("KTK_CRASH_SWEEP") == "all":
    _POINTS = [(s, n) for s in _STRATEGIES for n in range(1, 121)]
else:
    _POINTS = _SAMPLE
# A strategy's reference search runs once per xdist worker: its points go to
# one worker (`--dist loadgroup`), so it runs once.
_POINTS = [
    pytest.param(s, n, marks=pytest.mark.xdist_group(f"tune_{s}"))
    for s, n in _POINTS
]


def _run(folder, strategy, kill_at, signal_name="KILL"):
    run_dir = os.path.join(folder, "run")
    events = os.path.join(folder, "events")
    command = _COMMON + _STRATEGIES[strategy] + ["--output-dir", run_dir]
    return (
        run_dir,
        events,
        crash_points.run(
            run_dir, kill_at, events, command, signal_name=signal_name
        ),
    )


def _results(run_dir):
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        return list(csv.DictReader(f))


def _completed(run_dir):
    """`{trial folder: score}` of the trials whose trial.json says COMPLETED."""
    done = {}
    for path in glob.glob(
        os.path.join(run_dir, "**", "trial.json"), recursive=True
    ):
        with open(path) as f:
            trial = json.load(f)  # written by rename: never torn
        if trial["status"] == "COMPLETED":
            done[os.path.relpath(os.path.dirname(path), run_dir)] = trial[
                "score"
            ]
    return done


def _decided(run_dir):
    """The running trials whose trial.json records their pruning."""
    decided = []
    for path in glob.glob(
        os.path.join(run_dir, "**", "trial.json"), recursive=True
    ):
        with open(path) as f:
            trial = json.load(f)
        if trial["status"] == "RUNNING" and "pruned" in trial["metrics"].get(
            "metrics", {}
        ):
            decided.append(path)
    return decided


_references = {}


@pytest.fixture
def reference(tmp_path_factory):
    def get(strategy):
        if strategy not in _references:
            folder = str(tmp_path_factory.mktemp(strategy))
            run_dir, events, result = _run(folder, strategy, 0)
            assert result.returncode == 0, result.stderr[-2000:]
            events = crash_points.read_events(events)
            fits = sum(kind == "fit" for kind, _ in events)
            _references[strategy] = (events, fits, _results(run_dir), run_dir)
        return _references[strategy]

    return get


@pytest.mark.parametrize("strategy, point", _POINTS, ids=str)
def test_kill_at_any_point_then_resume_equals_uninterrupted_search(
    strategy, point, reference, tmp_path
):
    killed = _check_stop_and_resume(strategy, point, reference, tmp_path)
    assert killed.returncode == -9, killed.stderr[-2000:]


@pytest.mark.xdist_group("tune_random")
def test_ctrl_c_in_a_search_says_how_to_resume_and_it_resumes(
    reference, tmp_path
):
    point = ("rename", "search/oracle.json", 4)
    stopped = _check_stop_and_resume(
        "random", point, reference, tmp_path, "INT"
    )
    assert stopped.returncode == 130, stopped.stderr[-2000:]
    # The harness imports TensorFlow before `ktk` hides its native lines.
    lines = [
        line
        for line in stopped.stderr.splitlines()
        if not line.startswith(("WARNING: All log", "I0000", "E0000", "W0000"))
    ]
    assert lines == [
        "ktk tune: interrupted; run the same command again to resume from "
        "the finished trials."
    ]


def _pruned_trials(run_dir):
    """`{trial folder: (epochs run)}` of the pruned trials of a run."""
    return {
        f"search/trial_{row['trial']}": int(row["epochs_run"])
        for row in _results(run_dir)
        if row["status"] == "pruned"
    }


# CI kills at the decision's write (what `repair_project` ends); the
# trial's end and oracle.json's record of it are KerasTuner's own writes,
# whose windows the sample above already covers. `KTK_CRASH_SWEEP=all` tries
# all three.
_PRUNED_WRITES = (
    ["decision", "end", "oracle"]
    if os.environ.get("KTK_CRASH_SWEEP") == "all"
    else ["decision"]
)


@pytest.mark.parametrize("write", _PRUNED_WRITES)
@pytest.mark.xdist_group("tune_pruned")
def test_kill_around_a_pruned_trial_then_resume(write, reference, tmp_path):
    # A pruned trial's trial.json is written when it starts, at each
    # epoch's report (the last one records the decision), at KerasTuner's
    # own report after `fit` and at its end; then oracle.json ends it.
    _, _, _, reference_dir = reference("pruned")
    pruned = _pruned_trials(reference_dir)
    assert pruned, "the reference search pruned no trial"
    folder, epochs = sorted(pruned.items())[-1]
    trial_json = f"{folder}/trial.json"
    writes = {"decision": 1 + epochs, "end": 3 + epochs}
    if write == "oracle":
        events = reference("pruned")[0]
        after_end = crash_points.pick(
            events, "rename", trial_json, writes["end"]
        )
        later = [
            index
            for index, event in enumerate(
                crash_points.state_changes(events), start=1
            )
            if index > after_end and event == ("rename", "search/oracle.json")
        ]
        point = later[0]
    else:
        point = ("rename", trial_json, writes[write])
    killed = _check_stop_and_resume("pruned", point, reference, tmp_path)
    assert killed.returncode == -9, killed.stderr[-2000:]


def _check_stop_and_resume(strategy, point, reference, tmp_path, signal="KILL"):
    events, fits, expected, reference_dir = reference(strategy)
    if isinstance(point, int):
        kill_at = point
        if kill_at > len(crash_points.state_changes(events)):
            pytest.skip("the search has fewer state changes")
    else:
        kill_at = crash_points.pick(events, *point)
    run_dir, events_path, killed = _run(
        str(tmp_path), strategy, kill_at, signal
    )
    finished = _completed(run_dir)
    # A trial killed after its pruning was recorded is ended, not re-run.
    decided = _decided(run_dir)
    os.remove(events_path)

    run_dir, events_path, resumed = _run(str(tmp_path), strategy, 0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    resumed_fits = sum(
        kind == "fit" for kind, _ in crash_points.read_events(events_path)
    )
    # Finished trials are kept (same score), not trained again; the rest run.
    assert resumed_fits == fits - len(finished) - len(decided)
    assert _results(run_dir) == expected
    assert _completed(run_dir) == _completed(reference_dir)
    for trial, score in finished.items():
        assert _completed(run_dir)[trial] == score
    assert crash_points.leftovers(run_dir) == []
    return killed


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f)


def _trial(trial_id, status, metrics=None):
    return {
        "trial_id": trial_id,
        "status": status,
        "score": 0.5 if metrics else None,
        "best_step": 0 if metrics else None,
        "metrics": {"metrics": metrics or {}},
    }


def test_repair_project_removes_ends_and_clears(tmp_path):
    project = str(tmp_path)
    _write(
        os.path.join(project, "oracle.json"),
        {
            "start_order": ["0", "1", "2"],
            "end_order": [],
            "ongoing_trials": {"tuner0": "1", "tuner1": "2"},
            "run_times": {},
        },
    )
    _write(
        os.path.join(project, "trial_0", "trial.json"),
        _trial("0", "COMPLETED", {"m": 1}),
    )
    # Finished but still listed as ongoing: ended as Oracle.end_trial would.
    _write(
        os.path.join(project, "trial_1", "trial.json"),
        _trial("1", "COMPLETED", {"m": 1}),
    )
    # Killed while running: retried from scratch, its partial metrics cleared.
    _write(
        os.path.join(project, "trial_2", "trial.json"),
        _trial("2", "RUNNING", {"m": 1}),
    )
    # Written before oracle.json listed it: never started, removed.
    _write(
        os.path.join(project, "trial_3", "trial.json"), _trial("3", "RUNNING")
    )
    with open(os.path.join(project, ".oracle.tmp.json"), "w") as f:
        f.write('{"torn')
    done = keras_tuner_compat.repair_project(project)
    assert done == {
        "removed": ["3"],
        "ended": ["1"],
        "cleared": ["2"],
        "retried": [],
    }
    with open(os.path.join(project, "oracle.json")) as f:
        state = json.load(f)
    assert state["ongoing_trials"] == {"tuner1": "2"}
    assert state["end_order"] == ["1"] and state["run_times"] == {"1": 1}
    with open(os.path.join(project, "trial_2", "trial.json")) as f:
        retried = json.load(f)
    assert retried["metrics"]["metrics"] == {} and retried["score"] is None
    assert not os.path.exists(os.path.join(project, "trial_3"))
    assert crash_points.leftovers(project) == []
    # Repairing a repaired folder changes nothing; a folder without
    # oracle.json is left alone.
    assert keras_tuner_compat.repair_project(project) == {
        "removed": [],
        "ended": [],
        "cleared": [],
        "retried": [],
    }
    assert keras_tuner_compat.repair_project(str(tmp_path / "missing")) == {
        "removed": [],
        "ended": [],
        "cleared": [],
        "retried": [],
    }


def test_repair_project_queues_failed_trials_for_a_retry(tmp_path):
    project = str(tmp_path)
    _write(
        os.path.join(project, "oracle.json"),
        {
            "start_order": ["0", "1"],
            "end_order": ["0", "1"],
            "ongoing_trials": {},
            "run_times": {"0": 1, "1": 1},
            "retry_queue": [],
        },
    )
    _write(
        os.path.join(project, "trial_0", "trial.json"),
        _trial("0", "COMPLETED", {"m": 1}),
    )
    failed = dict(
        _trial("1", "FAILED"), message="ModuleNotFoundError: tensorboard"
    )
    _write(os.path.join(project, "trial_1", "trial.json"), failed)
    done = keras_tuner_compat.repair_project(project)
    assert done["retried"] == ["1"]
    state = json.load(open(os.path.join(project, "oracle.json")))
    assert state["end_order"] == ["0"] and state["retry_queue"] == ["1"]
    trial = json.load(open(os.path.join(project, "trial_1", "trial.json")))
    assert trial["status"] == "RUNNING" and trial["message"] is None
    assert keras_tuner_compat.repair_project(project)["retried"] == []


def test_version_check_warns_once_for_an_untested_version(monkeypatch):
    monkeypatch.setattr(version_check, "_warned", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keras_tuner_compat.check_version("1.4.8")
    with pytest.warns(
        RuntimeWarning, match="tested with KerasTuner 1.4.x; found 2.0.0"
    ):
        assert not keras_tuner_compat.check_version("2.0.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not keras_tuner_compat.check_version("2.0.0")


def test_installed_keras_tuner_has_the_internals_the_workarounds_use():
    # Fails when KerasTuner changes what `keras_tuner_compat` relies on.
    assert keras_tuner_compat.check_version()
    oracle = keras_tuner.oracles.RandomSearchOracle
    for name in ("_get_oracle_fname", "_get_trial_dir", "_save_trial", "save"):
        assert callable(getattr(oracle, name)), name
    assert callable(keras_tuner.Tuner._get_tuner_fname)
    grid = keras_tuner.oracles.GridSearchOracle(max_trials=1)
    assert hasattr(grid, "_ordered_ids") and hasattr(grid, "_populate_next")
    assert grid._ordered_ids._memory == [] and callable(
        grid._ordered_ids.insert
    )
    assert callable(grid._compare)


def test_prepare_tuner_saves_state_before_the_first_trial(tmp_path):
    import keras

    def build(hp):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        return model

    tuner = keras_tuner.RandomSearch(
        build, max_trials=1, directory=str(tmp_path), project_name="p"
    )
    keras_tuner_compat.prepare_tuner(tuner)
    # A search killed during its first trial reloads instead of starting
    # afresh in the same folder.
    assert os.path.exists(os.path.join(tmp_path, "p", "tuner0.json"))
    assert os.path.exists(os.path.join(tmp_path, "p", "oracle.json"))
