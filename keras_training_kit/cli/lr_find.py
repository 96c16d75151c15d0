"""`ktk lr-find`: the learning-rate range test on a freshly built model.

Writes `lr_find.csv` (step, learning_rate, loss, smoothed_loss) and
`lr_find.png` into `--output-dir` and prints the suggested learning rate.
"""

import csv
import os

from keras_training_kit import run_files
from keras_training_kit.cli import flags
from keras_training_kit.cli import model_flags

HELP = (
    "Learning-rate range test: sweep the learning rate, plot the loss, "
    "suggest a value."
)


def add_arguments(parser):
    flags.add_data_arguments(parser, validation_split=False)
    model = parser.add_argument_group("model")
    model_flags.add_architecture_arguments(model)
    model_flags.add_layer_arguments(model)
    sweep = parser.add_argument_group("sweep")
    model_flags.add_optimizer_argument(sweep)
    sweep.add_argument("--min-lr", type=flags.positive_float, default=1e-7)
    sweep.add_argument("--max-lr", type=flags.positive_float, default=10.0)
    sweep.add_argument(
        "--steps",
        type=flags.positive_int,
        default=100,
        help="steps of the sweep",
    )
    sweep.add_argument("--smoothing", type=flags.fraction, default=0.98)
    sweep.add_argument("--batch-size", type=flags.positive_int, default=32)
    sweep.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output-dir",
        default=None,
        help="folder for lr_find.csv and lr_find.png (default: a new folder "
        "under runs/)",
    )


def run(args):
    import keras

    from keras_training_kit.data import batched_splits
    from keras_training_kit.plotting import plot_lr_finder
    from keras_training_kit.tuning import LRFinder

    if args.min_lr >= args.max_lr:
        raise ValueError(
            "`--min-lr` must be below `--max-lr`. Received: "
            f"--min-lr {args.min_lr:g} --max-lr {args.max_lr:g}"
        )
    if args.output_dir is None:
        args.output_dir = flags.new_run_dir("lr-find", args.dataset, args.model)
    flags.check_dataset(args)
    flags.check_output_dir(args.output_dir)
    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args)
    model = model_flags.build_model(args, data)
    finder = LRFinder(
        model,
        min_learning_rate=args.min_lr,
        max_learning_rate=args.max_lr,
        num_steps=args.steps,
        smoothing=args.smoothing,
    )
    train, _, _ = batched_splits(data, args.batch_size, seed=args.seed)
    result = finder.find(train)
    os.makedirs(args.output_dir, exist_ok=True)
    csv_path = os.path.join(args.output_dir, "lr_find.csv")
    with run_files.atomic_path(csv_path) as temporary:
        with open(temporary, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["step", "learning_rate", "loss", "smoothed_loss"])
            for step, row in enumerate(
                zip(
                    result.learning_rates, result.losses, result.smoothed_losses
                )
            ):
                writer.writerow([step, *row])
    plot_path = plot_lr_finder(
        result.learning_rates,
        result.losses,
        os.path.join(args.output_dir, "lr_find.png"),
        smoothed_losses=result.smoothed_losses,
        suggested_learning_rate=result.suggested_learning_rate,
        title=f"LR range test: {args.model} + {args.optimizer} on {data.name}",
    )
    stop = (
        "stopped at 4x the best loss" if result.stopped_early else "full sweep"
    )
    suggested = result.suggested_learning_rate
    if suggested is None:
        suggested = "none (no finite loss)"
    else:
        suggested = f"{suggested:.3g}"
    print(
        f"{len(result.learning_rates)} steps ({stop}); suggested learning "
        f"rate: {suggested}"
    )
    print(f"Wrote {csv_path} and {plot_path}.")
    return 0
