"""`ktk tune`: a KerasTuner search over learning rate, L2 and optional choices.

The output folder holds the KerasTuner project(s) (`search/`, or
`stage_1/`, `stage_2/`, ... for coarse-to-fine), `config.json`,
`results.csv`, `search.png` and `best_hyperparameters.json`. Run again on
the same folder (a larger `--trials` continues the search) to resume: the
finished trials are kept. `--prune median` or `--prune asha` stops losing
trials early (`cli/pruning_flags`).
"""

import json
import os

from keras_training_kit import run_files
from keras_training_kit.cli import flags
from keras_training_kit.cli import model_flags
from keras_training_kit.cli import pruning_flags
from keras_training_kit.cli import tensorboard_flags
from keras_training_kit.cli.run_folder import check_config
from keras_training_kit.cli.run_folder import check_overwrite
from keras_training_kit.cli.run_folder import discard
from keras_training_kit.cli.run_folder import save_config

# What the same command resumes from after an interrupt (`cli/main`).
RESUMES = "the finished trials"
HELP = (
    "Search learning rate and L2 (random, grid, bayesian, hyperband, "
    "coarse-to-fine)."
)
# `keras_training_kit.tuning.STRATEGIES`, spelled out so `ktk --help` does not
# import TensorFlow (a test checks that both agree).
STRATEGIES = ("random", "grid", "bayesian", "hyperband", "coarse-to-fine")

# Flags that define the search; `--trials` may grow between runs.
_EXPERIMENT_KEYS = (
    "dataset",
    "model",
    "hidden_units",
    "filters",
    "kernel_size",
    "convs_per_stage",
    "search",
    "epochs",
    "lr_range",
    "l2_range",
    "grid_per_decade",
    "stages",
    "top_k",
    *pruning_flags.CONFIG_KEYS,
    "dropout",
    "normalization",
    "optimizer",
    "schedule",
    "batch_size",
    "validation_split",
    "seed",
)
# The keys that the config.json of a search folder written by an earlier
# 0.1.0 build lacks, with the value it searched: such a folder resumes (the
# pruners' parameters it lacks are `None`, as for `--prune none`).
_ADDED_KEYS = {
    "schedule": ["constant"],
    "kernel_size": 3,
    "convs_per_stage": 1,
    "prune": "none",
}
# The ranges searched when `--lr-range`/`--l2-range` is not given, except in
# a grid: a grid searches only what was asked and holds the others at `ktk
# train`'s defaults. A grid folder whose config.json holds one of these
# ranges (written by an earlier 0.1.0 build, whose grids spanned them)
# resumes searching it (listed in CHANGELOG.md).
_DEFAULT_RANGES = {"lr_range": [1e-5, 1e-1], "l2_range": [1e-6, 1e-1]}


def add_arguments(parser):
    data = parser.add_argument_group("data")
    flags.add_data_arguments(data)
    model = parser.add_argument_group("model")
    model_flags.add_architecture_arguments(model)
    space = parser.add_argument_group("search space")
    held = _train_defaults()
    space.add_argument(
        "--lr-range",
        type=flags.log_range,
        default=None,
        help="learning rate MIN,MAX (log scale; MIN = MAX holds it). "
        "Default: %s, except a grid, which holds it at `ktk train`'s --lr "
        "default, %g" % (_range_text("lr_range"), held["lr_range"]),
    )
    space.add_argument(
        "--l2-range",
        type=flags.log_range,
        default=None,
        help="L2 MIN,MAX (log scale; MIN = MAX holds it). Default: %s, "
        "except a grid, which holds it at `ktk train`'s --l2 default, %g"
        % (_range_text("l2_range"), held["l2_range"]),
    )
    space.add_argument(
        "--dropout",
        type=flags.fraction_list,
        default=[0.0],
        help="dropout rates to choose from, comma-separated",
    )
    space.add_argument(
        "--normalization",
        type=flags.choice_list(flags.NORMALIZATIONS),
        default=["none"],
        help="normalizations to choose from: none,batch,layer",
    )
    space.add_argument(
        "--optimizer",
        type=flags.choice_list(flags.OPTIMIZERS),
        default=["adam"],
        help="optimizers to choose from, comma-separated: "
        + ",".join(flags.OPTIMIZERS),
    )
    space.add_argument(
        "--schedule",
        type=flags.choice_list(flags.SCHEDULES),
        default=["constant"],
        help="learning-rate schedules to choose from, comma-separated: "
        + ",".join(flags.SCHEDULES)
        + " (over each trial's epochs, peaking at its learning rate)",
    )
    strategy = parser.add_argument_group("search")
    strategy.add_argument(
        "--search", choices=STRATEGIES, default="coarse-to-fine"
    )
    strategy.add_argument(
        "--trials",
        type=flags.positive_int,
        default=None,
        help="trials (per stage for coarse-to-fine; default 10; grid: the "
        "whole grid; hyperband: not used)",
    )
    strategy.add_argument(
        "--epochs",
        type=flags.positive_int,
        default=3,
        help="epochs per trial (first stage; Hyperband's max)",
    )
    strategy.add_argument(
        "--stages",
        type=flags.positive_int,
        default=2,
        help="coarse-to-fine stages",
    )
    strategy.add_argument(
        "--top-k",
        type=flags.positive_int,
        default=3,
        help="coarse-to-fine: narrow around the k best",
    )
    strategy.add_argument(
        "--grid-per-decade",
        type=flags.positive_int,
        default=1,
        help="grid points per decade",
    )
    flags.add_batch_size_argument(strategy)
    flags.add_seed_argument(strategy)
    pruning_flags.add_arguments(parser.add_argument_group("pruning"))
    out = parser.add_argument_group("output")
    flags.add_output_arguments(
        out,
        "search folder; the same one again resumes",
        overwrite="discard a previous search in --output-dir",
    )
    flags.add_verbose_argument(
        out,
        "0 silent, 1 a line per finished trial, 2 also Keras' line per epoch",
    )
    tensorboard_flags.add_argument(out)


