"""Ctrl-C in distributed `ktk tune`: the worker and the chief each stop with
one line and exit 130, and running them again resumes as after a kill."""

import csv
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import crash_points  # noqa: E402
from ports import free_port  # noqa: E402

_COMMAND = [
    "tune",
    "--search",
    "random",
    "--model",
    "mlp",
    "--hidden-units",
    "8",
    "--trials",
    "2",
    "--epochs",
    "1",
    "--lr-range",
    "1e-3,1e-1",
]
_LINE = (
    "ktk tune: interrupted; run the same command again to resume from the "
    "finished trials."
)


def _chief(command, env):
    return subprocess.Popen(
        [sys.executable, "-m", "keras_training_kit", *command],
        env=dict(
            os.environ,
            **env,
            KERASTUNER_TUNER_ID="chief",
            PYTHONPATH=crash_points.ROOT,
            TF_CPP_MIN_LOG_LEVEL="3",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _worker(run_dir, kill_on, events, command, env):
    return crash_points.run(
        run_dir,
        kill_on,
        events,
        command,
        signal_name="INT",
        env=dict(env, KERASTUNER_TUNER_ID="tuner0"),
        timeout=150,
    )


def _own_lines(stderr):
    # The harness imports TensorFlow before `ktk` hides its native lines.
    return [
        line
        for line in stderr.splitlines()
        if not line.startswith(("WARNING: All log", "I0000", "E0000", "W0000"))
    ]


def _fits(events):
    return sum(kind == "fit" for kind, _ in crash_points.read_events(events))


def test_ctrl_c_stops_worker_and_chief_and_both_resume(tmp_path):
    run_dir = str(tmp_path / "run")
    command = _COMMAND + ["--output-dir", run_dir]
    env = {
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": str(free_port()),
    }
    events = str(tmp_path / "events")
    chief = _chief(command, env)
    try:
        # Ctrl-C in the worker while it trains trial 1 (trial 0 finished).
        worker = _worker(
            run_dir,
            "h5 search/trial_1/checkpoint.weights.h5",
            events,
            command,
            env,
        )
        assert worker.returncode == 130, worker.stderr[-2000:]
        assert _own_lines(worker.stderr) == [_LINE]
        assert worker.stdout.startswith("tuner0: trial 0 (1/2): ")
        assert _fits(events) == 2
        # Then in the chief, which waits for the running trial.
        chief.send_signal(signal.SIGINT)
        _, stderr = chief.communicate(timeout=60)
        assert chief.returncode == 130, stderr[-2000:]
        assert _own_lines(stderr) == [_LINE]
    finally:
        if chief.poll() is None:
            chief.kill()
    os.remove(events)

    # The same commands again: trial 0 is kept, only trial 1 trains.
    chief = _chief(command, env)
    try:
        worker = _worker(run_dir, "0", events, command, env)
        assert worker.returncode == 0, worker.stderr[-2000:]
        stdout, stderr = chief.communicate(timeout=60)
        assert chief.returncode == 0, stderr[-2000:]
    finally:
        if chief.poll() is None:
            chief.kill()
    assert _fits(events) == 1
    assert worker.stdout.startswith("tuner0: trial 1 (2/2): ")
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(row["trial"] for row in rows) == ["0", "1"]
    assert all(row["status"] == "completed" for row in rows)
    assert crash_points.leftovers(run_dir) == []


def _kept_trials(run_dir):
    """The trials a resumed search keeps: ended, or their pruning recorded."""
    kept = set()
    for name in os.listdir(os.path.join(run_dir, "search")):
        path = os.path.join(run_dir, "search", name, "trial.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            trial = json.load(f)
        metrics = trial["metrics"].get("metrics", {})
        if trial["status"] == "COMPLETED" or "pruned" in metrics:
            kept.add(trial["trial_id"])
    return kept


def test_a_pruned_distributed_search_resumes_without_rerunning(tmp_path):
    # Trials of 2 epochs over mostly too small rates, pruned by the median
    # of the first finished trial; Ctrl-C in the worker while it trains
    # trial 3, then in the chief; the same commands again.
    run_dir = str(tmp_path / "run")
    command = [
        *_COMMAND,
        "--trials",
        "4",
        "--epochs",
        "2",
        "--lr-range",
        "1e-7,1e-1",
        "--seed",
        "2",
        "--prune",
        "median",
        "--prune-startup",
        "1",
        "--output-dir",
        run_dir,
    ]
    env = {
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": str(free_port()),
    }
    events = str(tmp_path / "events")
    chief = _chief(command, env)
    try:
        worker = _worker(
            run_dir,
            "h5 search/trial_3/checkpoint.weights.h5",
            events,
            command,
            env,
        )
        assert worker.returncode == 130, worker.stderr[-2000:]
        assert _fits(events) == 4
        chief.send_signal(signal.SIGINT)
        _, stderr = chief.communicate(timeout=60)
        assert chief.returncode == 130, stderr[-2000:]
    finally:
        if chief.poll() is None:
            chief.kill()
    first = worker.stdout.splitlines()
    ended = [line for line in first if line.startswith("tuner0: trial ")]
    assert len(ended) == 3
    kept = _kept_trials(run_dir)
    assert {"0", "1", "2"} <= kept
    os.remove(events)

    chief = _chief(command, env)
    try:
        worker = _worker(run_dir, "0", events, command, env)
        assert worker.returncode == 0, worker.stderr[-2000:]
        _, stderr = chief.communicate(timeout=60)
        assert chief.returncode == 0, stderr[-2000:]
    finally:
        if chief.poll() is None:
            chief.kill()
    # The trials finished or pruned (trial 3 too, when its pruning was
    # recorded before the Ctrl-C) are kept: only the others train.
    assert _fits(events) == 4 - len(kept)
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        rows = {row["trial"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == ["0", "1", "2", "3"]
    statuses = [rows[t]["status"] for t in sorted(rows)]
    assert "pruned" in statuses[:3], statuses
    for row in rows.values():
        if row["status"] == "pruned":
            assert int(row["epochs_run"]) < 2
    assert crash_points.leftovers(run_dir) == []
