"""`ktk train --augment PRESET`: augmented training split, mixed labels."""

import json
import os

import keras

from keras_training_kit.cli.main import main

_FAST = [
    "--dataset",
    "digits",
    "--model",
    "mlp",
    "--hidden-units",
    "16",
    "--verbose",
    "0",
    "--epochs",
    "1",
]


def test_mixing_preset_trains_with_a_categorical_loss(tmp_path):
    run_dir = str(tmp_path / "run")
    assert (
        main(
            [
                "train",
                *_FAST,
                "--augment",
                "cifar10_mixup",
                "--output-dir",
                run_dir,
            ]
        )
        == 0
    )
    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    with open(os.path.join(run_dir, "config.json")) as f:
        assert json.load(f)["augment"] == "cifar10_mixup"
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)


def test_label_preserving_preset_keeps_integer_labels(tmp_path):
    run_dir = str(tmp_path / "run")
    assert (
        main(["train", *_FAST, "--augment", "digits", "--output-dir", run_dir])
        == 0
    )
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)


def test_unknown_preset_is_reported(tmp_path, capsys):
    code = main(
        [
            "train",
            *_FAST,
            "--augment",
            "imagenet",
            "--output-dir",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2
    assert "Received: --augment imagenet" in capsys.readouterr().err
