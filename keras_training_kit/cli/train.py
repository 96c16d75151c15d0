"""`ktk train`: load data, build a model, train, evaluate, write a run folder.

A run folder holds `config.json`, `model.keras`, `history.csv`,
`curves.png` and `metrics.json`, written in that order; `metrics.json` is
written last and marks the run finished. While training, `backup/` holds one
checkpoint per finished epoch (see `keras_training_kit.cli.resume`): started
again with the same command after an interruption, at any instant, the run
resumes after the last finished epoch and ends as an uninterrupted run would.
Started again on a finished run, it prints the saved result.
"""

import json
import os
import sys
import time

from keras_training_kit import run_files
from keras_training_kit.cli import flags
from keras_training_kit.cli import model_flags
from keras_training_kit.cli import optimization_flags
from keras_training_kit.cli import train_babysitting
from keras_training_kit.cli.errors import UsageError
from keras_training_kit.cli.run_folder import check_config
from keras_training_kit.cli.run_folder import discard
from keras_training_kit.cli.run_folder import save_config

# What the same command resumes from after an interrupt (`cli/main`).
RESUMES = "the last finished epoch"
HELP = "Train an MLP or CNN on a data set and write a run folder."

# The defaults that differ from the other commands': the lectures' tools
# (batch normalization, one-cycle at a high rate, few epochs) train the CNN
# to >= 99% test accuracy on digits for every seed 0-9 in a few seconds
# (`benchmarks/time_to_accuracy.py`). Without a validation split the
# training split keeps all its examples and no epoch pays an evaluation.
DEFAULTS = dict(
    normalization="batch",
    schedule="one-cycle",
    lr=5e-3,
    epochs=5,
    batch_size=64,
    validation_split=0.0,
)

# Flags that define the experiment: resuming a run folder with other values
# for these would silently mix two experiments, so it is refused.
_EXPERIMENT_KEYS = (
    "dataset",
    "model",
    "hidden_units",
    "filters",
    "kernel_size",
    "convs_per_stage",
    "activation",
    "initializer",
    "normalization",
    "normalization_position",
    "batch_norm_momentum",
    "dropout",
    "spatial_dropout",
    "l2",
    "l1",
    "optimizer",
    "lr",
    "schedule",
    "warmup_epochs",
    "accumulate",
    "reduce_lr_on_plateau",
    "early_stopping",
    "batch_size",
    "validation_split",
    "seed",
    "augment",
)
# Experiment keys that the config.json of a run folder written by an earlier
# 0.1.0 build lacks, with the value that trains as that run did, so such a
# folder resumes as it trained (listed in CHANGELOG.md).
_ADDED_KEYS = {
    "schedule": "constant",
    "warmup_epochs": None,
    "accumulate": 1,
    "reduce_lr_on_plateau": None,
    "early_stopping": None,
    # Before `--batch-norm-momentum`, batch normalization had Keras' 0.99.
    "batch_norm_momentum": None,
    "kernel_size": 3,
    "convs_per_stage": 1,
}


def add_arguments(parser):
    data = parser.add_argument_group("data")
    flags.add_data_arguments(data)
    data.add_argument(
        "--augment",
        default="none",
        metavar="PRESET",
        help="augment the training split with a preset: none, digits, mnist, "
        "cifar10, cifar10_mixup",
    )
    model = parser.add_argument_group("model")
    model_flags.add_architecture_arguments(model)
    model_flags.add_layer_arguments(model)
    fit = parser.add_argument_group("training")
    model_flags.add_optimizer_argument(fit)
    optimization_flags.add_arguments(fit)
    fit.add_argument("--epochs", type=flags.positive_int, default=30)
    flags.add_batch_size_argument(fit)
    flags.add_seed_argument(fit)
    fit.add_argument(
        "--jit-compile",
        action="store_true",
        help="compile train steps with XLA",
    )
    fit.add_argument(
        "--mixed-precision",
        action="store_true",
        help="use the mixed_float16 policy",
    )
    out = parser.add_argument_group("output")
    flags.add_output_arguments(
        out,
        "run folder; the same one again resumes an interrupted run",
        overwrite="delete what --output-dir holds (a finished or other run) "
        "and train afresh",
    )
    flags.add_verbose_argument(out)
    train_babysitting.add_arguments(parser)
    parser.set_defaults(**DEFAULTS)


