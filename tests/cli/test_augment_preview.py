"""`ktk augment-preview` writes the preview grid."""

import os

import matplotlib.image

from keras_training_kit.cli.main import main


def test_writes_the_preview_png(tmp_path, capsys):
    path = str(tmp_path / "preview.png")
    code = main(
        [
            "augment-preview",
            "--dataset",
            "digits",
            "--preset",
            "digits",
            "--examples",
            "3",
            "--versions",
            "2",
            "--output",
            path,
        ]
    )
    assert code == 0
    assert matplotlib.image.imread(path).shape[0] > 50
    assert "Saved" in capsys.readouterr().out


def test_unknown_preset_is_refused(tmp_path, capsys):
    try:
        main(
            [
                "augment-preview",
                "--preset",
                "imagenet",
                "--output",
                str(tmp_path / "p.png"),
            ]
        )
    except SystemExit as exit:
        assert exit.code == 2
    assert "imagenet" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "p.png")
