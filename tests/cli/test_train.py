"""End-to-end `ktk train`: run folder contents, resume after SIGKILL, refusals."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from keras_training_kit.cli.main import main

_FAST = ["--dataset", "digits", "--model", "mlp", "--hidden-units", "32", "--verbose", "0"]


def _epochs(run_dir):
    with open(os.path.join(run_dir, "history.csv")) as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_train_one_epoch_writes_run_folder(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    code = main(["train", *_FAST, "--epochs", "1", "--output-dir", run_dir])
    assert code == 0
    for name in ("config.json", "model.keras", "history.csv", "metrics.json", "curves.png"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.1 < metrics["test_accuracy"] <= 1.0 and metrics["epochs"] == 1
    assert _epochs(run_dir) == [0]
    assert not os.path.exists(os.path.join(run_dir, "backup"))
    assert "test accuracy" in capsys.readouterr().out
    # A finished run folder is not silently overwritten.
    assert main(["train", *_FAST, "--epochs", "1", "--output-dir", run_dir]) == 2
    assert "finished run" in capsys.readouterr().err


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps({"dataset": "digits", "lr": 0.5}))
    assert main(["train", *_FAST, "--output-dir", str(run_dir)]) == 2
    assert "other settings" in capsys.readouterr().err


def test_bad_flag_value_is_reported(tmp_path, capsys):
    code = main(["train", *_FAST, "--dropout", "1.5", "--output-dir", str(tmp_path / "r")])
    assert code == 2
    assert "dropout" in capsys.readouterr().err


def test_resume_after_sigkill_loses_no_finished_epoch(tmp_path):
    run_dir = str(tmp_path / "run")
    command = [sys.executable, "-m", "keras_training_kit", "train", *_FAST,
               "--output-dir", run_dir]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    metadata = os.path.join(run_dir, "backup", "training_metadata.json")
    process = subprocess.Popen(command + ["--epochs", "200"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and process.poll() is None:
            if os.path.exists(metadata):
                try:
                    with open(metadata) as f:
                        if json.load(f)["epoch"] >= 2:
                            break
                except (ValueError, KeyError):
                    pass  # caught mid-write
            time.sleep(0.05)
        assert process.poll() is None, "training ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    with open(metadata) as f:
        done = json.load(f)["epoch"]
    assert done >= 2
    total = done + 2
    result = subprocess.run(command + ["--epochs", str(total)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Resuming {run_dir} after epoch {done}" in result.stdout
    assert _epochs(run_dir) == list(range(total))
    with open(os.path.join(run_dir, "metrics.json")) as f:
        assert json.load(f)["epochs"] == total


def test_help_lists_subcommands_without_importing_tensorflow():
    code = ("import sys; from keras_training_kit.cli.main import main\n"
            "try: main(['--help'])\n"
            "except SystemExit: pass\n"
            "print('TF LOADED' if 'tensorflow' in sys.modules else 'TF NOT LOADED')")
    result = subprocess.run([sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("train", "tune", "lr-find", "init-study", "sanity-check", "augment-preview"):
        assert command in result.stdout
    assert "TF NOT LOADED" in result.stdout


def test_train_cnn_with_xla_and_mixed_precision_restores_policy(tmp_path):
    import keras

    run_dir = str(tmp_path / "run")
    code = main(["train", "--dataset", "digits", "--model", "cnn", "--filters", "8",
                 "--normalization", "batch", "--dropout", "0.1", "--l2", "1e-4",
                 "--optimizer", "momentum", "--lr", "0.01", "--jit-compile",
                 "--mixed-precision", "--epochs", "1", "--verbose", "0",
                 "--output-dir", run_dir])
    assert code == 0
    assert keras.config.dtype_policy().name == "float32"
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    assert model.get_layer("conv_1_linear").dtype_policy.name == "mixed_float16"
