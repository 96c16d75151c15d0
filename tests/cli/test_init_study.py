import csv
import json
import os

import pytest

from keras_training_kit.cli.main import main


def test_writes_json_csv_and_png(tmp_path, capsys):
    code = main(
        [
            "init-study",
            "--configurations",
            "tanh-xavier,relu-lsuv",
            "--num-examples",
            "40",
            "--input-dim",
            "20",
            "--depth",
            "3",
            "--width",
            "20",
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    with open(tmp_path / "init_study.json") as f:
        study = json.load(f)
    assert [row["name"] for row in study["rows"]] == [
        "tanh-xavier",
        "relu-lsuv",
    ]
    with open(tmp_path / "init_study.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    assert float(rows[1]["std"]) == study["rows"][0]["layers"][1]["std"]
    assert (
        float(rows[1]["backprop_std"])
        == study["rows"][0]["layers"][1]["backprop_std"]
    )
    # The unit-normal gradient fed in at the last layer.
    assert float(rows[2]["backprop_std"]) == pytest.approx(1.0, abs=0.1)
    assert (tmp_path / "init_study.png").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "layer 3" in out and "relu-lsuv" in out and "init_study.png" in out
    assert " grad " in out


def test_unknown_configuration_is_an_error(tmp_path, capsys):
    from keras_training_kit.babysitting.init_study import CONFIGURATIONS
    from keras_training_kit.cli import init_study

    assert init_study.CONFIGURATIONS == tuple(CONFIGURATIONS)
    with pytest.raises(SystemExit) as stop:
        main(
            [
                "init-study",
                "--configurations",
                "relu-he,relu-bad",
                "--output-dir",
                str(tmp_path / "study"),
            ]
        )
    assert stop.value.code == 2
    assert "argument --configurations" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "study")
