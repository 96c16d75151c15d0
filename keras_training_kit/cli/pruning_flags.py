"""`ktk tune`'s pruning flags: `--prune` and its pruner's parameters.

`--prune` (`none`, `median` or `asha`), `--prune-startup` and
`--prune-warmup` (median), `--reduction-factor` and `--min-epochs` (asha),
their checks before any work, the pruner they stand for and the line of
the end-of-search summary that says what pruning saved. Importing this
module does not import TensorFlow.
"""

import argparse

from keras_training_kit.cli import flags
from keras_training_kit.cli.errors import UsageError

# `keras_training_kit.tuning.PRUNERS`, spelled out so `ktk --help` does not
# import TensorFlow (a test checks that both agree).
PRUNERS = ("none", "median", "asha")
# Each parameter flag's dest: its pruner, the pruner's argument and that
# argument's default in `MedianPruner`/`SuccessiveHalvingPruner` (a test
# checks that they agree).
PARAMETERS = {
    "prune_startup": ("median", "n_startup_trials", 5),
    "prune_warmup": ("median", "n_warmup_steps", 0),
    "reduction_factor": ("asha", "reduction_factor", 4),
    "min_epochs": ("asha", "min_resource", "auto"),
}
# The keys of a search folder's config.json; a folder of an earlier build
# lacks them and searched without pruning (`_ADDED_KEYS` of `cli/tune`).
CONFIG_KEYS = ("prune", *PARAMETERS)


def reduction_factor(text):
    """An int >= 2 (successive halving's reduction factor)."""
    try:
        value = flags.positive_int(text)
    except argparse.ArgumentTypeError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(
            f"must be an int >= 2. Received: {text!r}"
        )
    return value


def min_epochs(text):
    """An int >= 1, or `auto` (successive halving's `min_resource`)."""
    if text.strip() == "auto":
        return "auto"
    try:
        return flags.positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be an int >= 1 or auto. Received: {text!r}"
        ) from None


def add_arguments(group):
    """Adds the pruning flags to an argparse group."""
    group.add_argument(
        "--prune",
        choices=PRUNERS,
        default="none",
        help="stop losing trials early, after any epoch: median (a trial "
        "whose best so far is below the median of the finished trials at "
        "that epoch) or asha (asynchronous successive halving: at each rung "
        "only the best 1/F go on); not with --search hyperband; "
        "coarse-to-fine prunes within each stage",
    )
    group.add_argument(
        "--prune-startup",
        type=flags.non_negative_int,
        default=None,
        metavar="N",
        help="median: finished trials before any trial is pruned "
        f"(default: {PARAMETERS['prune_startup'][2]})",
    )
    group.add_argument(
        "--prune-warmup",
        type=flags.non_negative_int,
        default=None,
        metavar="N",
        help="median: judge a trial from epoch N+1 on, so that every trial "
        f"trains N+1 epochs or more (default: {PARAMETERS['prune_warmup'][2]})",
    )
    group.add_argument(
        "--reduction-factor",
        type=reduction_factor,
        default=None,
        metavar="F",
        help="asha: an int >= 2; the best 1/F of the trials at a rung go on "
        "and the rungs are F times as far apart each "
        f"(default: {PARAMETERS['reduction_factor'][2]})",
    )
    group.add_argument(
        "--min-epochs",
        type=min_epochs,
        default=None,
        metavar="N",
        help="asha: rungs after epochs N+1, N*F+1, N*F^2+1, ...; auto: N = "
        "max((E-1) // 100, 1) for the E epochs of the first finished trial "
        f"(default: {PARAMETERS['min_epochs'][2]})",
    )


def check_args(args) -> None:
    """The checks argparse cannot make, before any work; `UsageError`.

    Fills in the defaults of the chosen pruner's parameters, so that
    `--prune median` and `--prune median --prune-startup 5` record the same
    config.
    """
    if args.prune != "none" and args.search == "hyperband":
        raise UsageError(
            "`--prune` does not apply to `--search hyperband` (Hyperband "
            "stops trials early itself); prune a random, grid, bayesian or "
            f"coarse-to-fine search. Received: --prune {args.prune} with "
            "--search hyperband"
        )
    for dest, (pruner, _, default) in PARAMETERS.items():
        value = getattr(args, dest)
        if value is not None and args.prune != pruner:
            flag = "--" + dest.replace("_", "-")
            raise UsageError(
                f"`{flag}` applies only with `--prune {pruner}`. Received: "
                f"{flag} {value} with --prune {args.prune}"
            )
        if value is None and args.prune == pruner:
            setattr(args, dest, default)


def pruner(args):
    """The pruner of the flags (checked by `check_args`), or `None`."""
    from keras_training_kit.tuning import make_pruner

    params = {
        argument: getattr(args, dest)
        for dest, (pruner, argument, _) in PARAMETERS.items()
        if pruner == args.prune
    }
    return make_pruner(args.prune, **params)


def summary(rows: list) -> str:
    """What pruning saved, as one line, from a results table's rows.

    A stage's trials train at most as many epochs as its longest trial
    did (a pruner never stops the first trial of a stage: the median
    waits for finished trials, successive halving promotes a trial alone
    at its rung); the epochs a pruned trial did not train are saved.
    Epochs a diverged trial did not train are neither trained nor saved.

    Example:

    >>> summary([{"stage": 1, "epochs_run": 3, "status": "completed"},
    ...          {"stage": 1, "epochs_run": 1, "status": "pruned"}])
    'pruning: 1 of 2 trials pruned, 4 of 6 epochs trained (2 saved)'
    """
    stages = {}
    for row in rows:
        stage = row.get("stage") or 1
        stages[stage] = max(stages.get(stage, 0), row.get("epochs_run") or 0)
    pruned = [row for row in rows if row.get("status") == "pruned"]
    trained = sum(row.get("epochs_run") or 0 for row in rows)
    saved = sum(
        stages[row.get("stage") or 1] - (row.get("epochs_run") or 0)
        for row in pruned
    )
    where = f" in {len(stages)} stages" if len(stages) > 1 else ""
    return (
        f"pruning: {len(pruned)} of {len(rows)} trials pruned{where}, "
        f"{trained} of {trained + saved} epochs trained ({saved} saved)"
    )
