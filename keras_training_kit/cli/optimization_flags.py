"""`ktk train`'s optimization flags: learning rate, schedule, accumulation.

`--lr` (a float or `auto`), `--schedule`, `--warmup-epochs`, `--accumulate`,
`--reduce-lr-on-plateau` and `--early-stopping`, their checks before any
work, and the optimizer and callbacks they stand for. Importing this module
does not import TensorFlow.
"""

from keras_training_kit.cli import flags
from keras_training_kit.cli.errors import RunFailed
from keras_training_kit.cli.errors import UsageError

# fastai's `lr_find` range, and the rule that fills `--lr auto`.
_RANGE_TEST = {"min_learning_rate": 1e-7, "max_learning_rate": 10.0}
_RANGE_TEST_STEPS = 100


def add_arguments(group):
    """Adds the optimization flags to an argparse group."""
    group.add_argument(
        "--lr",
        type=flags.learning_rate,
        default=1e-3,
        help="learning rate (the peak of a schedule), or auto: the LR range "
        "test's suggestion on the fresh model, recorded in config.json",
    )
    group.add_argument(
        "--schedule",
        choices=flags.SCHEDULES,
        default="constant",
        help="learning-rate schedule over the whole run; one-cycle also "
        "cycles the momentum of momentum, nesterov, adam and adamw",
    )
    group.add_argument(
        "--warmup-epochs",
        type=flags.non_negative_int,
        default=None,
        metavar="N",
        help="linear warm-up epochs (default: none; one-cycle: 25%% of the "
        "epochs)",
    )
    group.add_argument(
        "--accumulate",
        type=flags.positive_int,
        default=1,
        metavar="N",
        help="update the weights every N batches with their mean gradient "
        "(an effective batch of N x --batch-size in the memory of one)",
    )
    group.add_argument(
        "--reduce-lr-on-plateau",
        type=flags.positive_int,
        default=None,
        metavar="PATIENCE",
        help="Keras' ReduceLROnPlateau: lr x 0.1 after PATIENCE epochs "
        "without a lower validation loss (constant schedule only)",
    )
    group.add_argument(
        "--early-stopping",
        type=flags.positive_int,
        default=None,
        metavar="PATIENCE",
        help="Keras' EarlyStopping: stop after PATIENCE epochs without a "
        "lower validation loss",
    )


def check_args(args):
    """The checks argparse cannot make, before any work; `ValueError`."""
    if args.reduce_lr_on_plateau and args.schedule != "constant":
        raise UsageError(
            "`--reduce-lr-on-plateau` changes a constant learning rate, not "
            f"the {args.schedule!r} schedule. Received: --schedule "
            f"{args.schedule} --reduce-lr-on-plateau "
            f"{args.reduce_lr_on_plateau}"
        )
    if args.reduce_lr_on_plateau and args.warmup_epochs:
        raise UsageError(
            "`--reduce-lr-on-plateau` changes a constant learning rate, not "
            "one with a warm-up. Received: --warmup-epochs "
            f"{args.warmup_epochs} --reduce-lr-on-plateau "
            f"{args.reduce_lr_on_plateau}"
        )
    if args.warmup_epochs is not None and args.warmup_epochs >= args.epochs:
        raise UsageError(
            f"`--warmup-epochs` must be below `--epochs` ({args.epochs}). "
            f"Received: --warmup-epochs {args.warmup_epochs}"
        )


def learning_rate(args, data, recorded: dict | None):
    """`--lr`, or for `auto` the LR range test's suggestion.

    Args:
        args: the parsed flags.
        data: the loaded `keras_training_kit.data.Dataset`.
        recorded: dict or `None`, the `"lr_auto"` entry of an earlier
            start's `config.json` (a resumed run reuses its learning rate).

    Returns:
        `(learning_rate, record)`: the float, and for `auto` the dict to
        record in `config.json` (else `None`).
    """
    if args.lr != "auto":
        return args.lr, None
    if recorded:
        return recorded["learning_rate"], recorded
    import keras

    from keras_training_kit.cli import model_flags
    from keras_training_kit.data import batched_splits
    from keras_training_kit.tuning import LRFinder

    # A model of its own, on pipelines of their own: the training model and
    # data order are those of a resumed run, which skips the test.
    probe = model_flags.build_model(args, data, learning_rate=1e-3)
    train, _, _ = batched_splits(data, args.batch_size, seed=args.seed)
    result = LRFinder(probe, num_steps=_RANGE_TEST_STEPS, **_RANGE_TEST).find(
        train
    )
    keras.utils.set_random_seed(args.seed)
    suggestion = result.suggested_learning_rate
    if suggestion is None:
        raise RunFailed(
            "`--lr auto`: the LR range test saw no finite loss; pass a "
            "learning rate with `--lr`."
        )
    record = {
        "learning_rate": float(suggestion),
        "rule": result.suggestion,
        "suggestions": dict(result.suggestions),
        "range": [_RANGE_TEST["min_learning_rate"], result.learning_rates[-1]],
        "steps": len(result.learning_rates),
        "batch_size": args.batch_size,
    }
    return float(suggestion), record


def build_optimizer(args, learning_rate: float, steps_per_epoch: int):
    """The optimizer of the flags, and its `OneCycle` schedule or `None`.

    Args:
        args: the parsed flags.
        learning_rate: float, the (peak) learning rate.
        steps_per_epoch: int, the batches of one epoch.

    Returns:
        `(optimizer, one_cycle)`: a `keras.optimizers.Optimizer` whose
        learning rate follows `--schedule` over `--epochs`, updating every
        `--accumulate` batches; `one_cycle` is its schedule for
        `--schedule one-cycle`, else `None`.
    """
    from keras_training_kit.optimizers import build_optimizer
    from keras_training_kit.schedules import OneCycle
    from keras_training_kit.schedules import build_schedule

    # Keras gives a schedule the batch count, with accumulation too.
    warmup = args.warmup_epochs
    schedule = build_schedule(
        args.schedule,
        learning_rate,
        max(args.epochs * steps_per_epoch, 2),
        warmup_steps=None if warmup is None else warmup * steps_per_epoch,
    )
    optimizer = build_optimizer(
        args.optimizer,
        schedule,
        gradient_accumulation_steps=args.accumulate,
    )
    return optimizer, schedule if isinstance(schedule, OneCycle) else None


def accumulation_note(args, steps_per_epoch: int) -> str | None:
    """What `--accumulate` does to a run whose batches do not divide by it.

    Keras counts batches over the whole fit and updates every N-th: an
    update may average the last batches of one epoch with the first of the
    next, and the last `batches % N` of the run are never applied.

    Returns:
        A line to print, or `None` when every update is whole.
    """
    left = args.epochs * steps_per_epoch % args.accumulate
    if args.accumulate == 1 or steps_per_epoch % args.accumulate == 0:
        return None
    return (
        f"--accumulate {args.accumulate}: {steps_per_epoch} batches per epoch "
        f"are not a multiple of {args.accumulate}, so some updates average "
        f"batches of two epochs"
        + (
            f", and the run's last {left} batch(es) are not applied"
            if left
            else ""
        )
        + " (Keras' accumulation). A --batch-size that makes the batches a "
        "multiple avoids it."
    )


def callbacks(
    args, model, one_cycle, rows, learning_rate: float, monitor: str
) -> list:
    """The callbacks of the flags, attached to `model`.

    `OneCycleMomentum` (for one-cycle with an optimizer that has momentum)
    is attached at once, so a checkpoint of such a run loads into the
    model's optimizer. `ReduceLROnPlateau` and `EarlyStopping` watch
    `monitor` and replay the finished epochs' `rows` (see
    `resume.Replayed`).

    Returns:
        A list of `keras.callbacks.Callback`s.
    """
    import keras

    from keras_training_kit.cli import resume
    from keras_training_kit.optimizers import MOMENTUM_OPTIMIZERS
    from keras_training_kit.schedules import OneCycleMomentum

    chosen = []
    if one_cycle is not None and args.optimizer in MOMENTUM_OPTIMIZERS:
        cycle = OneCycleMomentum(one_cycle)
        cycle.set_model(model)
        chosen.append(cycle)
    if args.reduce_lr_on_plateau:
        plateau = keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.1, patience=args.reduce_lr_on_plateau
        )
        chosen.append(resume.Replayed(plateau, rows, learning_rate))
    if args.early_stopping:
        stopping = keras.callbacks.EarlyStopping(
            monitor=monitor, patience=args.early_stopping
        )
        chosen.append(resume.Replayed(stopping, rows, learning_rate))
    return chosen


def stopped_early(chosen) -> bool:
    """Whether a replayed `EarlyStopping` had already stopped the run."""
    import keras

    from keras_training_kit.cli import resume

    return any(
        isinstance(c, resume.Replayed)
        and isinstance(c.callback, keras.callbacks.EarlyStopping)
        and c.rows
        and c.replay()
        for c in chosen
    )


def curve_events(args, history: dict, chosen) -> dict:
    """The events `curves.png` marks, as `plot_training_curves` takes them.

    `--reduce-lr-on-plateau`'s cuts sit between the epochs whose logged
    learning rates differ; `--early-stopping` marks its best epoch when it
    stopped the run.

    Returns:
        A dict `{label: [epochs, counted from 1]}`.
    """
    import keras

    events = {}
    rates = history.get("learning_rate", [])
    cuts = [i + 0.5 for i in range(1, len(rates)) if rates[i] < rates[i - 1]]
    if args.reduce_lr_on_plateau and cuts:
        events["learning rate x0.1 (plateau)"] = cuts
    for callback in chosen:
        callback = getattr(callback, "callback", callback)
        if (
            isinstance(callback, keras.callbacks.EarlyStopping)
            and callback.stopped_epoch
        ):
            label = (
                f"early stopping: best epoch {callback.best_epoch + 1}, "
                f"stopped after {callback.stopped_epoch + 1}"
            )
            events[label] = [callback.best_epoch + 1]
    return events
