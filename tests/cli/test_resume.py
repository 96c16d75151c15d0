"""`ktk train` resume: atomic epoch checkpoints, killed at chosen points.

Each kill-point test runs a three-epoch `ktk train` under
`tests/crash_points.py`, SIGKILLs it right after its N-th state change in the
run folder, runs the same command again, and checks that the result is the
uninterrupted run's. CI runs a sample with one point of every kind of write
(and the points between the run's last writes); `KTK_CRASH_SWEEP=all` tries
every point (`python3 -m pytest tests/cli/test_resume.py -n auto` with it).
"""

import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import crash_points  # noqa: E402

from keras_training_kit import run_files  # noqa: E402
from keras_training_kit.cli import resume  # noqa: E402

_COMMAND = [
    "train",
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "32",
    "--dropout",
    "0.2",
    "--epochs",
    "3",
    "--verbose",
    "0",
]
# One kill point of every kind of state change, and the windows that need
# care: after an epoch's row but before its checkpoint, between a new
# checkpoint and the deletion of the old one, after the model but before the
# result, after `metrics.json` but before the checkpoints are removed. The
# last two renames are in `_SCHEDULED_SAMPLE`, whose run writes the same
# files in the same order (with more state to lose).
_SAMPLE = [
    ("mkdir", "."),
    ("append", "history.csv", 2),
    ("write", "backup/.epoch-000002.tmp.npz"),
    ("delete", "backup/epoch-000002.npz"),
    ("write", ".model.tmp.keras"),
]
_POINTS = (
    list(range(1, 41))
    if os.environ.get("KTK_CRASH_SWEEP") == "all"
    else _SAMPLE
)
# The optimization flags keep state outside the weights: the range test's
# learning rate (in config.json), one-cycle's momentum variable (in the
# optimizer state), the accumulated gradients, early stopping's counters
# (replayed from history.csv).
_SCHEDULED = [
    "--optimizer",
    "momentum",
    "--lr",
    "auto",
    "--schedule",
    "one-cycle",
    "--accumulate",
    "2",
    "--early-stopping",
    "2",
]
_SCHEDULED_SAMPLE = [
    ("rename", "config.json"),
    ("append", "history.csv", 1),
    ("rename", "backup/epoch-000002.npz"),
    ("rename", "metrics.json"),
]


def _run(folder, kill_at, extra=(), signal_name="KILL"):
    run_dir = os.path.join(folder, "run")
    events = os.path.join(folder, "events")
    result = crash_points.run(
        run_dir,
        kill_at,
        events,
        _COMMAND + list(extra) + ["--output-dir", run_dir],
        signal_name=signal_name,
    )
    return run_dir, events, result


def _outcome(run_dir):
    import keras

    import keras_training_kit  # noqa: F401  (registers the package's classes)

    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    return {
        "history": run_files.read_csv_rows(
            os.path.join(run_dir, "history.csv")
        ),
        "test_accuracy": metrics["test_accuracy"],
        "test_loss": metrics["test_loss"],
        "epochs": metrics["epochs"],
        "weights": model.get_weights(),
        "config": json.load(open(os.path.join(run_dir, "config.json"))),
    }


def _reference(tmp_path_factory, extra=()):
    folder = str(tmp_path_factory.mktemp("reference"))
    run_dir, events, result = _run(folder, 0, extra)
    assert result.returncode == 0, result.stderr[-2000:]
    return crash_points.read_events(events), _outcome(run_dir)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return _reference(tmp_path_factory)


@pytest.fixture(scope="module")
def scheduled_reference(tmp_path_factory):
    return _reference(tmp_path_factory, _SCHEDULED)


def _finished_epochs(events):
    """Epochs whose checkpoint was committed before the kill (all, if done)."""
    epochs = 0
    for kind, path in events:
        if kind == "rename" and path.startswith("backup/epoch-"):
            epochs = int(path[len("backup/epoch-") :].split(".")[0])
    return epochs


# Each reference run is a module fixture: one xdist worker runs the tests
# that share it (`--dist loadgroup`), so it trains once, not once a worker.
@pytest.mark.xdist_group("train_reference")
@pytest.mark.parametrize("point", _POINTS, ids=str)
def test_kill_at_any_point_then_resume_equals_uninterrupted_run(
    point, reference, tmp_path
):
    _check_kill_and_resume(point, reference, tmp_path)


@pytest.mark.xdist_group("train_scheduled_reference")
@pytest.mark.parametrize("point", _SCHEDULED_SAMPLE, ids=str)
def test_the_optimization_flags_resume_as_the_uninterrupted_run(
    point, scheduled_reference, tmp_path
):
    _check_kill_and_resume(point, scheduled_reference, tmp_path, _SCHEDULED)
    assert "lr_auto" in scheduled_reference[1]["config"]


@pytest.mark.xdist_group("train_reference")
@pytest.mark.parametrize(
    "signal_name, code, word",
    [("INT", 130, "interrupted"), ("TERM", 143, "terminated")],
)
def test_ctrl_c_and_sigterm_say_how_to_resume_and_the_run_resumes(
    signal_name, code, word, reference, tmp_path
):
    # Mid-run, between an epoch's row and its checkpoint: one line, no
    # traceback, the exit code of a signal, and the same command resumes.
    stopped = _check_kill_and_resume(
        ("append", "history.csv", 2), reference, tmp_path, (), signal_name
    )
    assert stopped.returncode == code
    # The harness imports TensorFlow before `ktk` hides its native lines.
    lines = [
        line
        for line in stopped.stderr.splitlines()
        if not line.startswith(("WARNING: All log", "I0000", "E0000", "W0000"))
    ]
    assert lines == [
        f"ktk train: {word}; run the same command again to resume from the "
        "last finished epoch."
    ]


def _check_kill_and_resume(
    point, reference, tmp_path, extra=(), signal_name="KILL"
):
    reference_events, expected = reference
    if isinstance(point, int):
        kill_at = point
        if kill_at > len(crash_points.state_changes(reference_events)):
            pytest.skip("the run has fewer state changes")
    else:
        kill_at = crash_points.pick(reference_events, *point)
    run_dir, events, killed = _run(str(tmp_path), kill_at, extra, signal_name)
    if signal_name == "KILL":
        assert killed.returncode == -9, killed.stderr[-2000:]
    before = crash_points.read_events(events)
    finished = _finished_epochs(before)
    done = ("rename", "metrics.json") in before
    os.remove(events)

    run_dir, events, resumed = _run(str(tmp_path), 0, extra)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    fits = [
        line for kind, line in crash_points.read_events(events) if kind == "fit"
    ]
    # The finished run is reported, not retrained; otherwise one fit resumes
    # after the last committed epoch.
    assert fits == ([] if done else [str(finished)])
    if finished and not done:
        assert f"after epoch {finished}" in resumed.stdout
    outcome = _outcome(run_dir)
    history = outcome["history"]
    assert [row["epoch"] for row in history] == ["0", "1", "2"]
    assert history == expected["history"]
    assert outcome["epochs"] == expected["epochs"] == 3
    # An untrained or differently trained model cannot pass these.
    assert outcome["test_accuracy"] == expected["test_accuracy"]
    assert outcome["test_loss"] == expected["test_loss"]
    for got, want in zip(outcome["weights"], expected["weights"]):
        np.testing.assert_array_equal(got, want)
    assert not os.path.exists(os.path.join(run_dir, "backup"))
    assert crash_points.leftovers(run_dir) == []
    assert outcome["config"] == expected["config"]
    return killed


def test_epoch_stream_skips_whole_epochs():
    import tensorflow as tf

    def make_train():  # as a new process builds it
        tf.random.set_seed(0)
        return tf.data.Dataset.range(10).shuffle(10, seed=1).batch(4)

    train = make_train()
    stream, steps = resume.epoch_stream(train)
    assert steps == 3
    batches = [b.numpy().tolist() for b in stream.take(3 * steps)]
    assert sorted(sum(batches[:steps], [])) == list(range(10))
    # Passes are reshuffled, and a stream resumed after two epochs gives the
    # third epoch's batches.
    assert batches[:steps] != batches[steps : 2 * steps]
    again, _ = resume.epoch_stream(make_train(), finished_epochs=2)
    assert [b.numpy().tolist() for b in again.take(steps)] == batches[
        2 * steps :
    ]
    unknown = train.filter(lambda x: tf.reduce_all(x >= 0))
    assert resume.epoch_stream(unknown)[1] == 3
    with pytest.raises(ValueError, match="must be finite"):
        resume.epoch_stream(train.repeat())


