import csv
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)


def _ktk(*args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a user has: nothing set
    return subprocess.run(
        [sys.executable, "-m", "keras_training_kit", "optimizer-study", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def test_writes_csv_and_png_and_prints_the_table(tmp_path):
    out = tmp_path / "study"
    result = _ktk(
        "--optimizers",
        "sgd,momentum,adagrad",
        "--steps",
        "30",
        "--train-steps",
        "10",
        "--output-dir",
        str(out),
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    with open(out / "optimizer_study.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["problem", "optimizer", "step", "loss"]
    assert len(rows) == 3 * 3 * 31 + 3 * 10
    assert {row["problem"] for row in rows} == {
        "ravine",
        "saddle",
        "local_minimum",
        "digits",
    }
    assert (out / "optimizer_study.png").stat().st_size > 10_000
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "final",
        "loss",
        "ravine",
        "saddle",
        "local_minimum",
        "digits",
        "digits",
        "lr",
    ]
    assert lines[1].split()[0] == "sgd" and lines[4].split()[0] == "winner"
    assert "AdaGrad's steps on the ravine shrink" in result.stdout
    assert str(out / "optimizer_study.png") in result.stdout
    assert sorted(os.listdir(out)) == [
        "optimizer_study.csv",
        "optimizer_study.json",
        "optimizer_study.png",
    ]
    with open(out / "optimizer_study.json") as f:
        saved = json.load(f)
    assert saved["dataset"] == "digits"
    assert len(saved["paths"]["ravine"]["sgd"]) == 31
    assert set(saved["learning_rates"]["digits"]) == {
        "sgd",
        "momentum",
        "adagrad",
    }


def test_default_output_is_a_new_run_folder(tmp_path):
    result = _ktk(
        "--problems", "saddle", "--optimizers", "adam", cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    (folder,) = os.listdir(tmp_path / "runs")
    assert folder.startswith("optimizer-study-")
    with open(tmp_path / "runs" / folder / "optimizer_study.csv") as f:
        assert len(f.readlines()) == 1 + 101


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--optimizers", "adam,foo"],
            "argument --optimizers: must be comma-separated names from sgd, "
            "momentum, nesterov, adagrad, rmsprop, adam, adamw. Received: "
            "'adam,foo' ('foo' unknown)",
        ),
        (["--problems", "ravine,bowl"], "Received: 'ravine,bowl'"),
        (["--steps", "0"], "argument --steps: must be an int >= 1"),
        (["--lr-test-steps", "1"], "must be an int >= 2. Received: '1'"),
        (["--dataset", "mnistt"], "`--dataset`: Unknown data set 'mnistt'"),
    ],
)
def test_bad_flags_exit_2_with_one_line_and_write_nothing(
    tmp_path, args, message
):
    result = _ktk(*args, cwd=str(tmp_path))
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ktk optimizer-study: error: ")
    assert message in last
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []
