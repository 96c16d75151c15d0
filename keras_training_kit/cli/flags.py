"""The command line's shared flags and their checks, made before any work.

Every type here is an argparse `type=`: a bad value stops `ktk` while it
parses the command line, before anything is loaded, built or written, with
argparse's one-line error naming the flag, e.g. `ktk train: error: argument
--lr: must be a finite float > 0. Received: '-1'`. Checks that need more than
the text (the output folder, the data set name) are the functions below;
commands call them first in `run`.
"""

import argparse
import math
import os

from keras_training_kit.cli.errors import RunFailed
from keras_training_kit.cli.errors import UsageError

# `keras_training_kit.optimizers.OPTIMIZERS` and the builders' normalizations,
# spelled out so `ktk --help` does not import TensorFlow (a test checks that
# both agree).
OPTIMIZERS = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
)
NORMALIZATIONS = ("none", "batch", "layer")
# `keras_training_kit.schedules.SCHEDULES`, for the same reason.
SCHEDULES = ("constant", "step", "exponential", "cosine", "one-cycle")


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number. Received: {text!r}"
        ) from None


def positive_float(text):
    """A finite float > 0 (learning rates)."""
    value = _float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite float > 0. Received: {text!r}"
        )
    return value


def non_negative_float(text):
    """A finite float >= 0 (penalty factors)."""
    value = _float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite float >= 0. Received: {text!r}"
        )
    return value


def fraction(text):
    """A float in [0, 1) (rates, splits)."""
    value = _float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a float in [0, 1). Received: {text!r}"
        )
    return value


def learning_rate(text):
    """A finite float > 0, or `auto` (the LR range test's suggestion)."""
    if text.strip() == "auto":
        return "auto"
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a finite float > 0 or auto. Received: {text!r}"
        ) from None


def non_negative_int(text):
    """An int >= 0 (counts that may be zero)."""
    if text.strip() == "0":
        return 0
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be an int >= 0. Received: {text!r}"
        ) from None


def positive_int(text):
    """An int >= 1 (counts)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or str(value) != text.strip().lstrip("+"):
        raise argparse.ArgumentTypeError(
            f"must be an int >= 1. Received: {text!r}"
        )
    return value


def _items(text):
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise argparse.ArgumentTypeError(
            f"must be a comma-separated list without empty items. "
            f"Received: {text!r}"
        )
    return items


def _list_of(convert, text, allowed):
    try:
        return [convert(item) for item in _items(text)]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated {allowed}. Received: {text!r}"
        ) from None


def positive_int_list(text):
    """Comma-separated ints >= 1 (layer widths)."""
    return _list_of(positive_int, text, "ints >= 1, such as 256,128")


def fraction_list(text):
    """Comma-separated floats in [0, 1)."""
    return _list_of(fraction, text, "floats in [0, 1), such as 0,0.2")


def choice_list(choices):
    """An argparse type: comma-separated names, each one of `choices`."""

    def convert(text):
        items = _items(text)
        unknown = [item for item in items if item not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"must be comma-separated names from {', '.join(choices)}. "
                f"Received: {text!r} ({', '.join(map(repr, unknown))} unknown)"
            )
        return items

    convert.__name__ = "name list"  # argparse's fallback message
    return convert


def log_range(text):
    """`MIN,MAX` with finite 0 < MIN <= MAX (a log-scale search range)."""
    items = text.split(",")
    try:
        low, high = (positive_float(item) for item in items)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"must be MIN,MAX with finite 0 < MIN <= MAX, such as 1e-4,1e-1. "
            f"Received: {text!r}"
        ) from None
    if low > high:
        raise argparse.ArgumentTypeError(
            f"must be MIN,MAX with MIN <= MAX. Received: {text!r}"
        )
    return [low, high]


def add_seed_argument(
    group,
    help: str = "seeds the weights, the data split and the order of the "
    "batches",
):
    """Adds `--seed` (an int >= 0, default 0) with `help`."""
    group.add_argument("--seed", type=non_negative_int, default=0, help=help)


def add_batch_size_argument(
    group, help: str = "examples per training step", default=32
):
    """Adds `--batch-size` (an int >= 1, default `default`) with `help`."""
    group.add_argument(
        "--batch-size", type=positive_int, default=default, help=help
    )


def add_output_arguments(group, holds: str, overwrite: str | None = None):
    """Adds `--output-dir` (the folder that `holds` says) and, where
    `overwrite` says what it deletes, `--overwrite`."""
    group.add_argument(
        "--output-dir",
        default=None,
        help=f"{holds} (default: a new folder under runs/)",
    )
    if overwrite:
        group.add_argument("--overwrite", action="store_true", help=overwrite)


def add_verbose_argument(group, help: str | None = None, default: int = 1):
    """Adds `--verbose`: Keras' fit verbosity, 0, 1 or 2, wherever it is."""
    group.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=default,
        help=help
        or "Keras fit verbosity: 0 silent, 1 a progress bar, 2 a line per "
        "epoch",
    )


