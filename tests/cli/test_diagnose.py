"""`ktk diagnose` and `ktk train --diagnose`, run as a user runs them."""

import json
import os
import subprocess
import sys

import pytest

KTK = os.path.join(os.path.dirname(sys.executable), "ktk")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
_SIGMOID_8 = [
    "--model",
    "mlp",
    "--activation",
    "sigmoid",
    "--hidden-units",
    "128,128,128,128,128,128,128,128",
    "--normalization",
    "none",
]


def _ktk(*args, cwd=None, **environment):
    env = dict(os.environ, PYTHONPATH=ROOT, **environment)
    return subprocess.run(
        [KTK, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def test_train_defaults_on_digits_have_no_finding(tmp_path):
    out = tmp_path / "run"
    # A machine's first plot: matplotlib builds its font cache and logs
    # that at INFO, which is not the user's business.
    result = _ktk(
        "diagnose",
        "--output-dir",
        str(out),
        "--strict",
        MPLCONFIGDIR=str(tmp_path / "new-matplotlib-config"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "no finding" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["findings"] == []
    assert set(report) >= {
        "findings",
        "layers",
        "initial_loss",
        "expected_loss",
        "noise_scale",
    }
    assert report["layers"][0]["layer"] == "conv_1_linear"
    assert (out / "diagnosis.png").stat().st_size > 10_000
    assert json.loads((out / "config.json").read_text())["examples"] == 512


def test_a_broken_model_is_found_and_the_advice_fixes_it(tmp_path):
    result = _ktk(
        "diagnose", *_SIGMOID_8, "--output-dir", str(tmp_path / "a"), "--strict"
    )
    assert result.returncode == 1, result.stderr
    assert "- vanishing_gradients:" in result.stdout
    advice = "--activation relu --initializer he_normal"
    assert advice in result.stdout
    fixed = _ktk(
        "diagnose",
        *_SIGMOID_8,
        *advice.split(),
        "--output-dir",
        str(tmp_path / "b"),
        "--strict",
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert [f["kind"] for f in report["findings"]] == ["vanishing_gradients"]


def test_train_gradient_stats_warns_on_the_terminal(tmp_path):
    # The callbacks' warnings go through `logging`; `ktk` hides native logs
    # on descriptor 2, and the warnings must still reach the user.
    result = _ktk(
        "train",
        *_SIGMOID_8,
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--batch-size",
        "32",
        "--gradient-stats",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if "GradientStatistics: model: vanishing_gradients: " in line
    ]
    assert len(lines) == 1, result.stderr
    # The library's advice, in flags on the command line.
    assert "`--activation relu --initializer he_normal`" in lines[0]
    assert "(or `--normalization batch`)" in lines[0]
    # The probe's 256 examples (GradientStatistics' `probe_size`).
    assert "measured before training on 256 examples" in lines[0]
    assert "cuInit" not in result.stderr  # native logs stay hidden
    # Warnings only: the sampling interval is a DEBUG detail.
    assert "INFO" not in result.stderr and "sampling every" not in result.stderr


def test_a_saved_model_is_diagnosed(tmp_path):
    run = tmp_path / "run"
    trained = _ktk(
        "train",
        "--model",
        "mlp",
        "--hidden-units",
        "32",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--accumulate",
        "2",
        "--verbose",
        "0",
        "--output-dir",
        str(run),
    )
    assert trained.returncode == 0, trained.stderr
    result = _ktk(
        "diagnose",
        "--model-file",
        str(run / "model.keras"),
        "--examples",
        "64",
        "--output-dir",
        str(tmp_path / "d"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    assert report["examples"] == 64
    assert report["layers"][-1]["layer"] == "output"
    # Trained: the loss is reported, not judged; the advice is about the
    # run's own batch, from its config.json.
    assert report["trained"] is True and report["initial_loss"] is None
    assert report["step"] > 0 and report["loss"] > 0
    assert (report["batch_size"], report["gradient_accumulation_steps"]) == (
        16,
        2,
    )
    assert "(trained " in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model-file", "nope.keras"], "no such file 'nope.keras'"),
        (["--model-file", "model.h5"], "must be a .keras file"),
        (["--examples", "0"], "argument --examples"),
        (["--dataset", "nope"], "--dataset"),
    ],
)
def test_bad_flags_fail_before_any_work(tmp_path, args, message):
    result = _ktk("diagnose", *args, "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_train_diagnose_prints_first_and_strict_stops(tmp_path):
    out = tmp_path / "run"
    common = ["--epochs", "1", "--verbose", "0", "--output-dir", str(out)]
    result = _ktk("train", *_SIGMOID_8, *common, "--diagnose", "--strict")
    assert result.returncode == 1
    assert "- vanishing_gradients:" in result.stdout
    assert "--strict" in result.stderr
    assert not out.exists()
    result = _ktk("train", *_SIGMOID_8, *common, "--diagnose")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "diagnose: 1 finding(s)"
    assert "test accuracy" in lines[-1]
    refused = _ktk("train", "--strict", "--output-dir", str(tmp_path / "x"))
    assert refused.returncode == 2
    assert "add `--diagnose`" in refused.stderr
