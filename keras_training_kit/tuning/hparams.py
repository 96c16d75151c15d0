"""A search in TensorBoard's HParams dashboard: runs, stages, `pruned`.

Pass `keras.callbacks.TensorBoard(log_dir)` in `search(callbacks=...)`:
each trial logs to its own run, `<log_dir>/<trial_id>/execution0`, with an
HParams session holding its hyperparameters (KerasTuner's layout, here
under every Keras backend, see `keras_tuner_compat.TensorBoardRuns`), and
at its end the scalars `pruned` (1.0 when a pruner stopped it, else 0.0)
and `epochs_run`, which the dashboard lists as metrics next to Keras'
`epoch_accuracy`, `epoch_loss`, ... of the `train` and `validation`
groups. Coarse-to-fine stages log to `<log_dir>/stage_<k>` (their trial
ids restart at 0), each trial's session group named `stage_<k>/<trial_id>`.
Open it with `tensorboard --logdir <log_dir>`.

Keras' `TensorBoard` callback and the HParams summaries write with
`tf.summary`: TensorFlow must be installed, whatever the backend.
"""

import copy
import os

import keras

from keras_training_kit.tuning.trials import PRUNED

EPOCHS_RUN = "epochs_run"
"""The scalar holding the epochs a trial trained (its last value)."""


def is_tensorboard(callback) -> bool:
    """Whether KerasTuner treats `callback` as a TensorBoard callback.

    KerasTuner recognizes one by its class name, `TensorBoard`.
    """
    return type(callback).__name__ == "TensorBoard"


def stage_callbacks(callbacks: list | None, stage: str) -> list:
    """`callbacks` for a coarse-to-fine stage: TensorBoard in a subfolder.

    Each TensorBoard callback is copied with its `log_dir` moved to
    `<log_dir>/<stage>`; the other callbacks are passed as they are.

    Args:
        callbacks: list of Keras callbacks, or `None`.
        stage: str, the stage's folder name (`"stage_1"`, ...).

    Returns:
        A new list of callbacks.

    Example:

    >>> tensorboard = keras.callbacks.TensorBoard("logs")
    >>> stage_callbacks([tensorboard], "stage_2")[0].log_dir
    'logs/stage_2'
    """
    staged = []
    for callback in callbacks or []:
        if is_tensorboard(callback):
            callback = copy.deepcopy(callback)
            callback.log_dir = os.path.join(str(callback.log_dir), stage)
        staged.append(callback)
    return staged


class TrialSummary(keras.callbacks.Callback):
    """Writes a trial's `pruned` and `epochs_run` scalars when `fit` ends.

    The scalars go to the trial's run folder (the HParams session's), so
    the dashboard lists them as metrics of the session group `""`; their
    step is the last epoch trained (0-based, as Keras' `epoch_*` scalars).

    Args:
        log_dir: str, the trial's run folder.
        pruned: callable without arguments, whether a pruner stopped the
            trial, asked when `fit` ends.

    Example:

    >>> import tempfile
    >>> summary = TrialSummary(tempfile.mkdtemp(), lambda: False)
    """

    def __init__(self, log_dir: str, pruned):
        super().__init__()
        self.log_dir = log_dir
        self.pruned = pruned
        self._epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self._epochs = epoch + 1

    def on_train_end(self, logs=None):
        import tensorflow as tf

        step = max(self._epochs - 1, 0)
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            tf.summary.scalar(PRUNED, float(bool(self.pruned())), step=step)
            tf.summary.scalar(EPOCHS_RUN, float(self._epochs), step=step)
        writer.close()
