import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from keras_training_kit.cli import lr_find
from keras_training_kit.cli.main import main
from keras_training_kit.tuning import SUGGESTIONS
from keras_training_kit.tuning import suggest_learning_rates

# A small model on the bundled data set: a sweep takes seconds.
DIGITS_MLP = ("--dataset", "digits", "--model", "mlp", "--hidden-units", "16")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _ktk(*argv):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "keras_training_kit", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _read_csv(folder):
    with open(os.path.join(folder, "lr_find.csv")) as f:
        return list(csv.DictReader(f))


def test_lr_find_prints_writes_and_marks_every_suggestion(tmp_path):
    out = str(tmp_path / "lr")
    done = _ktk(
        "lr-find",
        *DIGITS_MLP,
        "--steps",
        "30",
        "--output-dir",
        out,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = re.fullmatch(
        r"(\d+) steps \((full sweep|stopped at 4x the best loss)\); "
        r"suggested learning rates:",
        lines[0],
    )
    assert header, lines[0]
    # One line per rule, the default (valley) first and marked.
    printed = [line.split() for line in lines[1:5]]
    assert [words[0] for words in printed] == list(SUGGESTIONS)
    assert printed[0][2:] == ["(default)"]
    assert all(len(words) == 2 for words in printed[1:])
    assert lines[5] == (
        f"Wrote {out}/lr_find.csv, {out}/lr_find.json and {out}/lr_find.png."
    )
    with open(os.path.join(out, "lr_find.json")) as f:
        saved = json.load(f)
    assert saved["default"] == "valley"
    assert list(saved["suggestions"]) == list(SUGGESTIONS)
    rows = _read_csv(out)
    rates = np.array([float(row["learning_rate"]) for row in rows])
    smoothed = np.array([float(row["smoothed_loss"]) for row in rows])
    assert rates[0] == pytest.approx(1e-7) and len(rows) <= 30
    assert int(header.group(1)) == len(rows)
    # The json holds what the rules give on the csv's curve, each inside
    # the swept range, and the printed values are those, rounded.
    expected = suggest_learning_rates(rates, smoothed, num_steps=30)
    for (name, rate), words in zip(saved["suggestions"].items(), printed):
        assert rate == pytest.approx(expected[name], rel=1e-9), name
        assert rates.min() <= rate <= rates.max()
        assert float(words[1]) == pytest.approx(rate, rel=5e-3)


def test_lr_find_suggestion_chooses_the_default(tmp_path, capsys, monkeypatch):
    from keras_training_kit import plotting

    plotted = []
    original = plotting.plot_lr_finder

    def recording_plot(*args, **kwargs):
        plotted.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(plotting, "plot_lr_finder", recording_plot)
    out = str(tmp_path / "lr")
    code = main(
        [
            "lr-find",
            *DIGITS_MLP,
            "--steps",
            "12",
            "--min-lr",
            "1e-4",
            "--max-lr",
            "1",
            "--suggestion",
            "minimum",
            "--output-dir",
            out,
        ]
    )
    assert code == 0
    printed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [words[0] for words in printed[1:5]] == [
        "minimum",
        "valley",
        "steep",
        "slide",
    ]
    assert printed[1][2:] == ["(default)"]
    with open(os.path.join(out, "lr_find.json")) as f:
        saved = json.load(f)
    assert saved["default"] == "minimum"
    # The figure marks the same suggestions, the default labelled.
    (kwargs,) = plotted
    assert kwargs["suggestions"] == saved["suggestions"]
    assert kwargs["default_suggestion"] == "minimum"
    assert float(printed[1][1]) == pytest.approx(
        saved["suggestions"]["minimum"], rel=5e-3
    )
    rows = _read_csv(out)
    assert float(rows[0]["learning_rate"]) == pytest.approx(1e-4)
    for rate in saved["suggestions"].values():
        assert 1e-4 * (1 - 1e-9) <= rate <= float(rows[-1]["learning_rate"])


def test_lr_find_rejects_an_unknown_suggestion(tmp_path):
    out = tmp_path / "lr"
    done = _ktk("lr-find", "--suggestion", "lowest", "--output-dir", str(out))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "ktk lr-find: error: argument --suggestion: invalid choice: "
        "'lowest' (choose from 'valley', 'steep', 'minimum', 'slide')"
    )
    assert not out.exists()  # refused before any work


def test_the_cli_rules_are_the_library_rules():
    assert lr_find.SUGGESTIONS == tuple(SUGGESTIONS)


def test_lr_find_rejects_a_bad_range(tmp_path, capsys):
    assert (
        main(
            [
                "lr-find",
                "--min-lr",
                "1",
                "--max-lr",
                "0.1",
                "--output-dir",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "`--min-lr` must be below `--max-lr`" in capsys.readouterr().err