def _check_args(args):
    """The checks argparse cannot make; run before any work."""
    optimization_flags.check_args(args)
    model_flags.check_layer_arguments(args)
    if args.normalization == "batch" and args.batch_norm_momentum is None:
        args.batch_norm_momentum = model_flags.BATCH_NORM_MOMENTUM
    if args.strict and not args.diagnose:
        raise UsageError(
            "`--strict` stops on the findings of `--diagnose`: add "
            "`--diagnose`. Received: --strict without --diagnose"
        )
    flags.check_output_dir(_run_dir(args))
    flags.check_dataset(args)
    if args.augment != "none":
        from keras_training_kit.augmentation.presets import PRESETS

        if args.augment not in PRESETS:
            raise UsageError(
                f"`--augment` must be one of {', '.join(sorted(PRESETS))}. "
                f"Received: --augment {args.augment}"
            )


def _experiment_config(args):
    return {key: getattr(args, key) for key in _EXPERIMENT_KEYS}


def _run_dir(args):
    if args.output_dir is None:
        # Chosen once per command, so every check and write uses one folder.
        args.output_dir = flags.new_run_dir("train", args.dataset, args.model)
    return args.output_dir


def _rows(path):
    """The complete rows of `history.csv` as logs: `{column: float}`.

    `CSVLogger` writes `NA` in the `val_*` columns of a run without a
    validation split: those columns are left out.
    """
    return [
        {k: float(v) for k, v in row.items() if v not in ("NA", "")}
        for row in run_files.read_csv_rows(path)
    ]


def _history(path):
    """The rows of `history.csv` as `{column: [floats]}`."""
    history = {}
    for row in _rows(path):
        for key, value in row.items():
            history.setdefault(key, []).append(value)
    return history


def _saved_config(run_dir):
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _augmentation(data, args):
    """The `--augment` pipeline, or `None` for `none`."""
    if args.augment == "none":
        return None
    from keras_training_kit.augmentation import AugmentationPipeline

    return AugmentationPipeline.from_preset(
        args.augment, num_classes=data.num_classes
    )


def _callbacks(args, run_dir, data, resumed):
    import keras

    from keras_training_kit import callbacks
    from keras_training_kit.cli import resume

    # CSVLogger writes an epoch's row before its checkpoint is committed: a
    # kill in between leaves a row that `run` drops on resume.
    return [
        callbacks.LearningRateLogger(),
        keras.callbacks.CSVLogger(
            os.path.join(run_dir, "history.csv"), append=True
        ),
        resume.EpochCheckpoint(os.path.join(run_dir, "backup")),
    ] + train_babysitting.chosen_callbacks(args, run_dir, data, resumed)


def _added_keys(run_dir):
    """`_ADDED_KEYS` for the config.json in `run_dir`: one written before
    `--batch-norm-momentum` with batch normalization trained at 0.99."""
    added = dict(_ADDED_KEYS)
    if _saved_config(run_dir).get("normalization") == "batch":
        added["batch_norm_momentum"] = 0.99
    return added


def _report_finished(run_dir):
    """Prints the result of a finished run folder; removes leftovers."""
    import shutil

    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    # A kill right after `metrics.json` may have left the checkpoints.
    shutil.rmtree(os.path.join(run_dir, "backup"), ignore_errors=True)
    # The metrics.json of an earlier 0.1.0 build has no status: completed.
    status = metrics.get("status", "completed")
    print(
        f"The run folder {run_dir} holds a finished run ({status}): test "
        f"accuracy {metrics['test_accuracy']:.4f}, test loss "
        f"{metrics['test_loss']:.4f} ({metrics['epochs']} epochs). Use a new "
        "`--output-dir` or `--overwrite` to train again."
    )
    return 1 if status == "diverged" else 0


