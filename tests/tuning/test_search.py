import json
import os
import re
import subprocess
import sys

import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import make_tuner
from keras_training_kit.tuning import search

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ports import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "search_process.py")


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", validation_split=0.2)
    return (
        data,
        data.train.take(256).batch(128),
        data.validation.take(128).batch(128),
    )


def _hypermodel(data, **kwargs):
    return TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        builder_kwargs={"hidden_units": (8,)},
        **kwargs,
    )


def test_unknown_strategy(digits):
    data, train, validation = digits
    with pytest.raises(
        ValueError, match="`strategy`.*Received: strategy='sobol'"
    ):
        search(_hypermodel(data), train, validation, strategy="sobol")


@pytest.mark.parametrize(
    "strategy, max_trials, epochs",
    [("grid", 3, 1), ("bayesian", 2, 1), ("hyperband", 1, 2)],
)
def test_strategies_run_and_report(
    strategy, max_trials, epochs, digits, tmp_path
):
    data, train, validation = digits
    hypermodel = _hypermodel(data, learning_rate=(1e-3, 1e-1), l2=1e-4)
    result = search(
        hypermodel,
        train,
        validation,
        strategy=strategy,
        max_trials=max_trials,
        epochs=epochs,
        directory=str(tmp_path),
    )
    rows = result.rows
    assert rows and all(r["status"] == "completed" for r in rows)
    assert all(0 <= r["best_val_accuracy"] <= 1 for r in rows)
    assert result.best_hyperparameters["learning_rate"] in [
        r["learning_rate"] for r in rows
    ]
    if strategy == "grid":
        assert sorted(r["learning_rate"] for r in rows) == [1e-3, 1e-2, 1e-1]
    if strategy == "hyperband":
        assert not any(k.startswith("tuner/") for r in rows for k in r)


def test_a_search_where_every_trial_diverged_raises(digits, tmp_path):
    from keras_training_kit.tuning import SearchError
    from keras_training_kit.tuning import results_table

    data, train, validation = digits
    hypermodel = _hypermodel(data, learning_rate=(1e2, 1e3), optimizer="sgd")
    with pytest.raises(SearchError, match="Every trial of the search diverged"):
        search(
            hypermodel,
            train,
            validation,
            max_trials=2,
            epochs=3,
            directory=str(tmp_path),
        )
    tuner = make_tuner(
        "random", hypermodel, max_trials=2, epochs=3, directory=str(tmp_path)
    )
    rows = results_table([tuner])
    assert [r["status"] for r in rows] == ["diverged", "diverged"]
    assert all(r["epochs_run"] == 1 for r in rows)


class _BrokenHyperModel(TrainingHyperModel):
    def fit(self, hp, model, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'tensorboard'")


def test_failed_trials_raise_and_a_rerun_retries_them(digits, tmp_path):
    from keras_training_kit.tuning import SearchError

    data, train, validation = digits
    options = dict(max_trials=2, epochs=1, directory=str(tmp_path))
    broken = _BrokenHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        builder_kwargs={"hidden_units": (8,)},
    )
    with pytest.raises(
        SearchError,
        match="2 of 2 failed. Trial 0's error: "
        "ModuleNotFoundError: No module named 'tensorboard'",
    ):
        search(broken, train, validation, **options)
    # Fixed (the package installed): the same search retries both trials.
    result = search(_hypermodel(data), train, validation, **options)
    assert [r["status"] for r in result.rows] == ["completed", "completed"]
    assert result.best_hyperparameters.keys() == {"learning_rate", "l2"}


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3", **extra)
    env.pop("KERASTUNER_TUNER_ID", None)
    return env


def _distributed(tmp_path, trials, **extra_env):
    """Runs a chief and two workers; returns (rows, workers' fits, lines)."""
    directory, count = str(tmp_path / "tune"), str(tmp_path / "fits.txt")
    rows_path = str(tmp_path / "rows.json")
    port = str(free_port())
    processes = []
    try:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            env = _env(
                KERASTUNER_ORACLE_IP="127.0.0.1",
                KERASTUNER_ORACLE_PORT=port,
                **extra_env,
            )
            env["KERASTUNER_TUNER_ID"] = tuner_id
            args = [sys.executable, SCRIPT, directory, str(trials), count]
            if tuner_id == "chief":
                args.append(rows_path)
            processes.append(
                subprocess.Popen(
                    args,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        printed = {}
        for tuner_id, process in zip(("chief", "tuner0", "tuner1"), processes):
            stdout, stderr = process.communicate(timeout=150)
            assert process.returncode == 0, stderr.decode()[-2000:]
            printed[tuner_id] = stdout.decode().splitlines()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    with open(rows_path) as f:
        rows = json.load(f)
    return rows, open(count).read().split(), printed


def test_distributed_chief_and_two_workers(tmp_path):
    rows, workers, printed = _distributed(tmp_path, 3)
    assert sorted(r["trial"] for r in rows) == [0, 1, 2]
    assert all(r["status"] == "completed" for r in rows)
    # Every trial trained exactly once, all on the workers.
    assert len(workers) == 3 and set(workers) <= {"tuner0", "tuner1"}
    # Each worker prints a line per trial it ran; the chief serves silently.
    assert printed["chief"] == []
    for tuner_id in ("tuner0", "tuner1"):
        assert len(printed[tuner_id]) == workers.count(tuner_id)
        for line in printed[tuner_id]:
            assert re.match(rf"{tuner_id}: trial \d \(\d/3\): ", line), line


def test_distributed_pruning_with_two_workers(tmp_path):
    # Trials 0 and 1 (rates 1e-3, 2e-3) learn, trials 2 and 4 (6e-8, 3e-8)
    # cannot: the chief's pruner compares each with a finished trial (a
    # worker asks for its next trial only after ending one, and of trials 0
    # and 1 the first to end ran all its epochs) and stops it in its worker.
    rows, workers, printed = _distributed(tmp_path, 5, KTK_TEST_PRUNE="1")
    assert sorted(r["trial"] for r in rows) == [0, 1, 2, 3, 4]
    assert len(workers) == 5 and set(workers) <= {"tuner0", "tuner1"}
    for row in rows:
        if row["learning_rate"] < 1e-7:
            assert row["status"] == "pruned", rows
        if row["status"] == "completed":
            assert row["epochs_run"] == 3, rows
        else:
            assert row["status"] == "pruned" and row["epochs_run"] in (1, 2)
    # The workers trained exactly the epochs recorded: a pruned trial's fit
    # stopped where the chief decided.
    epochs = open(tmp_path / "fits.txt.epochs").read().split()
    assert len(epochs) == sum(r["epochs_run"] for r in rows)
    pruned = [r for r in rows if r["status"] == "pruned"]
    lines = printed["tuner0"] + printed["tuner1"]
    assert sum("pruned after epoch" in line for line in lines) == len(pruned)
