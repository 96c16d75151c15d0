"""`ktk lr-find`: the learning-rate range test on a freshly built model.

Writes `lr_find.csv` (step, learning_rate, loss, smoothed_loss),
`lr_find.json` (each rule's suggested learning rate and the default rule) and
`lr_find.png` (the curve with every suggestion marked) into `--output-dir`,
and prints one line per rule, the `--suggestion` rule first.
"""

import csv
import os

from keras_training_kit import run_files
from keras_training_kit.cli import flags
from keras_training_kit.cli import model_flags
from keras_training_kit.cli.errors import UsageError

# `keras_training_kit.tuning.SUGGESTIONS`, spelled out so `ktk --help` does
# not import TensorFlow (a test checks that both agree).
SUGGESTIONS = ("valley", "steep", "minimum", "slide")

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
    flags.add_batch_size_argument(sweep)
    flags.add_seed_argument(sweep)
    sweep.add_argument(
        "--suggestion",
        choices=SUGGESTIONS,
        default="valley",
        help="the default rule, printed first: valley (half way down the "
        "longest valley), steep (steepest fall), minimum (a tenth of the "
        "lowest loss's rate) or slide (fastai's slide rule)",
    )
    flags.add_output_arguments(
        parser, "folder for lr_find.csv, lr_find.json and lr_find.png"
    )


def run(args):
    import keras

    from keras_training_kit.data import batched_splits
    from keras_training_kit.plotting import plot_lr_finder
    from keras_training_kit.tuning import LRFinder

    if args.min_lr >= args.max_lr:
        raise UsageError(
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
        suggestion=args.suggestion,
    )
    train, _, _ = batched_splits(data, args.batch_size, seed=args.seed)
    result = finder.find(train)
    os.makedirs(args.output_dir, exist_ok=True)
    csv_path = _write_csv(args.output_dir, result)
    suggestions = _default_first(result.suggestions, args.suggestion)
    json_path = os.path.join(args.output_dir, "lr_find.json")
    run_files.write_json(
        json_path, {"default": args.suggestion, "suggestions": suggestions}
    )
    plot_path = plot_lr_finder(
        result.learning_rates,
        result.losses,
        os.path.join(args.output_dir, "lr_find.png"),
        smoothed_losses=result.smoothed_losses,
        title=f"LR range test: {args.model} + {args.optimizer} on {data.name}",
        suggestions=suggestions,
        default_suggestion=args.suggestion,
    )
    _print_suggestions(result, suggestions, args.suggestion)
    print(f"Wrote {csv_path}, {json_path} and {plot_path}.")
    return 0


def _write_csv(output_dir, result):
    """Writes the sweep to `output_dir/lr_find.csv` and returns its path."""
    csv_path = os.path.join(output_dir, "lr_find.csv")
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
    return csv_path


def _default_first(suggestions, default):
    """Returns `suggestions` with the `default` rule first, then the others
    in their registry order."""
    return {
        name: suggestions[name]
        for name in sorted(suggestions, key=lambda n: n != default)
    }


def _print_suggestions(result, suggestions, default):
    """Prints how the sweep ended and one line per suggested rate."""
    stop = (
        "stopped at 4x the best loss" if result.stopped_early else "full sweep"
    )
    print(
        f"{len(result.learning_rates)} steps ({stop}); suggested learning "
        "rates:"
    )
    width = max(map(len, suggestions))
    for name, rate in suggestions.items():
        value = "none (no finite loss)" if rate is None else f"{rate:.2e}"
        marker = "  (default)" if name == default else ""
        print(f"  {name:<{width}}  {value}{marker}")
