"""`ktk tune --tensorboard DIR`: the HParams dashboard of a search, read
back with TensorBoard's own plugin, and the flag's checks."""

import argparse
import csv
import json
import os
import sys

import pytest

from keras_training_kit.cli import tensorboard_flags
from keras_training_kit.cli.errors import UsageError
from keras_training_kit.cli.main import main

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from hparams_dashboard import read_dashboard  # noqa: E402

# Coarse-to-fine, 3 trials of 2 epochs then 4, median pruning after the
# first trial of each stage.
_SEARCH = [
    "tune",
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "16",
    "--batch-size",
    "128",
    "--validation-split",
    "0.2",
    "--search",
    "coarse-to-fine",
    "--epochs",
    "2",
    "--top-k",
    "1",
    "--lr-range",
    "1e-6,1",
    "--prune",
    "median",
    "--prune-startup",
    "1",
    "--verbose",
    "0",
]


def _rows(out):
    with open(os.path.join(out, "results.csv")) as f:
        return {
            f"stage_{r['stage']}/{r['trial']}": r for r in csv.DictReader(f)
        }


def test_every_trial_pruned_ones_included_is_in_the_dashboard(tmp_path):
    out, logs = str(tmp_path / "tune"), str(tmp_path / "logs")
    args = [*_SEARCH, "--output-dir", out, "--tensorboard", logs]
    assert main([*args, "--trials", "3"]) == 0
    assert sorted(os.listdir(logs)) == ["stage_1", "stage_2"]
    rows = _rows(out)
    _, groups = read_dashboard(logs)
    assert sorted(groups) == sorted(rows)
    for name, row in rows.items():
        group = groups[name]
        assert group["sessions"] == [f"{name}/execution0"]
        assert group["hparams"]["learning_rate"] == pytest.approx(
            float(row["learning_rate"]), rel=1e-3
        )
        assert group["metrics"]["", "pruned"] == (row["status"] == "pruned")
        assert group["metrics"]["", "epochs_run"] == int(row["epochs_run"])
    assert any(row["status"] == "pruned" for row in rows.values())
    assert any(row["status"] == "completed" for row in rows.values())
    # The folder is not part of the experiment: not in config.json.
    with open(os.path.join(out, "config.json")) as f:
        assert "tensorboard" not in json.load(f)
    # Resumed with more trials, into the same folder: one run per trial.
    assert main([*args, "--trials", "4"]) == 0
    rows = _rows(out)
    _, groups = read_dashboard(logs)
    assert len(rows) == 8 and sorted(groups) == sorted(rows)
    assert all(len(group["sessions"]) == 1 for group in groups.values())


def _args(tmp_path, **kwargs):
    values = dict(
        tensorboard=str(tmp_path / "logs"),
        output_dir=str(tmp_path / "tune"),
        overwrite=False,
    )
    return argparse.Namespace(**{**values, **kwargs})


def _fill(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "events.out.tfevents.1"), "w") as f:
        f.write("")


def test_a_folder_of_another_search_is_refused_before_any_work(
    tmp_path, capsys
):
    _fill(tmp_path / "logs")
    out = str(tmp_path / "tune")
    code = main(
        [*_SEARCH, "--output-dir", out, "--tensorboard", str(tmp_path / "logs")]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "ktk tune: error: `--tensorboard` must be a new or empty folder for "
        "a new search (`--overwrite` deletes only `--output-dir`): its trial "
        "ids start at 0, and another search's runs in the folder would merge "
        "with its own. Give another folder, or the one of the search this "
        f"command resumes. Received: --tensorboard={tmp_path / 'logs'}\n"
    )
    assert not os.path.exists(out)


def test_a_resumed_search_or_an_overwritten_one_inside_may_log_there(
    tmp_path,
):
    _fill(tmp_path / "logs")
    with pytest.raises(UsageError, match="new or empty folder"):
        tensorboard_flags.check_args(_args(tmp_path, overwrite=True))
    _fill(tmp_path / "tune" / "logs")
    tensorboard_flags.check_args(  # deleted with --output-dir
        _args(tmp_path, tensorboard=str(tmp_path / "tune/logs"), overwrite=True)
    )
    with open(tmp_path / "tune" / "config.json", "w") as f:
        f.write("{}")
    tensorboard_flags.check_args(_args(tmp_path))  # the search resumes
    tensorboard_flags.check_args(_args(tmp_path, tensorboard=None))


def test_a_file_or_no_tensorflow_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    given = str(tmp_path / "file" / "logs")
    with pytest.raises(
        UsageError, match="`--tensorboard` must be a folder path"
    ) as error:
        tensorboard_flags.check_args(_args(tmp_path, tensorboard=given))
    assert str(error.value).endswith(f"Received: --tensorboard={given}")
    monkeypatch.setattr(tensorboard_flags, "_tensorflow_installed", lambda: 0)
    import keras

    with pytest.raises(UsageError) as error:
        tensorboard_flags.check_args(_args(tmp_path))
    assert str(error.value) == (
        "`--tensorboard` needs TensorFlow installed (Keras' TensorBoard "
        "callback writes with tf.summary, under any Keras backend): install "
        "`tensorflow`, or leave out `--tensorboard`. Received: "
        f"--tensorboard={tmp_path / 'logs'} with "
        f"KERAS_BACKEND={keras.backend.backend()}"
    )
