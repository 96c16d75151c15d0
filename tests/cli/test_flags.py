"""`ktk` as a user runs it: bad flags fail at once, loudly, writing nothing."""

import json
import os
import subprocess
import sys
import time

import pytest

KTK = os.path.join(os.path.dirname(sys.executable), "ktk")


def _ktk(*args, cwd=None, timeout=240):
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a user has: nothing set
    return subprocess.run(
        [KTK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["train", "--lr", "-1"],
            "argument --lr: must be a finite float > 0 or auto. Received: '-1'",
        ),
        (
            ["train", "--lr", "inf"],
            "argument --lr: must be a finite float > 0 or auto. Received: "
            "'inf'",
        ),
        (
            ["train", "--schedule", "linear"],
            "argument --schedule: invalid choice: 'linear'",
        ),
        (
            ["train", "--warmup-epochs", "-1"],
            "argument --warmup-epochs: must be an int >= 0. Received: '-1'",
        ),
        (
            ["train", "--accumulate", "0"],
            "argument --accumulate: must be an int >= 1. Received: '0'",
        ),
        (
            ["train", "--schedule", "cosine", "--reduce-lr-on-plateau", "2"],
            "`--reduce-lr-on-plateau` changes a constant learning rate, not "
            "the 'cosine' schedule",
        ),
        (
            ["train", "--epochs", "3", "--warmup-epochs", "3"],
            "`--warmup-epochs` must be below `--epochs` (3). Received: "
            "--warmup-epochs 3",
        ),
        (
            ["train", "--dropout", "1.5"],
            "argument --dropout: must be a float in [0, 1). Received: '1.5'",
        ),
        (
            ["train", "--epochs", "0"],
            "argument --epochs: must be an int >= 1. Received: '0'",
        ),
        (
            ["train", "--hidden-units", "3,,4"],
            "argument --hidden-units: must be comma-separated ints",
        ),
        (
            ["tune", "--lr-range", "1e-1"],
            "argument --lr-range: must be MIN,MAX with finite 0 < MIN <= MAX",
        ),
        (
            ["tune", "--lr-range", "1e-1,1e-3"],
            "argument --lr-range: must be MIN,MAX with MIN <= MAX",
        ),
        (
            ["tune", "--optimizer", "adam,adamm"],
            "argument --optimizer: must be comma-separated names from sgd, "
            "momentum, nesterov, adagrad, rmsprop, adam, adamw. Received: "
            "'adam,adamm' "
            "('adamm' unknown)",
        ),
        (
            ["tune", "--normalization", "none,bacth"],
            "argument --normalization: must be comma-separated names from "
            "none, batch, layer.",
        ),
        (
            ["lr-find", "--min-lr", "1", "--max-lr", "0.1"],
            "`--min-lr` must be below `--max-lr`",
        ),
        (
            ["train", "--output-dir", "/etc/hostname/run"],
            "`--output-dir` must be a folder path, but '/etc/hostname' is a "
            "file",
        ),
        (
            ["init-study", "--output-dir", "/etc/hostname/run"],
            "`--output-dir` must be a folder path",
        ),
        (
            ["augment-preview", "--output", "/etc/hostname/x.png"],
            "Received: --output=/etc/hostname/x.png",
        ),
    ],
)
def test_bad_flags_fail_at_once_naming_the_flag(args, message, tmp_path):
    start = time.monotonic()
    result = _ktk(*args, cwd=str(tmp_path))
    seconds = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert message in lines[-1]
    assert (
        "Traceback" not in result.stderr and "_float_pair" not in result.stderr
    )
    assert os.listdir(tmp_path) == []  # nothing written, no runs/ folder
    # Checked before TensorFlow is even imported (a few seconds).
    assert seconds < 60


def test_name_lists_match_the_library():
    from keras_training_kit.cli import flags
    from keras_training_kit.models.blocks import NORMALIZATIONS
    from keras_training_kit.optimizers import OPTIMIZERS
    from keras_training_kit.schedules import SCHEDULES

    assert flags.OPTIMIZERS == OPTIMIZERS
    assert flags.SCHEDULES == SCHEDULES
    assert flags.NORMALIZATIONS == tuple(n or "none" for n in NORMALIZATIONS)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "mnistt"], "`--dataset`: Unknown data set 'mnistt'"),
        (
            ["--augment", "foo"],
            "`--augment` must be one of cifar10, cifar10_mixup, digits, "
            "mnist, none. Received: --augment foo",
        ),
    ],
)
def test_bad_names_fail_before_any_write(args, message, tmp_path):
    run_dir = str(tmp_path / "run")
    result = _ktk("train", *args, "--output-dir", run_dir)
    assert result.returncode == 2
    assert message in result.stderr.strip().splitlines()[-1]
    assert not os.path.exists(run_dir)


