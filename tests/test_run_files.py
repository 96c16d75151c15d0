import json
import os

import pytest

from keras_training_kit import run_files


def test_atomic_path_replaces_only_on_success(tmp_path):
    path = str(tmp_path / "model.weights.h5")
    assert run_files.temporary_path(path) == str(
        tmp_path / ".model.tmp.weights.h5"
    )
    run_files.write_text(path, "old")
    with pytest.raises(RuntimeError):
        with run_files.atomic_path(path) as temporary:
            with open(temporary, "w") as f:
                f.write("half")
            raise RuntimeError("killed")
    assert open(path).read() == "old"
    assert os.listdir(tmp_path) == ["model.weights.h5"]
    run_files.write_json(path, {"a": 1})
    assert json.load(open(path)) == {"a": 1}


def test_csv_readers_skip_a_torn_last_line(tmp_path):
    path = str(tmp_path / "history.csv")
    assert run_files.read_csv_rows(path) == []
    with open(path, "w") as f:
        f.write("epoch,loss\n0,0.5\n1,0.4\n2,0.")
    assert run_files.read_csv_rows(path) == [
        {"epoch": "0", "loss": "0.5"},
        {"epoch": "1", "loss": "0.4"},
    ]
    # A complete line with missing fields is torn too.
    with open(path, "w") as f:
        f.write("epoch,loss\n0,0.5\n1\n")
    assert run_files.read_csv_rows(path) == [{"epoch": "0", "loss": "0.5"}]
    with open(path, "w") as f:
        f.write("epoch,loss\n0,0.5\n1,0.4\n2,0.")
    run_files.truncate_csv_log(path, lambda row: int(row["epoch"]) < 1)
    assert open(path).read().splitlines() == ["epoch,loss", "0,0.5"]
    # A log torn inside its header is removed.
    with open(path, "w") as f:
        f.write("epo")
    run_files.truncate_csv_log(path, lambda row: True)
    assert not os.path.exists(path)


def test_remove_temporary_files(tmp_path):
    (tmp_path / "trial_0").mkdir()
    (tmp_path / "trial_0" / ".trial.tmp.json").write_text("{")
    (tmp_path / "oracle.json").write_text("{}")
    (tmp_path / ".hidden").write_text("kept")
    removed = run_files.remove_temporary_files(str(tmp_path))
    assert removed == [str(tmp_path / "trial_0" / ".trial.tmp.json")]
    assert sorted(os.listdir(tmp_path)) == [".hidden", "oracle.json", "trial_0"]
