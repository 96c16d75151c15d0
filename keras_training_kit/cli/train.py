"""`ktk train`: load a data set, build a model, train, evaluate, write a run folder.

A run folder holds `config.json`, `model.keras`, `history.csv`,
`curves.png` and `metrics.json`, written in that order; `metrics.json` is
written last and marks the run finished. While training, `backup/` holds one
checkpoint per finished epoch (see `keras_training_kit.cli.resume`): started
again with the same command after an interruption, at any instant, the run
resumes after the last finished epoch and ends as an uninterrupted run would.
Started again on a finished run, it prints the saved result.
"""

import datetime
import json
import os
import time

from keras_training_kit import run_files

from keras_training_kit.cli.run_folder import check_and_save_config

HELP = "Train an MLP or CNN on a data set and write a run folder."

# Flags that define the experiment: resuming a run folder with other values
# for these would silently mix two experiments, so it is refused.
_EXPERIMENT_KEYS = (
    "dataset",
    "model",
    "hidden_units",
    "filters",
    "activation",
    "initializer",
    "normalization",
    "normalization_position",
    "dropout",
    "spatial_dropout",
    "l2",
    "l1",
    "optimizer",
    "lr",
    "batch_size",
    "validation_split",
    "seed",
    "augment",
)


def _int_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def add_arguments(parser):
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="digits", help="digits, mnist1d or a tensorflow-datasets name")
    data.add_argument("--data-dir", default=None, help="tensorflow-datasets data directory")
    data.add_argument("--validation-split", type=float, default=0.1)
    data.add_argument(
        "--augment",
        default="none",
        metavar="PRESET",
        help="augment the training split with a preset: none, digits, mnist, cifar10, cifar10_mixup",
    )
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    model.add_argument("--hidden-units", type=_int_list, default=[256, 128], help="MLP widths, comma-separated")
    model.add_argument("--filters", type=_int_list, default=[32, 64], help="CNN filters per stage, comma-separated")
    model.add_argument("--activation", default="relu", help="any Keras activation name, or maxout")
    model.add_argument("--initializer", default="auto", help="auto or a Keras initializer name")
    model.add_argument("--normalization", choices=("none", "batch", "layer"), default="none")
    model.add_argument(
        "--normalization-position",
        choices=("before_activation", "after_activation"),
        default="before_activation",
    )
    model.add_argument("--dropout", type=float, default=0.0)
    model.add_argument("--spatial-dropout", type=float, default=0.0)
    model.add_argument("--l2", type=float, default=0.0)
    model.add_argument("--l1", type=float, default=0.0)
    fit = parser.add_argument_group("training")
    fit.add_argument(
        "--optimizer",
        choices=("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"),
        default="adam",
    )
    fit.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    fit.add_argument("--epochs", type=int, default=30)
    fit.add_argument("--batch-size", type=int, default=32)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--jit-compile", action="store_true", help="compile train steps with XLA")
    fit.add_argument("--mixed-precision", action="store_true", help="use the mixed_float16 policy")
    out = parser.add_argument_group("output")
    out.add_argument("--output-dir", default=None, help="run folder (default: a new folder under runs/)")
    out.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="Keras fit verbosity")
    babysit = parser.add_argument_group("babysitting")
    babysit.add_argument(
        "--activation-stats",
        action="store_true",
        help="record per-layer activation statistics (CSV, TensorBoard, figures) in the run folder",
    )
    babysit.add_argument(
        "--no-divergence-guard",
        action="store_true",
        help="keep training when the loss is NaN/Inf or exceeds 3x its first value",
    )


def _check_args(args):
    for name in ("epochs", "batch_size"):
        value = getattr(args, name)
        if value < 1:
            raise ValueError(f"`--{name.replace('_', '-')}` must be >= 1. Received: {value}")


def _experiment_config(args):
    return {key: getattr(args, key) for key in _EXPERIMENT_KEYS}


def _prepare_run_dir(args):
    """Creates or reopens the run folder; returns `(run_dir, existed)`."""
    run_dir = args.output_dir or os.path.join(
        "runs",
        f"{args.dataset}-{args.model}-{datetime.datetime.now():%Y%m%d-%H%M%S}",
    )
    existed = check_and_save_config(
        run_dir,
        _experiment_config(args),
        hint="Use a new `--output-dir`, or the same settings to resume.",
    )
    return run_dir, existed


def _history(path):
    """The complete rows of `history.csv` as `{column: [floats]}`."""
    history = {}
    for row in run_files.read_csv_rows(path):
        for key, value in row.items():
            history.setdefault(key, []).append(float(value))
    return history


def _datasets(data, args):
    from keras_training_kit.data import batched_splits

    return batched_splits(
        data,
        args.batch_size,
        seed=args.seed,
        augmentation=_augmentation(data, args),
    )


def _augmentation(data, args):
    """The `--augment` pipeline, or `None` for `none`."""
    if args.augment == "none":
        return None
    from keras_training_kit.augmentation import AugmentationPipeline

    return AugmentationPipeline.from_preset(args.augment, num_classes=data.num_classes)


