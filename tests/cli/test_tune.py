import csv
import json
import os

import pytest

from keras_training_kit.cli.main import main

TINY = [
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "8",
    "--epochs",
    "1",
    "--batch-size",
    "128",
    "--validation-split",
    "0.2",
]


def test_tune_writes_report_and_continues(tmp_path, capsys):
    out = str(tmp_path / "tune")
    args = [
        "tune",
        *TINY,
        "--search",
        "coarse-to-fine",
        "--top-k",
        "1",
        "--output-dir",
        out,
    ]
    assert main([*args, "--trials", "1"]) == 0
    printed = capsys.readouterr().out
    assert "best_val_accuracy" in printed and "best: {" in printed
    for name in ("results.csv", "search.png", "best_hyperparameters.json"):
        assert os.path.exists(os.path.join(out, name)), name
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["stage"], r["trial"]) for r in rows) == [
        ("1", "0"),
        ("2", "0"),
    ]
    best = json.load(open(os.path.join(out, "best_hyperparameters.json")))
    assert set(best) == {"learning_rate", "l2"}
    # Same folder, more trials: the search continues.
    assert main([*args, "--trials", "2"]) == 0
    with open(os.path.join(out, "results.csv")) as f:
        assert len(list(csv.DictReader(f))) == 4


def test_tune_refuses_other_settings_in_the_same_folder(tmp_path, capsys):
    out = str(tmp_path / "tune")
    os.makedirs(out)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"dataset": "mnist1d"}, f)
    assert main(["tune", *TINY, "--trials", "1", "--output-dir", out]) == 2
    assert "other settings" in capsys.readouterr().err


def test_tune_rejects_bad_counts(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["tune", *TINY, "--trials", "0", "--output-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "argument --trials: must be an int >= 1" in capsys.readouterr().err


def test_strategies_match_the_library():
    from keras_training_kit.cli import tune
    from keras_training_kit.tuning import STRATEGIES

    assert tune.STRATEGIES == STRATEGIES


def test_tune_where_every_trial_diverges_exits_non_zero(tmp_path):
    import subprocess
    import sys

    # An earlier search's report in the folder, discarded by --overwrite.
    os.makedirs(tmp_path / "t")
    stale = (
        "config.json",
        "results.csv",
        "search.png",
        "best_hyperparameters.json",
    )
    for name in stale:
        (tmp_path / "t" / name).write_text("{}")
    ktk = os.path.join(os.path.dirname(sys.executable), "ktk")
    result = subprocess.run(
        [
            ktk,
            "tune",
            *TINY,
            "--search",
            "random",
            "--trials",
            "2",
            "--optimizer",
            "sgd",
            "--lr-range",
            "1e2,1e3",
            "--output-dir",
            str(tmp_path / "t"),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "ktk tune: error: Every trial of the search diverged"
    )
    # No report claims a best trial, not even the earlier one.
    assert not any(os.path.exists(tmp_path / "t" / name) for name in stale[1:])


def test_grid_says_what_trials_leave_out_and_runs_the_whole_grid_by_default(
    tmp_path, capsys
):
    grid = [
        "tune",
        *TINY,
        "--search",
        "grid",
        "--lr-range",
        "1e-3,1e-2",
        "--l2-range",
        "1e-4,1e-3",
    ]
    assert (
        main([*grid, "--trials", "1", "--output-dir", str(tmp_path / "a")]) == 0
    )
    assert (
        "grid: 4 points; --trials 1 runs the first 1" in capsys.readouterr().out
    )
    assert main([*grid, "--output-dir", str(tmp_path / "b")]) == 0
    with open(tmp_path / "b" / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == 4


def test_a_fixed_value_range_is_reported_and_plotted(tmp_path):
    out = str(tmp_path / "fixed")
    assert (
        main(
            [
                "tune",
                *TINY,
                "--search",
                "grid",
                "--lr-range",
                "1e-3,1e-2",
                "--l2-range",
                "1e-4,1e-4",
                "--output-dir",
                out,
            ]
        )
        == 0
    )
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and {float(r["l2"]) for r in rows} == {1e-4}
    assert os.path.getsize(os.path.join(out, "search.png")) > 1000
    with open(os.path.join(out, "best_hyperparameters.json")) as f:
        assert json.load(f).keys() == {"learning_rate"}


def test_a_grid_folder_of_the_previous_version_resumes(tmp_path, capsys):
    out = str(tmp_path / "grid")
    grid = ["tune", *TINY, "--search", "grid", "--lr-range", "1e-2,1e-2"]
    grid += ["--output-dir", out]
    # What the previous version ran and stored without `--l2-range`.
    assert main([*grid, "--l2-range", "1e-6,1e-1", "--trials", "1"]) == 0
    with open(os.path.join(out, "config.json")) as f:
        assert json.load(f)["l2_range"] == [1e-6, 1e-1]
    with open(os.path.join(out, "results.csv")) as f:
        first = list(csv.DictReader(f))
    capsys.readouterr()
    # The same command today resumes that folder's grid over l2.
    assert main([*grid, "--trials", "2"]) == 0
    assert "grid: learning_rate=0.01 held fixed" in capsys.readouterr().out
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert rows[0] == first[0]
    assert [float(r["l2"]) for r in rows] == [1e-6, 1e-5]