def test_latest_checkpoint_and_epoch_seeds(tmp_path):
    import keras

    backup = str(tmp_path / "backup")
    assert resume.latest_checkpoint(backup) == (0, None)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dropout(0.5), keras.layers.Dense(2)]
    )
    model.compile("adam", "mse")
    x, y = np.ones((8, 4)), np.zeros((8, 2))
    checkpoint = resume.EpochCheckpoint(backup)
    states = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            states.append(
                keras.ops.convert_to_numpy(
                    model.layers[0].seed_generator.state
                ).tolist()
            )

    model.fit(
        x,
        y,
        epochs=2,
        batch_size=4,
        verbose=0,
        callbacks=[checkpoint, Record()],
    )
    # Only the newest checkpoint is kept, named after its finished epochs.
    assert os.listdir(backup) == ["epoch-000002.npz"]
    assert resume.latest_checkpoint(backup) == (
        2,
        os.path.join(backup, "epoch-000002.npz"),
    )
    # Epoch k starts from the seed state before training plus k * 2**20.
    assert states[1][1] - states[0][1] == 2**20 and states[0][0] == states[1][0]
    restored = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dropout(0.5), keras.layers.Dense(2)]
    )
    restored.compile("adam", "mse")
    resume.restore(restored, resume.latest_checkpoint(backup)[1])
    for a, b in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def _logs(losses):
    return [{"loss": value, "val_loss": value} for value in losses]


def test_replayed_plateau_state_is_the_uninterrupted_runs():
    import keras

    losses = [1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98]

    class Stand:
        def __init__(self):
            import types

            self.optimizer = types.SimpleNamespace(learning_rate=0.1)
            self.stop_training = False

    def plateau():
        return keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=2, cooldown=1
        )

    whole, model = plateau(), Stand()
    whole.set_model(model)
    whole.on_train_begin()
    for epoch, logs in enumerate(_logs(losses)):
        whole.on_epoch_end(epoch, logs)
    # Resumed after 4 epochs, from the checkpoint's learning rate.
    first = plateau()
    first.set_model(Stand())
    first.on_train_begin()
    for epoch, logs in enumerate(_logs(losses[:4])):
        first.on_epoch_end(epoch, logs)
    resumed_model = Stand()
    resumed_model.optimizer.learning_rate = first.model.optimizer.learning_rate
    replayed = resume.Replayed(plateau(), _logs(losses[:4]), 0.1)
    replayed.set_model(resumed_model)
    replayed.on_train_begin()
    for epoch, logs in enumerate(_logs(losses[4:]), start=4):
        replayed.on_epoch_end(epoch, logs)
    inner = replayed.callback
    assert (inner.wait, inner.best, inner.cooldown_counter) == (
        whole.wait,
        whole.best,
        whole.cooldown_counter,
    )
    assert (
        resumed_model.optimizer.learning_rate == model.optimizer.learning_rate
    )
    assert model.optimizer.learning_rate == pytest.approx(0.025)  # 2 cuts
    # Without the replay the counters start over and the decision differs.
    fresh = plateau()
    fresh.set_model(Stand())
    fresh.on_train_begin()
    for epoch, logs in enumerate(_logs(losses[4:]), start=4):
        fresh.on_epoch_end(epoch, logs)
    assert fresh.wait != whole.wait or fresh.best != whole.best


def test_replayed_early_stopping_knows_the_run_had_stopped():
    import keras

    stopping = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    assert resume.Replayed(stopping, _logs([1.0, 1.1, 1.2]), 0.1).replay()
    going = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    assert not resume.Replayed(going, _logs([1.0, 0.9]), 0.1).replay()


def test_restore_reads_earlier_weights_h5_and_refuses_another_model(tmp_path):
    import keras

    def model(units=2):
        built = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
        built.compile("adam", "mse")
        built.fit(np.ones((8, 4)), np.zeros((8, units)), verbose=0)
        return built

    trained = model()
    backup = tmp_path / "backup"
    backup.mkdir()
    # The checkpoint format of earlier 0.1.0 builds.
    trained.save_weights(str(backup / "epoch-000003.weights.h5"))
    epochs, path = resume.latest_checkpoint(str(backup))
    assert epochs == 3 and path.endswith("epoch-000003.weights.h5")
    fresh = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    fresh.compile("adam", "mse")
    resume.restore(fresh, path)
    for a, b in zip(trained.variables, fresh.variables):
        np.testing.assert_array_equal(a, b)
    npz = str(tmp_path / "epoch-000001.npz")
    resume.save_checkpoint(model(units=3), npz)
    with pytest.raises(ValueError, match="another model or optimizer"):
        resume.restore(fresh, npz)
