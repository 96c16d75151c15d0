"""What `ktk tune` searches when `--lr-range`/`--l2-range` is not given."""

import argparse
import json

import pytest

from keras_training_kit.cli import train
from keras_training_kit.cli import tune


def _planned(tmp_path, *flags):
    parser = argparse.ArgumentParser()
    tune.add_arguments(parser)
    args = parser.parse_args([*flags, "--output-dir", str(tmp_path / "t")])
    tune._plan_trials(args)
    return args


def test_a_grid_searches_only_what_was_asked(tmp_path, capsys):
    # One learning rate, 2 x 2 choices: 4 trials, not 24 (l2 is held).
    args = _planned(
        tmp_path,
        "--search=grid",
        "--lr-range=1e-3,1e-3",
        "--optimizer=adam,nesterov",
        "--schedule=constant,one-cycle",
    )
    assert args.trials == 4
    # Held at `ktk train`'s `--l2` default.
    assert args.l2_range == [0.0, 0.0]
    assert "grid: learning_rate=0.001 and l2=0 held fixed" in (
        capsys.readouterr().out
    )
    hypermodel = tune._hypermodel(
        args, argparse.Namespace(input_shape=(8, 8, 1), num_classes=10)
    )
    assert hypermodel.l2 == (0.0, 0.0) and hypermodel.log_ranges() == {}
    args = _planned(tmp_path, "--search=grid", "--optimizer=adam,sgd")
    lr = train.DEFAULTS["lr"]
    assert (args.lr_range, args.trials) == ([lr, lr], 2)


@pytest.mark.parametrize("strategy", ["random", "bayesian", "coarse-to-fine"])
def test_other_searches_span_the_default_ranges(tmp_path, strategy):
    args = _planned(tmp_path, f"--search={strategy}")
    assert args.lr_range == [1e-5, 1e-1] and args.l2_range == [1e-6, 1e-1]


def test_a_grid_folder_of_the_previous_version_resumes_its_l2_grid(tmp_path):
    # The previous version stored the default range and searched it.
    old = {"search": "grid", "lr_range": [1e-3, 1e-2], "l2_range": [1e-6, 0.1]}
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "config.json").write_text(json.dumps(old))
    args = _planned(tmp_path, "--search=grid", "--lr-range=1e-3,1e-2")
    assert args.l2_range == [1e-6, 1e-1] and args.trials == 2 * 6
    # Its config compares equal: the folder resumes, with the same meaning.
    config = {k: getattr(args, k) for k in ("search", "lr_range", "l2_range")}
    assert config == old
    # `--overwrite` starts a new grid, which holds L2.
    args = _planned(
        tmp_path, "--search=grid", "--lr-range=1e-3,1e-2", "--overwrite"
    )
    assert args.l2_range == [0.0, 0.0] and args.trials == 2


def test_help_says_what_a_grid_holds():
    parser = argparse.ArgumentParser()
    tune.add_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert (
        "--l2-range L2_RANGE L2 MIN,MAX (log scale; MIN = MAX holds it). "
        "Default: 1e-6,0.1, except a grid, which holds it at `ktk train`'s "
        "--l2 default, 0" in text
    )
