"""`ktk optimizer-study`: CS231n's comparison of the Keras optimizers.

Runs `keras_training_kit.babysitting.run_optimizer_study` on the 2-D
surfaces (ravine, saddle, local minimum) and on `--dataset`, writes
`optimizer_study.csv` (problem, optimizer, step, loss),
`optimizer_study.json` (each optimizer's path on each surface, the
learning rates) and `optimizer_study.png` into `--output-dir`, and prints
the final loss of every optimizer on every problem, the winners and the
learning rates.
"""

import argparse
import os

from keras_training_kit.cli import flags

HELP = (
    "Compare sgd, momentum, nesterov, adagrad, rmsprop and adam on 2-D "
    "surfaces and on a data set."
)

# `keras_training_kit.babysitting.PROBLEMS` and `STUDY_OPTIMIZERS`, spelled
# out so `ktk --help` does not import TensorFlow (a test checks they agree).
PROBLEMS = ("ravine", "saddle", "local_minimum", "dataset")
STUDY_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def _at_least_two(text):
    value = flags.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(
            f"must be an int >= 2. Received: {text!r}"
        )
    return value


def add_arguments(parser):
    parser.add_argument(
        "--problems",
        type=flags.choice_list(PROBLEMS),
        default=list(PROBLEMS),
        help="comma-separated problems (default: all): " + ", ".join(PROBLEMS),
    )
    parser.add_argument(
        "--optimizers",
        type=flags.choice_list(flags.OPTIMIZERS),
        default=list(STUDY_OPTIMIZERS),
        help="comma-separated optimizers (default: "
        + ",".join(STUDY_OPTIMIZERS)
        + "); also adamw",
    )
    parser.add_argument(
        "--steps",
        type=flags.positive_int,
        default=100,
        help="steps on each 2-D surface",
    )
    data = parser.add_argument_group("data set")
    flags.add_data_arguments(data, validation_split=False)
    data.add_argument(
        "--train-steps",
        type=flags.positive_int,
        default=200,
        help="training steps (batches) of each optimizer on --dataset",
    )
    data.add_argument(
        "--lr-test-steps",
        type=_at_least_two,
        default=100,
        help="steps of each optimizer's LR range test",
    )
    flags.add_batch_size_argument(data)
    flags.add_seed_argument(
        parser, "seeds the MLP's weights and the order of the batches"
    )
    flags.add_output_arguments(
        parser, "folder for optimizer_study.csv, .json and .png"
    )


def run(args):
    problems = list(dict.fromkeys(args.problems))
    optimizers = list(dict.fromkeys(args.optimizers))
    if args.output_dir is None:
        args.output_dir = flags.new_run_dir("optimizer-study")
    if "dataset" in problems:
        flags.check_dataset(args)
    flags.check_output_dir(args.output_dir)

    from keras_training_kit.babysitting import run_optimizer_study
    from keras_training_kit.plotting import plot_optimizer_study

    data = flags.load_data(args) if "dataset" in problems else None
    study = run_optimizer_study(
        problems,
        optimizers,
        steps=args.steps,
        dataset=data,
        train_steps=args.train_steps,
        batch_size=args.batch_size,
        lr_test_steps=args.lr_test_steps,
        seed=args.seed,
    )
    os.makedirs(args.output_dir, exist_ok=True)
    csv_path = study.to_csv(
        os.path.join(args.output_dir, "optimizer_study.csv")
    )
    json_path = study.to_json(
        os.path.join(args.output_dir, "optimizer_study.json")
    )
    png_path = plot_optimizer_study(
        **study.figure_data(),
        path=os.path.join(args.output_dir, "optimizer_study.png"),
    )
    print(study.summary())
    if "ravine" in study.problems and "adagrad" in optimizers:
        lengths = study.step_lengths("ravine", "adagrad")
        print(
            f"AdaGrad's steps on the ravine shrink from {lengths[0]:.3g} to "
            f"{lengths[-1]:.3g} ({lengths[0] / lengths[-1]:.0f}x)."
        )
    print(f"Wrote {csv_path}, {json_path} and {png_path}.")
    return 0
