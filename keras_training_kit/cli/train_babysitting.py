"""`ktk train`'s babysitting: the statistics callbacks, the divergence
guard and `--diagnose` before training, with their flags."""

import os
import sys


def add_arguments(parser):
    """Adds the "babysitting" flags of `ktk train`."""
    babysit = parser.add_argument_group("babysitting")
    babysit.add_argument(
        "--activation-stats",
        action="store_true",
        help="record per-layer activation statistics (CSV, TensorBoard, "
        "figures) in the run folder",
    )
    babysit.add_argument(
        "--gradient-stats",
        action="store_true",
        help="record per-layer gradient statistics and the gradient noise "
        "scale (CSV, TensorBoard, figures) in the run folder",
    )
    babysit.add_argument(
        "--diagnose",
        action="store_true",
        help="before training, check the forward and backward pass (`ktk "
        "diagnose`) and print the findings; trains anyway unless --strict",
    )
    babysit.add_argument(
        "--strict",
        action="store_true",
        help="with --diagnose: stop (exit 1, nothing written) when anything "
        "is found",
    )
    babysit.add_argument(
        "--no-divergence-guard",
        action="store_true",
        help="keep training when the loss is NaN/Inf or exceeds 3x its first "
        "value",
    )


def chosen_callbacks(args, run_dir, data, resumed):
    """The babysitting callbacks the flags ask for."""
    from keras_training_kit import callbacks

    chosen = []
    if not args.no_divergence_guard:
        chosen.append(callbacks.DivergenceGuard())
    probe = (
        data.validation if data.cardinality.get("validation") else data.train
    )
    if args.activation_stats:
        chosen.append(
            callbacks.ActivationStatistics(
                probe_data=probe,
                log_dir=os.path.join(run_dir, "tensorboard"),
                csv_path=os.path.join(run_dir, "activation_statistics.csv"),
                append=resumed,
            )
        )
    if args.gradient_stats:
        chosen.append(
            callbacks.GradientStatistics(
                probe,
                log_dir=os.path.join(run_dir, "tensorboard"),
                csv_path=os.path.join(run_dir, "gradient_statistics.csv"),
                batch_size=args.batch_size,
                training_examples=data.cardinality.get("train"),
                append=resumed,
            )
        )
    return chosen


def report(chosen, run_dir):
    """Says why a run stopped early and saves the statistics' figures."""
    from keras_training_kit import callbacks

    for callback in chosen:
        if (
            isinstance(callback, callbacks.DivergenceGuard)
            and callback.diverged
        ):
            print(f"Training stopped early: {callback.reason}.")
        if isinstance(
            callback,
            (callbacks.ActivationStatistics, callbacks.GradientStatistics),
        ):
            for path in callback.save_figures(run_dir):
                print(f"Wrote {path}")


def diagnosis_stops(args, data, model, augmentation):
    """Runs `--diagnose`; whether `--strict` stops the run on its findings."""
    found = _diagnose(args, data, model, augmentation)
    if found and args.strict:
        print(
            f"ktk train: error: --strict: diagnose found {found} "
            "problem(s); nothing trained or written.",
            file=sys.stderr,
        )
        return True
    return False


def _diagnose(args, data, model, augmentation):
    """Prints `ktk diagnose`'s findings; returns how many there are."""
    import keras

    from keras_training_kit.babysitting import diagnose
    from keras_training_kit.cli.diagnose import EXAMPLES
    from keras_training_kit.cli.diagnose import examples
    from keras_training_kit.cli.diagnose import report_findings

    x, y = examples(data, EXAMPLES)
    if augmentation and augmentation.mixes_labels:
        y = keras.utils.to_categorical(y, data.num_classes)
    diagnosis = diagnose(
        model,
        x,
        y,
        batch_size=args.batch_size,
        gradient_accumulation_steps=args.accumulate,
        training_examples=data.cardinality.get("train"),
    )
    print(report_findings(diagnosis))
    return len(diagnosis.findings)


def divergence_guard(chosen):
    from keras_training_kit import callbacks

    for callback in chosen:
        if isinstance(callback, callbacks.DivergenceGuard):
            return callback
    return None
