"""`ktk sanity-check`, `ktk train --activation-stats/--gradient-stats` and
DivergenceGuard.

All three end to end.
"""

import csv
import math
import os

from keras_training_kit.cli.main import main


def test_sanity_check_prints_the_report(capsys):
    code = main(["sanity-check", "--hidden-units", "32", "--max-epochs", "100"])
    out = capsys.readouterr().out
    assert code == 0, out
    for line in (
        "PASS  initial loss",
        "PASS  regularization",
        "PASS  overfit tiny subset",
    ):
        assert line in out


def test_train_with_activation_stats_writes_the_run_folder(tmp_path, capsys):
    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "mlp",
            "--hidden-units",
            "16",
            "--epochs",
            "1",
            "--verbose",
            "0",
            "--activation-stats",
            "--output-dir",
            str(run_dir),
        ]
    )
    assert code == 0
    for name in (
        "activation_statistics.csv",
        "activation_histograms.png",
        "activation_curves.png",
    ):
        assert os.path.getsize(run_dir / name) > 0, name
    assert any(
        n.startswith("events.out.tfevents")
        for n in os.listdir(run_dir / "tensorboard")
    )
    with open(run_dir / "activation_statistics.csv") as f:
        layers = {row["layer"] for row in csv.DictReader(f)}
    assert {"dense_1_linear", "dense_1_act", "output"} <= layers


def test_train_with_gradient_stats_and_accumulation(tmp_path, capsys):
    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
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
            "--batch-size",
            "32",
            "--epochs",
            "3",
            "--accumulate",
            "2",
            "--verbose",
            "0",
            "--gradient-stats",
            "--output-dir",
            str(run_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Wrote {run_dir / 'gradient_curves.png'}" in out
    assert os.path.getsize(run_dir / "gradient_curves.png") > 0
    assert not os.path.exists(run_dir / "activation_statistics.csv")
    with open(run_dir / "gradient_statistics.csv") as f:
        rows = list(csv.DictReader(f))
    metrics = {(row["layer"], row["metric"]) for row in rows}
    assert {
        ("dense_1_act", "backprop_std"),
        ("dense_1_linear", "update_ratio"),
        ("model", "noise_scale"),
    } <= metrics
    # Every sample after the first spans one whole (accumulated) update.
    ratios = [
        float(row["value"])
        for row in rows
        if row["metric"] == "update_ratio" and row["layer"] == "dense_1_linear"
    ]
    # Before training (no update yet: NaN), then at least the end of fit.
    assert len(ratios) >= 2 and math.isnan(ratios[0])
    assert all(0 < r < 1 for r in ratios[1:]), ratios


def test_train_stops_a_diverging_run_by_default(tmp_path, capsys):
    args = [
        "train",
        "--dataset",
        "digits",
        "--model",
        "mlp",
        "--hidden-units",
        "16",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--optimizer",
        "sgd",
        "--lr",
        "1e4",
    ]
    # Diverged: stopped after the first epoch, and the exit status says so.
    assert main([*args, "--output-dir", str(tmp_path / "a")]) == 1
    captured = capsys.readouterr()
    assert "Training stopped early" in captured.out
    assert "training diverged" in captured.err
    assert (
        main(
            [
                *args,
                "--no-divergence-guard",
                "--output-dir",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Training stopped early" not in out and "(3 epochs)" in out
