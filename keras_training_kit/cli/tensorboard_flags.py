"""`ktk tune --tensorboard DIR`: the search in TensorBoard's HParams dashboard.

The flag, its checks before any work and the callback it stands for: Keras'
`TensorBoard(DIR)` in `search(callbacks=...)`, which gives each trial a run
`DIR/<trial_id>/execution0` (coarse-to-fine: `DIR/stage_<k>/...`) with its
hyperparameters and `pruned`/`epochs_run` metrics (see
`keras_training_kit.tuning.hparams`). The folder is not part of the
search's `config.json`: a resumed search may log elsewhere, or not at all.
Importing this module does not import TensorFlow.
"""

import importlib.util
import os

from keras_training_kit.cli import flags
from keras_training_kit.cli.errors import UsageError


def add_argument(group):
    """Adds `--tensorboard` to an argparse group."""
    group.add_argument(
        "--tensorboard",
        metavar="DIR",
        default=None,
        help="also log every trial to TensorBoard in DIR (coarse-to-fine: "
        "DIR/stage_1, ...): its HParams dashboard lists each trial's "
        "hyperparameters, scores, epochs and `pruned`; open it with "
        "`tensorboard --logdir DIR`",
    )


def _tensorflow_installed() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def check_args(args) -> None:
    """Refuses a `--tensorboard` folder that this search cannot log to.

    It must be writable, TensorFlow must be installed (Keras' TensorBoard
    callback writes with `tf.summary`, whatever the backend), and a search
    that does not resume (`--overwrite` included) needs a new or empty
    folder, or one inside `--output-dir` that `--overwrite` deletes: its
    trial ids start at 0 again, and another search's runs of the same ids
    would merge with its own in the dashboard.

    Raises:
        UsageError: naming the flag, what is allowed and the value given.
    """
    folder = args.tensorboard
    if folder is None:
        return
    flags.check_output_dir(folder, "--tensorboard")
    if not _tensorflow_installed():
        import keras

        backend = keras.backend.backend()
        raise UsageError(
            "`--tensorboard` needs TensorFlow installed (Keras' TensorBoard "
            "callback writes with tf.summary, under any Keras backend): "
            "install `tensorflow`, or leave out `--tensorboard`. Received: "
            f"--tensorboard={folder} with KERAS_BACKEND={backend}"
        )
    if _may_hold_runs(args) or not os.path.isdir(folder):
        return
    if os.listdir(folder):
        raise UsageError(
            "`--tensorboard` must be a new or empty folder for a new search "
            "(`--overwrite` deletes only `--output-dir`): its trial ids start "
            "at 0, and another search's runs in the folder would merge with "
            "its own. Give another folder, or the one of the search this "
            f"command resumes. Received: --tensorboard={folder}"
        )


def _may_hold_runs(args) -> bool:
    """Whether the folder may already hold this search's runs: the search
    resumes, or `--overwrite` deletes the folder with `--output-dir`."""
    output_dir = os.path.abspath(args.output_dir)
    if args.overwrite:
        folder = os.path.abspath(args.tensorboard)
        return os.path.commonpath([folder, output_dir]) == output_dir
    return os.path.exists(os.path.join(output_dir, "config.json"))


def callbacks(args) -> list:
    """The callbacks that `--tensorboard` stands for (none without it)."""
    if args.tensorboard is None:
        return []
    import keras

    return [keras.callbacks.TensorBoard(args.tensorboard)]