def _train_defaults() -> dict:
    """`ktk train`'s `--lr` and `--l2` defaults, read from its parser."""
    import argparse

    from keras_training_kit.cli import train

    parser = argparse.ArgumentParser(add_help=False)
    train.add_arguments(parser)
    return {
        "lr_range": parser.get_default("lr"),
        "l2_range": parser.get_default("l2"),
    }


def _range_text(key) -> str:
    return ",".join(f"{v:g}".replace("e-0", "e-") for v in _DEFAULT_RANGES[key])


def _resolve_ranges(args) -> None:
    """Sets `--lr-range`/`--l2-range` when not given, to what is searched.

    A grid holds each at `ktk train`'s default (`[value, value]`), unless
    the config of the folder it resumes holds the default range (a grid
    folder of an earlier 0.1.0 build, which searched it); every other
    strategy searches `_DEFAULT_RANGES`. The
    config stores the resolved ranges, so a folder keeps its meaning.
    """
    saved = {}
    path = os.path.join(args.output_dir, "config.json")
    if args.search == "grid" and not args.overwrite and os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
    held = _train_defaults() if args.search == "grid" else {}
    for key, default in _DEFAULT_RANGES.items():
        if getattr(args, key) is not None:
            continue
        if args.search != "grid" or saved.get(key) == default:
            setattr(args, key, list(default))
        else:
            setattr(args, key, [float(held[key])] * 2)


def _range_or_value(pair):
    """`MIN,MAX` as the hypermodel takes it: a fixed value when MIN == MAX."""
    return pair[0] if pair[0] == pair[1] else tuple(pair)


def _grid_size(args) -> int:
    from keras_training_kit.tuning import log_grid

    size = 1
    for low, high in (args.lr_range, args.l2_range):
        size *= (
            1 if low == high else len(log_grid(low, high, args.grid_per_decade))
        )
    for choices in (
        args.dropout,
        args.normalization,
        args.optimizer,
        args.schedule,
    ):
        size *= len(choices)
    return size


def _plan_trials(args) -> None:
    """Sets the ranges and `--trials`' defaults and says, before any work,
    what they mean."""
    _resolve_ranges(args)
    if args.search == "grid":
        size = _grid_size(args)
        _say_held(args)
        if args.trials is None:
            args.trials = size
        elif args.trials < size:
            print(
                f"grid: {size} points; --trials {args.trials} runs the first "
                f"{args.trials} in the grid's order and leaves out "
                f"{size - args.trials} (omit --trials to run them all)."
            )
        return
    if args.search == "hyperband":
        if args.trials is not None:
            print(
                "hyperband: --trials is not used; its brackets (factor 3, "
                f"--epochs {args.epochs} as the most epochs a trial trains) "
                "set how many trials run."
            )
        args.trials = args.trials or 10
        return
    args.trials = args.trials or 10


def _say_held(args) -> None:
    """Prints which of learning rate and L2 a grid holds fixed."""
    pairs = (("learning_rate", args.lr_range), ("l2", args.l2_range))
    held = [f"{name}={pair[0]:g}" for name, pair in pairs if pair[0] == pair[1]]
    if held:
        print(
            f"grid: {' and '.join(held)} held fixed (--lr-range, --l2-range "
            "MIN,MAX search them)."
        )