def _build_model(data, args):
    from keras_training_kit import models

    options = dict(
        activation=args.activation,
        kernel_initializer=args.initializer,
        normalization=None if args.normalization == "none" else args.normalization,
        normalization_position=args.normalization_position,
        dropout=args.dropout,
        l2=args.l2,
        l1=args.l1,
    )
    if args.model == "mlp":
        model = models.build_mlp(
            data.input_shape, data.num_classes, args.hidden_units, **options
        )
    else:
        model = models.build_cnn(
            data.input_shape,
            data.num_classes,
            args.filters,
            spatial_dropout=args.spatial_dropout,
            **options,
        )
    augmentation = _augmentation(data, args)
    return models.compile_classifier(
        model,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        jit_compile=True if args.jit_compile else "auto",
        one_hot_labels=bool(augmentation and augmentation.mixes_labels),
    )


def _callbacks(args, run_dir, data, resumed):
    import keras

    from keras_training_kit.cli import resume

    # CSVLogger writes an epoch's row before its checkpoint is committed: a
    # kill in between leaves a row that `run` drops on resume.
    return [
        keras.callbacks.CSVLogger(os.path.join(run_dir, "history.csv"), append=True),
        resume.EpochCheckpoint(os.path.join(run_dir, "backup")),
    ] + _babysitting_callbacks(args, run_dir, data, resumed)


def _babysitting_callbacks(args, run_dir, data, resumed):
    from keras_training_kit import callbacks

    chosen = []
    if not args.no_divergence_guard:
        chosen.append(callbacks.DivergenceGuard())
    if args.activation_stats:
        probe = data.validation if data.cardinality.get("validation") else data.train
        chosen.append(
            callbacks.ActivationStatistics(
                probe_data=probe,
                log_dir=os.path.join(run_dir, "tensorboard"),
                csv_path=os.path.join(run_dir, "activation_statistics.csv"),
                append=resumed,
            )
        )
    return chosen


def _report_babysitting(chosen, run_dir):
    from keras_training_kit import callbacks

    for callback in chosen:
        if isinstance(callback, callbacks.DivergenceGuard) and callback.diverged:
            print(f"Training stopped early: {callback.reason}.")
        if isinstance(callback, callbacks.ActivationStatistics):
            for path in callback.save_figures(run_dir):
                print(f"Wrote {path}")


def _report_finished(run_dir):
    """Prints the result of a finished run folder; removes leftovers."""
    import shutil

    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    # A kill right after `metrics.json` may have left the checkpoints.
    shutil.rmtree(os.path.join(run_dir, "backup"), ignore_errors=True)
    print(
        f"The run folder {run_dir} holds a finished run: test accuracy "
        f"{metrics['test_accuracy']:.4f}, test loss {metrics['test_loss']:.4f} "
        f"({metrics['epochs']} epochs). Use a new `--output-dir` to train again."
    )
    return 0


def run(args):
    from keras_training_kit.cli import resume

    _check_args(args)
    run_dir, existed = _prepare_run_dir(args)
    if existed and os.path.exists(os.path.join(run_dir, "metrics.json")):
        return _report_finished(run_dir)
    resumed_epoch, checkpoint = resume.latest_checkpoint(os.path.join(run_dir, "backup"))
    history_path = os.path.join(run_dir, "history.csv")
    # Rows of epochs after the checkpoint will be written again; a kill may
    # also have torn the last line.
    run_files.truncate_csv_log(
        history_path, lambda row: int(row["epoch"]) < resumed_epoch
    )
    if resumed_epoch:
        print(f"Resuming {run_dir} after epoch {resumed_epoch}.")

    import keras

    previous_policy = keras.config.dtype_policy()
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        return _train(args, run_dir, resumed_epoch, checkpoint)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _train(args, run_dir, resumed_epoch, checkpoint):
    import shutil

    import keras

    from keras_training_kit.cli import resume
    from keras_training_kit.data import load_dataset
    from keras_training_kit.plotting import plot_training_curves

    keras.utils.set_random_seed(args.seed)
    data = load_dataset(
        args.dataset,
        validation_split=args.validation_split,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    train, validation, test = _datasets(data, args)
    model = _build_model(data, args)
    train, steps_per_epoch = resume.epoch_stream(train, resumed_epoch)
    if checkpoint:
        resume.restore(model, checkpoint)
    start = time.perf_counter()
    chosen_callbacks = _callbacks(args, run_dir, data, resumed=bool(checkpoint))
    model.fit(
        train,
        validation_data=validation if data.cardinality.get("validation") != 0 else None,
        epochs=args.epochs,
        steps_per_epoch=steps_per_epoch,
        initial_epoch=resumed_epoch,
        callbacks=chosen_callbacks,
        verbose=args.verbose,
    )
    train_seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(test, verbose=0)
    with run_files.atomic_path(os.path.join(run_dir, "model.keras")) as temporary:
        model.save(temporary)
    history = _history(os.path.join(run_dir, "history.csv"))
    plot_training_curves(
        history,
        os.path.join(run_dir, "curves.png"),
        title=f"{args.model} on {data.name}",
    )
    _report_babysitting(chosen_callbacks, run_dir)
    metrics = {
        "dataset": data.name,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs": len(history.get("epoch", [])),
        "train_seconds_this_session": round(train_seconds, 2),
    }
    # Written last: its presence marks the run finished.
    run_files.write_json(os.path.join(run_dir, "metrics.json"), metrics)
    shutil.rmtree(os.path.join(run_dir, "backup"), ignore_errors=True)
    print(
        f"test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f} "
        f"({metrics['epochs']} epochs). Run folder: {run_dir}"
    )
    return 0
