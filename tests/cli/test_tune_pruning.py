"""`ktk tune --prune`: its flags' checks, the folder's config, the summary."""

import argparse
import csv
import inspect
import json
import os
import re
import subprocess
import sys

import pytest

from keras_training_kit.cli import pruning_flags
from keras_training_kit.cli import tune

_KTK = os.path.join(os.path.dirname(sys.executable), "ktk")
# A small search that prunes: ASHA with rungs after epochs 2 and 3.
_PRUNED = [
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
    "random",
    "--trials",
    "6",
    "--epochs",
    "3",
    "--lr-range",
    "1e-4,1",
    "--prune",
    "asha",
    "--reduction-factor",
    "2",
    "--min-epochs",
    "1",
]


def _ktk(*args):
    return subprocess.run(
        [_KTK, "tune", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "flags, message",
    [
        (
            ["--prune", "pbt"],
            "ktk tune: error: argument --prune: invalid choice: 'pbt' "
            "(choose from 'none', 'median', 'asha')",
        ),
        (
            ["--prune", "asha", "--reduction-factor", "1"],
            "ktk tune: error: argument --reduction-factor: must be an int "
            ">= 2. Received: '1'",
        ),
        (
            ["--prune", "asha", "--reduction-factor", "2.5"],
            "ktk tune: error: argument --reduction-factor: must be an int "
            ">= 2. Received: '2.5'",
        ),
        (
            ["--prune", "asha", "--min-epochs", "0"],
            "ktk tune: error: argument --min-epochs: must be an int >= 1 or "
            "auto. Received: '0'",
        ),
        (
            ["--prune", "median", "--search", "hyperband"],
            "ktk tune: error: `--prune` does not apply to `--search "
            "hyperband` (Hyperband stops trials early itself); prune a "
            "random, grid, bayesian or coarse-to-fine search. Received: "
            "--prune median with --search hyperband",
        ),
        (
            ["--prune", "median", "--reduction-factor", "3"],
            "ktk tune: error: `--reduction-factor` applies only with "
            "`--prune asha`. Received: --reduction-factor 3 with --prune "
            "median",
        ),
        (
            ["--prune", "asha", "--prune-warmup", "2"],
            "ktk tune: error: `--prune-warmup` applies only with `--prune "
            "median`. Received: --prune-warmup 2 with --prune asha",
        ),
        (
            ["--min-epochs", "auto"],
            "ktk tune: error: `--min-epochs` applies only with `--prune "
            "asha`. Received: --min-epochs auto with --prune none",
        ),
    ],
)
def test_bad_pruning_flags_are_refused_before_any_work(
    tmp_path, flags, message
):
    out = tmp_path / "t"
    result = _ktk(*flags, "--output-dir", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == message
    assert not out.exists() and not result.stdout


def _parsed(*flags):
    parser = argparse.ArgumentParser()
    tune.add_arguments(parser)
    args = parser.parse_args(flags)
    pruning_flags.check_args(args)
    return args


def test_flags_make_the_pruner_with_the_library_defaults():
    from keras_training_kit.tuning import PRUNERS
    from keras_training_kit.tuning import MedianPruner
    from keras_training_kit.tuning import SuccessiveHalvingPruner

    assert pruning_flags.PRUNERS == PRUNERS
    classes = {"median": MedianPruner, "asha": SuccessiveHalvingPruner}
    for pruner, argument, default in pruning_flags.PARAMETERS.values():
        signature = inspect.signature(classes[pruner])
        assert signature.parameters[argument].default == default
    assert pruning_flags.pruner(_parsed()) is None
    median = pruning_flags.pruner(_parsed("--prune=median", "--prune-warmup=1"))
    assert median.get_config() == {
        **MedianPruner().get_config(),
        "n_warmup_steps": 1,
    }
    asha = pruning_flags.pruner(_parsed("--prune=asha", "--min-epochs=2"))
    assert (asha.min_resource, asha.reduction_factor) == (2, 4)


def test_a_folder_of_an_earlier_build_resumes_without_pruning(tmp_path):
    args = _parsed("--search=random", "--output-dir", str(tmp_path))
    tune._plan_trials(args)
    config = {key: getattr(args, key) for key in tune._EXPERIMENT_KEYS}
    earlier = {
        k: v for k, v in config.items() if k not in pruning_flags.CONFIG_KEYS
    }
    (tmp_path / "config.json").write_text(json.dumps(earlier))
    tune._check_run_folder(args, config)  # no error: the same search
    args.prune = "median"
    pruning_flags.check_args(args)
    config = {key: getattr(args, key) for key in tune._EXPERIMENT_KEYS}
    with pytest.raises(ValueError, match=r"'prune': \('none', 'median'\)"):
        tune._check_run_folder(args, config)


def test_summary_counts_the_epochs_pruning_saved():
    rows = [
        dict(stage=1, epochs_run=3, status="completed"),
        dict(stage=1, epochs_run=1, status="pruned"),
        dict(stage=1, epochs_run=1, status="diverged"),
        dict(stage=2, epochs_run=6, status="completed"),
        dict(stage=2, epochs_run=2, status="pruned"),
    ]
    # 13 trained; pruning saved 2 + 4 (the diverged trial's 2 not counted).
    assert pruning_flags.summary(rows) == (
        "pruning: 2 of 5 trials pruned in 2 stages, 13 of 19 epochs trained "
        "(6 saved)"
    )


def test_a_pruned_search_reports_and_keeps_its_pruner(tmp_path):
    out = str(tmp_path / "t")
    result = _ktk(*_PRUNED, "--output-dir", out)
    assert result.returncode == 0, result.stderr
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    pruned = [r for r in rows if r["status"] == "pruned"]
    assert pruned and len(rows) == 6
    # Pruned at a rung: after epoch 2 or 3 of 3.
    assert {r["epochs_run"] for r in pruned} <= {"2", "3"}
    trained = sum(int(r["epochs_run"]) for r in rows)
    saved = sum(3 - int(r["epochs_run"]) for r in pruned)
    assert (
        f"pruning: {len(pruned)} of 6 trials pruned, {trained} of "
        f"{trained + saved} epochs trained ({saved} saved)"
    ) in result.stdout.splitlines()
    assert re.search(r"pruned after epoch [23] \(val_accuracy", result.stdout)
    with open(os.path.join(out, "best_hyperparameters.json")) as f:
        best = json.load(f)["learning_rate"]
    assert best not in {float(r["learning_rate"]) for r in pruned}
    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f)
    assert {k: config[k] for k in pruning_flags.CONFIG_KEYS} == {
        "prune": "asha",
        "prune_startup": None,
        "prune_warmup": None,
        "reduction_factor": 2,
        "min_epochs": 1,
    }
    # The same folder with other pruning flags: refused, nothing changed.
    written = os.path.getmtime(os.path.join(out, "results.csv"))
    again = _ktk(*_PRUNED, "--reduction-factor", "3", "--output-dir", out)
    assert again.returncode == 2
    (line,) = again.stderr.strip().splitlines()
    assert line.startswith("ktk tune: error: The folder ")
    assert "{'reduction_factor': (2, 3)}" in line
    assert os.path.getmtime(os.path.join(out, "results.csv")) == written
