"""End-to-end `ktk train`: run folder contents and refusals.

Resuming is tested in test_resume.py.
"""

import csv
import json
import os
import subprocess
import sys

import pytest

from keras_training_kit.cli.main import main

_FAST = [
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "32",
    "--verbose",
    "0",
]


def _epochs(run_dir):
    with open(os.path.join(run_dir, "history.csv")) as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_train_one_epoch_writes_run_folder(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    code = main(["train", *_FAST, "--epochs", "1", "--output-dir", run_dir])
    assert code == 0
    for name in (
        "config.json",
        "model.keras",
        "history.csv",
        "metrics.json",
        "curves.png",
    ):
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.1 < metrics["test_accuracy"] <= 1.0 and metrics["epochs"] == 1
    assert _epochs(run_dir) == [0]
    assert not os.path.exists(os.path.join(run_dir, "backup"))
    assert "test accuracy" in capsys.readouterr().out
    # The same command on a finished run folder reports the saved result
    # (it trains nothing and overwrites nothing).
    before = os.path.getmtime(os.path.join(run_dir, "model.keras"))
    assert (
        main(["train", *_FAST, "--epochs", "1", "--output-dir", run_dir]) == 0
    )
    out = capsys.readouterr().out
    assert "holds a finished run (completed): test accuracy" in out
    assert f"{metrics['test_accuracy']:.4f}" in out
    assert os.path.getmtime(os.path.join(run_dir, "model.keras")) == before


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(
        json.dumps({"dataset": "digits", "lr": 0.5})
    )
    assert main(["train", *_FAST, "--output-dir", str(run_dir)]) == 2
    assert "other settings" in capsys.readouterr().err


def test_bad_flag_value_is_reported(tmp_path, capsys):
    # argparse stops at the flag, before any work (exit status 2).
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "train",
                *_FAST,
                "--dropout",
                "1.5",
                "--output-dir",
                str(tmp_path / "r"),
            ]
        )
    assert exit_info.value.code == 2
    assert (
        "argument --dropout: must be a float in [0, 1)"
        in capsys.readouterr().err
    )
    assert not os.path.exists(tmp_path / "r")


def test_help_lists_subcommands_without_importing_tensorflow():
    code = (
        "import sys; from keras_training_kit.cli.main import main\n"
        "try: main(['--help'])\n"
        "except SystemExit: pass\n"
        "print('TF LOADED' if 'tensorflow' in sys.modules else 'TF NOT LOADED')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    for command in (
        "train",
        "tune",
        "lr-find",
        "init-study",
        "sanity-check",
        "augment-preview",
    ):
        assert command in result.stdout
    assert "TF NOT LOADED" in result.stdout


def test_train_cnn_with_xla_and_mixed_precision_restores_policy(tmp_path):
    import keras

    run_dir = str(tmp_path / "run")
    code = main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "cnn",
            "--filters",
            "8",
            "--normalization",
            "batch",
            "--dropout",
            "0.1",
            "--l2",
            "1e-4",
            "--optimizer",
            "momentum",
            "--lr",
            "0.01",
            "--jit-compile",
            "--mixed-precision",
            "--epochs",
            "1",
            "--verbose",
            "0",
            "--output-dir",
            run_dir,
        ]
    )
    assert code == 0
    assert keras.config.dtype_policy().name == "float32"
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    assert model.get_layer("conv_1_linear").dtype_policy.name == "mixed_float16"


def test_a_run_folder_from_before_the_optimization_flags_still_resumes(
    tmp_path, capsys
):
    run_dir = str(tmp_path / "run")
    # The schedule that such a run trained with, when `--schedule` did not
    # exist; the command's default is now one-cycle.
    args = ["train", *_FAST, "--schedule", "constant", "--epochs", "1"]
    args += ["--output-dir", run_dir]
    assert main(args) == 0
    path = os.path.join(run_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    for key in ("schedule", "warmup_epochs", "accumulate"):
        del config[key]  # as an older ktk wrote it
    del config["reduce_lr_on_plateau"], config["early_stopping"]
    with open(path, "w") as f:
        json.dump(config, f)
    capsys.readouterr()
    assert main(args) == 0
    assert "holds a finished run" in capsys.readouterr().out
    # A flag the old run did not use is another experiment.
    assert main(args[:-6] + ["--schedule", "cosine"] + args[-4:]) == 2
    assert "'schedule': ('constant', 'cosine')" in capsys.readouterr().err
