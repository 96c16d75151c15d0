"""Ctrl-C in distributed `ktk tune`: the worker and the chief each stop with
one line and exit 130, and running them again resumes as after a kill."""

import csv
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
