"""One model-from-flags: every subcommand builds the model the same way."""

import numpy as np
import pytest

from keras_training_kit.cli import model_flags
from keras_training_kit.cli.main import build_parser
from keras_training_kit.data import load_dataset

LAYER_FLAGS = [
    "--model",
    "mlp",
    "--hidden-units",
    "16,8",
    "--activation",
    "tanh",
    "--normalization",
    "batch",
    "--dropout",
    "0.1",
    "--l2",
    "1e-4",
    "--l1",
    "1e-5",
]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _model(command, digits, *extra):
    import keras

    args = build_parser().parse_args([command, *LAYER_FLAGS, *extra])
    keras.utils.set_random_seed(0)
    return model_flags.build_model(args, digits)


def test_train_lr_find_and_sanity_check_build_the_same_model(digits):
    models = [_model(c, digits) for c in ("train", "lr-find", "sanity-check")]
    configs = [m.get_config() for m in models]
    assert configs[0] == configs[1] == configs[2]
    for model in models[1:]:
        for ours, theirs in zip(models[0].get_weights(), model.get_weights()):
            np.testing.assert_array_equal(ours, theirs)
    # The flags reached the layers.
    dense = models[0].get_layer("dense_1_linear")
    assert dense.units == 16
    assert dense.kernel_regularizer.get_config() == {"l1": 1e-5, "l2": 1e-4}
    assert (
        type(models[0].get_layer("dense_1_norm")).__name__
        == "BatchNormalization"
    )


def test_learning_rate_and_optimizer_come_from_the_flags(digits):
    model = _model("train", digits, "--optimizer", "nesterov", "--lr", "0.05")
    assert model.optimizer.nesterov
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_a_cnn_gets_its_filters_and_spatial_dropout(digits):
    model = _model(
        "train",
        digits,
        "--model",
        "cnn",
        "--filters",
        "4,8",
        "--spatial-dropout",
        "0.2",
    )
    convs = [layer for layer in model.layers if "conv" in layer.name]
    assert [c.filters for c in convs if hasattr(c, "filters")][:2] == [4, 8]
    assert any("spatial_dropout" in layer.name for layer in model.layers)


def test_tune_shares_the_architecture_flags():
    args = build_parser().parse_args(
        ["tune", "--model", "mlp", "--hidden-units", "16,8"]
    )
    assert model_flags.architecture(args) == ("mlp", {"hidden_units": (16, 8)})
    args = build_parser().parse_args(["tune", "--filters", "4"])
    assert model_flags.architecture(args) == (
        "cnn",
        {"filters": (4,), "kernel_size": 3, "convs_per_stage": 1},
    )


def test_batch_norm_momentum_flag(tmp_path, capsys):
    from keras_training_kit.cli.main import main

    parser = build_parser()
    args = parser.parse_args(["train"])
    # ktk train's defaults: batch normalization at 0.9 unless given.
    assert args.normalization == "batch" and args.batch_norm_momentum is None
    assert model_flags._layer_options(args, "cnn")["batch_norm_momentum"] == 0.9
    args = parser.parse_args(["train", "--batch-norm-momentum", "0.99"])
    assert (
        model_flags._layer_options(args, "cnn")["batch_norm_momentum"] == 0.99
    )
    args = parser.parse_args(["train", "--normalization", "none"])
    assert "batch_norm_momentum" not in model_flags._layer_options(args, "cnn")
    # Given without batch normalization: refused before any work.
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--normalization",
            "layer",
            "--batch-norm-momentum",
            "0.9",
            "--output-dir",
            str(out),
        ]
    )
    error = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert (
        "`--batch-norm-momentum` applies only with `--normalization batch`"
        in error
    )
    assert (
        "Received: --batch-norm-momentum 0.9 with --normalization layer"
        in error
    )


def test_kernel_size_and_convs_per_stage_reach_the_cnn():
    args = build_parser().parse_args(
        ["train", "--kernel-size", "5", "--convs-per-stage", "2"]
    )
    name, kwargs = model_flags.architecture(args)
    assert name == "cnn"
    assert (kwargs["kernel_size"], kwargs["convs_per_stage"]) == (5, 2)
    data = load_dataset("mnist1d", seed=0)
    model = model_flags.build_model(args, data)
    convs = [layer for layer in model.layers if "conv" in layer.name]
    kernels = {
        layer.kernel_size for layer in convs if hasattr(layer, "kernel_size")
    }
    assert kernels == {(5,)}
    assert len([layer for layer in convs if hasattr(layer, "kernel_size")]) == 4
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--kernel-size", "0"])
