"""`ktk init-study`: CS231n's initialization experiment, both ways.

Writes `init_study.json` (statistics and histograms), `init_study.csv`
(mean, std and backprop_std per configuration and layer) and
`init_study.png` (one histogram per layer, one row per configuration, and
a row of forward and backward std curves) into `--output-dir`.
"""

import csv
import os

from keras_training_kit import run_files
from keras_training_kit.cli import flags

HELP = (
    "Activations and back-propagated gradients across a deep tanh/ReLU net "
    "for several initializations."
)
# `keras_training_kit.babysitting.init_study.CONFIGURATIONS`, spelled out so
# `ktk --help` does not import TensorFlow (a test checks that both agree).
CONFIGURATIONS = (
    "tanh-randn-0.01",
    "tanh-randn-1",
    "tanh-xavier",
    "relu-xavier",
    "relu-he",
    "relu-lsuv",
)


def add_arguments(parser):
    parser.add_argument(
        "--configurations",
        type=flags.choice_list(CONFIGURATIONS),
        default=None,
        help="comma-separated rows (default: all): "
        + ", ".join(CONFIGURATIONS),
    )
    parser.add_argument("--num-examples", type=flags.positive_int, default=1000)
    parser.add_argument("--input-dim", type=flags.positive_int, default=500)
    parser.add_argument("--depth", type=flags.positive_int, default=10)
    parser.add_argument("--width", type=flags.positive_int, default=500)
    parser.add_argument("--bins", type=flags.positive_int, default=50)
    flags.add_seed_argument(parser, "seeds the inputs and the weights")
    flags.add_output_arguments(parser, "folder for the study's files")


def _write_csv(study, path):
    with run_files.atomic_path(path) as temporary:
        with open(temporary, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(
                ["configuration", "layer", "mean", "std", "backprop_std"]
            )
            for row in study["rows"]:
                for layer in row["layers"]:
                    writer.writerow(
                        [
                            row["name"],
                            layer["layer"],
                            layer["mean"],
                            layer["std"],
                            layer["backprop_std"],
                        ]
                    )


def _print_table(study):
    depth = study["settings"]["depth"]
    width = max(len(row["name"]) for row in study["rows"])
    header = " ".join(f"{f'layer {i}':>9}" for i in range(1, depth + 1))
    print(f"{'':{width}}      {header}")
    for row in study["rows"]:
        for stat, label in (
            ("mean", "mean"),
            ("std", "std"),
            ("backprop_std", "grad"),
        ):
            values = " ".join(f"{layer[stat]:9.3g}" for layer in row["layers"])
            print(f"{row['name']:{width}} {label:>4} {values}")
    print(
        "grad: std of the gradient reaching each layer's output when a "
        "unit-normal gradient is fed in at the last layer"
    )


def run(args):
    from keras_training_kit.babysitting import run_init_study
    from keras_training_kit.plotting import plot_init_study

    if args.output_dir is None:
        args.output_dir = flags.new_run_dir("init-study")
    flags.check_output_dir(args.output_dir)
    study = run_init_study(
        args.configurations,
        num_examples=args.num_examples,
        input_dim=args.input_dim,
        depth=args.depth,
        width=args.width,
        bins=args.bins,
        seed=args.seed,
    )
    os.makedirs(args.output_dir, exist_ok=True)
    json_path = os.path.join(args.output_dir, "init_study.json")
    run_files.write_json(json_path, study, indent=None)
    csv_path = os.path.join(args.output_dir, "init_study.csv")
    _write_csv(study, csv_path)
    png_path = plot_init_study(
        study, os.path.join(args.output_dir, "init_study.png")
    )
    _print_table(study)
    print(f"Wrote {json_path}, {csv_path} and {png_path}.")
    return 0