def test_unprepared_tfds_set_fails_fast_naming_folder_and_flags(tmp_path):
    run_dir, data_dir = str(tmp_path / "run"), str(tmp_path / "data")
    start = time.monotonic()
    result = _ktk(
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        data_dir,
        "--output-dir",
        run_dir,
    )
    # No download retries (about 3.5 minutes here) without `--download`.
    assert time.monotonic() - start < 90
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert f"'mnist' is not prepared in '{data_dir}' (`--data-dir`)" in last
    assert "`--download`" in last
    assert not os.path.exists(run_dir)


def test_output_is_quiet_and_a_corrected_rerun_is_accepted(tmp_path):
    run_dir = str(tmp_path / "run")
    common = [
        "train",
        "--model",
        "mlp",
        "--hidden-units",
        "16",
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--output-dir",
        run_dir,
    ]
    assert _ktk(*common, "--dropout", "2").returncode == 2
    result = _ktk(*common, "--dropout", "0.1")
    assert result.returncode == 0, result.stderr
    # No TensorFlow C++ lines, no Keras shuffle warning.
    assert result.stderr == ""
    assert result.stdout.strip().startswith("test accuracy")
    debug = _ktk("--debug", *common[:-2], "--output-dir", str(tmp_path / "v"))
    assert debug.returncode == 0
    assert "I0000" in debug.stderr or "absl" in debug.stderr


def test_diverged_train_exits_non_zero_and_says_so(tmp_path):
    run_dir = str(tmp_path / "run")
    result = _ktk(
        "train",
        "--model",
        "mlp",
        "--optimizer",
        "sgd",
        "--lr",
        "100",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--output-dir",
        run_dir,
    )
    assert result.returncode == 1
    assert "training diverged" in result.stderr and "--lr" in result.stderr
    with open(os.path.join(run_dir, "metrics.json")) as f:
        assert json.load(f)["status"] == "diverged"
    assert not os.path.exists(os.path.join(run_dir, "model.keras"))
    # Re-running reports it again, with the same exit code.
    assert (
        _ktk(
            "train",
            "--model",
            "mlp",
            "--optimizer",
            "sgd",
            "--lr",
            "100",
            "--epochs",
            "3",
            "--verbose",
            "0",
            "--output-dir",
            run_dir,
        ).returncode
        == 1
    )


def test_validation_split_zero_and_overwrite(tmp_path):
    run_dir = str(tmp_path / "run")
    common = [
        "train",
        "--model",
        "mlp",
        "--hidden-units",
        "16",
        "--epochs",
        "2",
        "--verbose",
        "0",
        "--validation-split",
        "0",
        "--output-dir",
        run_dir,
    ]
    result = _ktk(*common)
    assert result.returncode == 0, result.stderr
    with open(os.path.join(run_dir, "metrics.json")) as f:
        assert json.load(f)["epochs"] == 2
    with open(os.path.join(run_dir, "history.csv")) as f:
        assert f.readline().startswith("epoch,accuracy,learning_rate,loss")
    # Other settings in a used folder: refused, unless --overwrite.
    other = [*common[:-4], "--output-dir", run_dir, "--lr", "0.01"]
    refused = _ktk(*other)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert _ktk(*other, "--overwrite").returncode == 0
    with open(os.path.join(run_dir, "config.json")) as f:
        assert json.load(f)["lr"] == 0.01


@pytest.mark.parametrize("command", ["train", "tune"])
def test_overwrite_deletes_only_a_run_folder(command, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = _ktk(
        command, "--output-dir", ".", "--overwrite", cwd=str(tmp_path)
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"ktk {command}: error: `--overwrite` deletes a ktk run folder, but "
        "'.' holds other files and no config.json. Give `--output-dir` a new "
        "or a run folder."
    )
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_default_outputs_are_new_folders_under_runs(tmp_path):
    study = [
        "init-study",
        "--configurations",
        "tanh-xavier",
        "--num-examples",
        "50",
        "--input-dim",
        "20",
        "--depth",
        "2",
        "--width",
        "20",
        "--bins",
        "10",
    ]
    for _ in range(2):
        assert _ktk(*study, cwd=str(tmp_path)).returncode == 0
    preview = _ktk(
        "augment-preview",
        "--examples",
        "2",
        "--versions",
        "2",
        cwd=str(tmp_path),
    )
    assert preview.returncode == 0, preview.stderr
    folders = sorted(os.listdir(tmp_path / "runs"))
    assert len(folders) == 3 and os.listdir(tmp_path) == ["runs"]
    assert [f.split("-20")[0] for f in folders] == [
        "augment-preview-digits-digits",
        "init-study",
        "init-study",
    ]
    assert os.path.exists(
        tmp_path / "runs" / folders[0] / "augment_preview.png"
    )
    # The second study did not overwrite the first.
    assert all(os.listdir(tmp_path / "runs" / f) for f in folders[1:])