def run(args):
    _check_args(args)
    from keras_training_kit.cli import resume

    run_dir = _run_dir(args)
    if args.overwrite:
        discard(run_dir)
    existed = check_config(
        run_dir,
        _experiment_config(args),
        hint="Use a new `--output-dir`, the same settings to resume, or "
        "`--overwrite`.",
        added=_added_keys(run_dir),
    )
    if existed and os.path.exists(os.path.join(run_dir, "metrics.json")):
        return _report_finished(run_dir)
    resumed_epoch, checkpoint = resume.latest_checkpoint(
        os.path.join(run_dir, "backup")
    )
    import keras

    previous_policy = keras.config.dtype_policy()
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        return _train(args, run_dir, resumed_epoch, checkpoint)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _train(args, run_dir, resumed_epoch, checkpoint):
    from keras_training_kit.cli import resume

    data, augmentation, (train, validation, test), steps_per_epoch = _load(
        args, resumed_epoch
    )
    recorded = _saved_config(run_dir).get("lr_auto")
    learning_rate, lr_auto = optimization_flags.learning_rate(
        args, data, recorded
    )
    model, one_cycle = _model(
        args, data, augmentation, learning_rate, steps_per_epoch
    )
    # Attached before the checkpoint loads: one-cycle's momentum variable
    # is part of the optimizer state it holds.
    schedule_callbacks = optimization_flags.callbacks(
        args,
        model,
        one_cycle,
        _rows_before(run_dir, resumed_epoch),
        learning_rate,
        monitor="loss" if validation is None else "val_loss",
    )
    if checkpoint:
        resume.restore(model, checkpoint)
    if args.diagnose and not resumed_epoch:
        if train_babysitting.diagnosis_stops(args, data, model, augmentation):
            return 1
    # Everything could be built: the run starts, and only now writes.
    _start_run(
        args,
        run_dir,
        resumed_epoch=resumed_epoch,
        steps_per_epoch=steps_per_epoch,
        learning_rate=learning_rate,
        lr_auto=lr_auto,
        recorded=recorded,
    )
    start = time.perf_counter()
    chosen_callbacks = (
        _callbacks(args, run_dir, data, resumed=bool(checkpoint))
        + schedule_callbacks
    )
    model.fit(
        train,
        validation_data=validation,
        epochs=_last_epoch(args, resumed_epoch, schedule_callbacks),
        steps_per_epoch=steps_per_epoch,
        initial_epoch=resumed_epoch,
        shuffle=False,  # the stream is shuffled by the data pipeline
        callbacks=chosen_callbacks,
        verbose=args.verbose,
    )
    train_seconds = time.perf_counter() - start
    metrics = _write_results(
        args, run_dir, data, model, test, chosen_callbacks, train_seconds
    )
    return _report_result(
        run_dir,
        metrics,
        train_babysitting.divergence_guard(chosen_callbacks),
        learning_rate,
    )


def _load(args, resumed_epoch):
    """Seeds, loads and batches the data, resuming the epoch stream.

    Returns:
        `(data, augmentation, (train, validation, test), steps_per_epoch)`;
        `validation` is `None` without a validation split.
    """
    import keras

    from keras_training_kit.cli import resume
    from keras_training_kit.data import batched_splits

    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args, validation_split=args.validation_split)
    augmentation = _augmentation(data, args)
    train, validation, test = batched_splits(
        data, args.batch_size, seed=args.seed, augmentation=augmentation
    )
    train, steps_per_epoch = resume.epoch_stream(train, resumed_epoch)
    if data.cardinality.get("validation") == 0:
        validation = None
    return data, augmentation, (train, validation, test), steps_per_epoch


def _model(args, data, augmentation, learning_rate, steps_per_epoch):
    """Builds the optimizer and the compiled model of the flags.

    Returns:
        `(model, one_cycle)`, as `optimization_flags.build_optimizer`
        returns `one_cycle`.
    """
    optimizer, one_cycle = optimization_flags.build_optimizer(
        args, learning_rate, steps_per_epoch
    )
    model = model_flags.build_model(
        args,
        data,
        optimizer=optimizer,
        jit_compile=True if args.jit_compile else "auto",
        one_hot_labels=bool(augmentation and augmentation.mixes_labels),
    )
    return model, one_cycle


