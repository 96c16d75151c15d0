"""`ktk train`'s optimization flags, run as a user runs them."""

import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
# Without batch normalization, at a constant rate, with a validation split:
# what these tests compare (not `ktk train`'s defaults).
_FAST = [
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "16",
    "--normalization",
    "none",
    "--schedule",
    "constant",
    "--validation-split",
    "0.1",
    "--verbose",
    "0",
]
# 1437 digits training images; 10.9% validation leaves 1280 = 40 x 32.
_TRAIN_1280 = ["--validation-split", "0.109"]


def _ktk(*args, timeout=600):
    result = subprocess.run(
        [sys.executable, "-m", "keras_training_kit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _column(run_dir, name):
    with open(os.path.join(run_dir, "history.csv")) as f:
        return [float(row[name]) for row in csv.DictReader(f)]


def _weights(run_dir):
    import keras

    import keras_training_kit  # noqa: F401

    path = os.path.join(run_dir, "model.keras")
    return keras.saving.load_model(path).get_weights()


def test_schedule_and_warmup_follow_the_closed_form(tmp_path):
    run_dir = str(tmp_path / "cosine")
    _ktk(
        "train",
        *_FAST,
        "--optimizer",
        "adagrad",
        "--lr",
        "0.02",
        "--schedule",
        "cosine",
        "--warmup-epochs",
        "1",
        "--epochs",
        "3",
        "--output-dir",
        run_dir,
    )
    # Epoch k starts at step k * steps: warm-up from 0 over epoch 0, then
    # half a cosine over the two other epochs.
    np.testing.assert_allclose(
        _column(run_dir, "learning_rate"), [0.0, 0.02, 0.01], rtol=1e-5
    )
    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    assert (config["schedule"], config["warmup_epochs"]) == ("cosine", 1)


def test_one_cycle_peaks_after_a_quarter_of_the_run(tmp_path):
    run_dir = str(tmp_path / "one-cycle")
    _ktk(
        "train",
        *_FAST,
        "--optimizer",
        "nesterov",
        "--lr",
        "0.1",
        "--schedule",
        "one-cycle",
        "--epochs",
        "8",
        "--output-dir",
        run_dir,
    )
    rates = _column(run_dir, "learning_rate")
    assert rates[0] == pytest.approx(0.1 / 25)
    assert int(np.argmax(rates)) == 2 and rates[2] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(rates[2:], rates[3:]))


def test_accumulate_4_trains_like_a_4_times_larger_batch(tmp_path):
    """SGD without batch normalization: the same weights, not similar ones.

    The examples per epoch are a multiple of 32, so every update averages
    the same 32 examples in both runs (docs/guides/optimization.md says
    what happens otherwise).
    """
    common = [*_FAST, *_TRAIN_1280, "--optimizer", "sgd", "--lr", "0.1"]
    small, large = str(tmp_path / "8x4"), str(tmp_path / "32")
    _ktk(
        "train",
        *common,
        "--epochs",
        "3",
        "--batch-size",
        "8",
        "--accumulate",
        "4",
        "--output-dir",
        small,
    )
    _ktk(
        "train",
        *common,
        "--epochs",
        "3",
        "--batch-size",
        "32",
        "--output-dir",
        large,
    )
    for got, want in zip(_weights(small), _weights(large)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # And not because nothing trained: the first layer moved from its start.
    single = str(tmp_path / "8")
    _ktk(
        "train",
        *common,
        "--epochs",
        "3",
        "--batch-size",
        "8",
        "--output-dir",
        single,
    )
    assert not np.allclose(_weights(single)[0], _weights(large)[0], atol=1e-3)


def test_lr_auto_runs_the_range_test_once_and_records_it(tmp_path):
    run_dir = str(tmp_path / "auto")
    args = ["train", *_FAST, "--lr", "auto", "--epochs", "1"]
    first = _ktk(*args, "--output-dir", run_dir)
    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    found = config["lr_auto"]["learning_rate"]
    assert config["lr"] == "auto" and 1e-7 <= found <= 10
    assert f"suggests {found:.3g}" in first.stdout
    # The run trained at the suggestion (a constant learning rate).
    assert _column(run_dir, "learning_rate") == [pytest.approx(found)]
    again = _ktk(*args, "--output-dir", run_dir)
    assert "suggests" not in again.stdout
    assert "holds a finished run" in again.stdout


def test_reduce_lr_on_plateau_cuts_the_logged_learning_rate(tmp_path):
    run_dir = str(tmp_path / "plateau")
    # At lr 1e-7 the validation loss moves by less than Keras' min_delta.
    _ktk(
        "train",
        *_FAST,
        "--optimizer",
        "sgd",
        "--lr",
        "1e-7",
        "--reduce-lr-on-plateau",
        "1",
        "--epochs",
        "3",
        "--output-dir",
        run_dir,
    )
    rates = _column(run_dir, "learning_rate")
    assert rates[0] == pytest.approx(1e-7)
    cuts = round(math.log10(rates[0] / rates[-1]))
    assert cuts >= 1
    assert rates[-1] / rates[0] == pytest.approx(0.1**cuts, rel=1e-5)
