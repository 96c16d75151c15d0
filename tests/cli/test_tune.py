import csv
import json
import os

import pytest

from keras_training_kit.cli.main import main

TINY = ["--dataset", "digits", "--model", "mlp", "--hidden-units", "8",
        "--epochs", "1", "--batch-size", "128", "--validation-split", "0.2"]


def test_tune_writes_report_and_continues(tmp_path, capsys):
    out = str(tmp_path / "tune")
    args = ["tune", *TINY, "--search", "coarse-to-fine", "--top-k", "1",
            "--output-dir", out]
    assert main([*args, "--trials", "1"]) == 0
    printed = capsys.readouterr().out
    assert "best_val_accuracy" in printed and "best: {" in printed
    for name in ("results.csv", "search.png", "best_hyperparameters.json"):
        assert os.path.exists(os.path.join(out, name)), name
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["stage"], r["trial"]) for r in rows) == [("1", "0"), ("2", "0")]
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