def _rows_before(run_dir, resumed_epoch):
    """The rows of `history.csv` before `resumed_epoch`: the rows of epochs
    after the checkpoint will be written again."""
    history_path = os.path.join(run_dir, "history.csv")
    return [r for r in _rows(history_path) if r["epoch"] < resumed_epoch]


def _start_run(
    args,
    run_dir,
    *,
    resumed_epoch,
    steps_per_epoch,
    learning_rate,
    lr_auto,
    recorded,
):
    """Writes `config.json`, cuts `history.csv` back to the checkpoint and
    says what starts (`recorded`: the `--lr auto` record of an earlier
    start, if any)."""
    config = _experiment_config(args)
    if lr_auto:
        config["lr_auto"] = lr_auto
    save_config(run_dir, config)
    # A kill may also have torn the last line.
    run_files.truncate_csv_log(
        os.path.join(run_dir, "history.csv"),
        lambda row: int(row["epoch"]) < resumed_epoch,
    )
    if lr_auto and not recorded:
        print(
            f"--lr auto: the LR range test suggests {learning_rate:.3g} "
            f"({lr_auto['rule']}); recorded in config.json."
        )
    note = optimization_flags.accumulation_note(args, steps_per_epoch)
    if note and not resumed_epoch:
        print(note)
    if resumed_epoch:
        print(f"Resuming {run_dir} after epoch {resumed_epoch}.")


def _last_epoch(args, resumed_epoch, schedule_callbacks):
    """The epoch `fit` trains up to: a run that early stopping ended
    before a kill trains no more."""
    if optimization_flags.stopped_early(schedule_callbacks):
        return resumed_epoch
    return args.epochs


def _write_results(
    args, run_dir, data, model, test, chosen_callbacks, train_seconds
):
    """Evaluates on the test split and writes `model.keras` (unless
    training diverged), `curves.png`, the callbacks' figures and, last,
    `metrics.json`; removes the checkpoints. Returns the metrics."""
    import shutil

    from keras_training_kit.plotting import plot_training_curves

    guard = train_babysitting.divergence_guard(chosen_callbacks)
    diverged = guard is not None and guard.diverged
    test_loss, test_accuracy = model.evaluate(test, verbose=0)
    if not diverged:
        # A diverged model (NaN or exploded weights) is not worth loading.
        with run_files.atomic_path(
            os.path.join(run_dir, "model.keras")
        ) as temporary:
            model.save(temporary)
    history = _history(os.path.join(run_dir, "history.csv"))
    plot_training_curves(
        history,
        os.path.join(run_dir, "curves.png"),
        title=f"{args.model} on {data.name}",
        optimizer=args.optimizer,
        # `--lr auto` reads the suggestion recorded in config.json.
        learning_rate=optimization_flags.learning_rate(
            args, data, _saved_config(run_dir).get("lr_auto")
        )[0],
        schedule=args.schedule,
        test_accuracy=float(test_accuracy),
        num_classes=data.num_classes,
        events=optimization_flags.curve_events(args, history, chosen_callbacks),
    )
    train_babysitting.report(chosen_callbacks, run_dir)
    metrics = {
        "status": "diverged" if diverged else "completed",
        "dataset": data.name,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs": len(history.get("epoch", [])),
        "train_seconds_this_session": round(train_seconds, 2),
    }
    # Written last: its presence marks the run finished.
    run_files.write_json(os.path.join(run_dir, "metrics.json"), metrics)
    shutil.rmtree(os.path.join(run_dir, "backup"), ignore_errors=True)
    return metrics


def _report_result(run_dir, metrics, guard, learning_rate):
    """Prints the run's result; returns the exit status (1: diverged)."""
    if metrics["status"] == "diverged":
        print(
            f"ktk train: error: training diverged ({guard.reason}); no model "
            f"saved. Lower `--lr` (the learning rate was {learning_rate:g}). "
            f"Run folder: {run_dir}",
            file=sys.stderr,
        )
        return 1
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, test loss "
        f"{metrics['test_loss']:.4f} ({metrics['epochs']} epochs). "
        f"Run folder: {run_dir}"
    )
    return 0