def run(args):
    if args.output_dir is None:
        args.output_dir = flags.new_run_dir("tune", args.dataset, args.search)
    pruning_flags.check_args(args)
    flags.check_dataset(args)
    flags.check_output_dir(args.output_dir)
    _plan_trials(args)
    config = {key: getattr(args, key) for key in _EXPERIMENT_KEYS}
    _check_run_folder(args, config)
    tensorboard_flags.check_args(args)
    import keras

    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args, validation_split=args.validation_split)
    train, validation = _splits(args, data)
    hypermodel = _hypermodel(args, data)
    if (
        args.overwrite
        and os.environ.get("KERASTUNER_TUNER_ID", "chief") == "chief"
    ):
        # Everything of the earlier search goes (its results.csv, search.png
        # and best_hyperparameters.json too), once the new one can start.
        discard(args.output_dir)
    save_config(args.output_dir, config)
    result = _search(args, hypermodel, train, validation)
    if not result.rows:
        print(f"Worker {os.environ.get('KERASTUNER_TUNER_ID')} done.")
        return 0
    _write_results(args, result, data.name)
    return 0


def _check_run_folder(args, config) -> None:
    """Refuses an output folder that `--overwrite` or `config` rules out."""
    if args.overwrite:
        check_overwrite(args.output_dir)
    else:
        check_config(
            args.output_dir,
            config,
            hint="Use the same settings (only `--trials` may change) or "
            "`--overwrite`.",
            added=_ADDED_KEYS,
        )


def _splits(args, data):
    """Returns `(train, validation)`: a function making the training
    pipeline, and the validation dataset."""
    from keras_training_kit.data import batched_splits

    _, validation, _ = batched_splits(data, args.batch_size, seed=args.seed)

    def train():
        # A new pipeline per trial: every trial (and a trial retried after a
        # crash) sees the same batches, whatever ran before it.
        return batched_splits(data, args.batch_size, seed=args.seed)[0]

    return train, validation


def _hypermodel(args, data):
    """Returns the `TrainingHyperModel` of the search flags."""
    from keras_training_kit.tuning import TrainingHyperModel

    builder, builder_kwargs = model_flags.architecture(args)
    return TrainingHyperModel(
        builder,
        data.input_shape,
        data.num_classes,
        learning_rate=_range_or_value(args.lr_range),
        l2=_range_or_value(args.l2_range),
        dropout=args.dropout,
        normalization=[None if v == "none" else v for v in args.normalization],
        optimizer=args.optimizer,
        schedule=args.schedule,
        builder_kwargs=builder_kwargs,
        seed=args.seed,
    )


def _search(args, hypermodel, train, validation):
    """Runs the search the flags describe and returns its `SearchResult`."""
    import warnings

    from keras_training_kit.cli.errors import RunFailed
    from keras_training_kit.tuning import EdgeOfRangeWarning
    from keras_training_kit.tuning import SearchError
    from keras_training_kit.tuning import search

    with warnings.catch_warnings():
        # The edge-of-range warnings are printed after the table, once.
        warnings.simplefilter("ignore", EdgeOfRangeWarning)
        try:
            return search(
                hypermodel, train, validation, **_search_arguments(args)
            )
        except SearchError as error:
            raise RunFailed(str(error)) from None


def _search_arguments(args) -> dict:
    return dict(
        strategy=args.search,
        max_trials=args.trials,
        epochs=args.epochs,
        directory=args.output_dir,
        seed=args.seed,
        overwrite=args.overwrite,
        grid_per_decade=args.grid_per_decade,
        stages=args.stages,
        top_k=args.top_k,
        verbose=args.verbose,
        pruner=pruning_flags.pruner(args),
        callbacks=tensorboard_flags.callbacks(args),
    )


def _write_results(args, result, data_name) -> None:
    """Writes results.csv, search.png and best_hyperparameters.json, and
    prints the results table, the edge-of-range warnings and the best."""
    from keras_training_kit.plotting import plot_search_scatter
    from keras_training_kit.tuning import format_results
    from keras_training_kit.tuning import write_results_csv

    csv_path = write_results_csv(
        result.rows, os.path.join(args.output_dir, "results.csv")
    )
    plot_path = plot_search_scatter(
        result.rows,
        os.path.join(args.output_dir, "search.png"),
        title=f"{args.search} search: {args.model} on {data_name}",
        ranges=result.ranges,
    )
    run_files.write_json(
        os.path.join(args.output_dir, "best_hyperparameters.json"),
        result.best_hyperparameters,
    )
    print(format_results(result.rows))
    if args.prune != "none":
        print(pruning_flags.summary(result.rows))
    for message in result.edge_warnings:
        print(f"warning: {message}")
    print(f"best: {result.best_hyperparameters}")
    print(f"Wrote {csv_path} and {plot_path}.")
