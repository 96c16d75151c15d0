import csv
import os

from keras_training_kit.cli.main import main


def test_lr_find_writes_csv_and_plot(tmp_path, capsys):
    out = str(tmp_path / "lr")
    code = main(
        [
            "lr-find",
            "--dataset",
            "digits",
            "--model",
            "mlp",
            "--hidden-units",
            "16",
            "--steps",
            "20",
            "--min-lr",
            "1e-4",
            "--max-lr",
            "1",
            "--output-dir",
            out,
        ]
    )
    assert code == 0
    assert "suggested learning rate" in capsys.readouterr().out
    with open(os.path.join(out, "lr_find.csv")) as f:
        rows = list(csv.DictReader(f))
    assert 2 <= len(rows) <= 20
    assert float(rows[0]["learning_rate"]) == 1e-4
    assert os.path.getsize(os.path.join(out, "lr_find.png")) > 1000


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