def add_data_arguments(group, *, validation_split: bool = True):
    """Adds `--dataset`, `--data-dir`, `--download`, `--validation-split`.

    `--validation-split` only where `validation_split` is true.
    """
    group.add_argument(
        "--dataset",
        default="digits",
        help="digits, mnist1d (both offline) or a tensorflow-datasets name",
    )
    group.add_argument(
        "--data-dir",
        default=None,
        help="tensorflow-datasets data directory (default: tfds' own, "
        "~/tensorflow_datasets or $TFDS_DATA_DIR)",
    )
    group.add_argument(
        "--download",
        action="store_true",
        help="download a tensorflow-datasets set that is not in --data-dir "
        "(off: fail at once when it is missing)",
    )
    if validation_split:
        group.add_argument(
            "--validation-split",
            type=fraction,
            default=0.1,
            help="fraction of the training split held out for validation",
        )


def check_dataset(args) -> None:
    """Checks `--dataset` (and loads nothing); raises `ValueError`."""
    from keras_training_kit.data import check_dataset_name

    try:
        check_dataset_name(args.dataset)
    except ValueError as error:
        raise UsageError(f"`--dataset`: {error}") from None


def load_data(args, **kwargs):
    """`load_dataset` from the data flags, with an error naming the flags.

    A failed `--download` (e.g. offline) is `RunFailed`, exit 1: the same
    command may succeed later. A set that is not prepared without
    `--download` stays a usage error (2).
    """
    from keras_training_kit.data import DownloadError
    from keras_training_kit.data import load_dataset

    try:
        return load_dataset(
            args.dataset,
            seed=args.seed,
            data_dir=args.data_dir,
            download=args.download,
            **kwargs,
        )
    except DownloadError as error:
        raise RunFailed(
            f"Could not download the tensorflow-datasets set "
            f"{args.dataset!r} into {error.data_dir!r} (`--data-dir`): "
            f"{error.reason}. Run it where the network is reachable, pass "
            f"`--data-dir` with a folder that holds the set, or use "
            f"--dataset digits or mnist1d (offline)."
        ) from None
    except FileNotFoundError:
        folder = args.data_dir or os.environ.get(
            "TFDS_DATA_DIR", os.path.join("~", "tensorflow_datasets")
        )
        raise UsageError(
            f"The tensorflow-datasets set {args.dataset!r} is not prepared in "
            f"{os.path.expanduser(folder)!r} (`--data-dir`). Prepare it there, "
            f"pass `--data-dir` with the folder that holds it, add "
            f"`--download` to download it, or use --dataset digits or mnist1d "
            f"(offline)."
        ) from None


def new_run_dir(command: str, *names: str) -> str:
    """A new folder `runs/<command>-<names>-<timestamp>` (not yet created).

    The default output of every command: nothing earlier is overwritten. A
    folder of the same second gets a `-2`, `-3`, ... suffix.
    """
    import datetime

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = os.path.join("runs", "-".join([command, *names, stamp]))
    path, number = base, 1
    while os.path.exists(path):
        number += 1
        path = f"{base}-{number}"
    return path


def check_output_dir(
    path: str, flag: str = "--output-dir", *, given=None
) -> None:
    """Checks that `path` is, or can be created as, a writable folder."""
    given = path if given is None else given
    path = os.path.abspath(os.path.expanduser(path))
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(
            f"`{flag}` must be a folder path, but {existing!r} is a file. "
            f"Received: {flag}={given}"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"`{flag}` must be writable, but {existing!r} is not. "
            f"Received: {flag}={given}"
        )


def check_output_file(path: str, flag: str = "--output") -> None:
    """Checks that the file `path` can be written (its folder is checked)."""
    if os.path.isdir(path):
        raise UsageError(
            f"`{flag}` must be a file path, but {path!r} is a folder. "
            f"Received: {flag}={path}"
        )
    check_output_dir(os.path.dirname(os.path.abspath(path)), flag, given=path)
