"""`ktk train`'s resume: one atomic checkpoint per finished epoch.

Keras' `BackupAndRestore` writes the weights, then `training_metadata.json`,
each in place, and deletes its folder file by file at the end of training:
a kill between two of those writes resumes from the wrong epoch or trains
nothing. Here a finished epoch `k` is committed by one rename that puts
`backup/epoch-00000k.npz` (the model's and the optimizer's variables: the
weights, the optimizer state and its step counter) into place, so the epoch
number and the weights it belongs to appear together or not at all; older
checkpoints are deleted afterwards. The variables are written by path with
`numpy.savez` (a few milliseconds for digits' CNN, where Keras'
`save_weights` takes ~30 ms and its first call ~170 ms: a large share of a
short run's epochs); a checkpoint of an earlier 0.1.0 build,
`epoch-00000k.weights.h5`, still restores.

The batches must not depend on how often the dataset was iterated (Keras
creates iterators per epoch as it sees fit): `epoch_stream` turns the
training split into one repeated stream that `fit` reads with a single
iterator, and a resumed run skips the finished epochs' batches of it.

Keras does not save the state of `keras.random.SeedGenerator`s (Dropout,
noise layers) with the weights, so a resumed epoch would draw other dropout
masks than the uninterrupted run. `EpochCheckpoint` therefore starts every
epoch's seed generators from a state derived from the epoch number.
"""

import os
import re

import keras
import numpy as np

from keras_training_kit import run_files

_SEED_STATE = "seed_generator_state"
_PATTERN = re.compile(r"^epoch-(\d+)\.(npz|weights\.h5)$")


def checkpoint_path(backup_dir: str, epoch: int) -> str:
    """The path of the checkpoint taken after `epoch` finished epochs."""
    return os.path.join(backup_dir, f"epoch-{epoch:06d}.npz")


def _variables(model) -> list:
    """The model's variables, then its optimizer's (once built); not the
    seed generators' states, which `EpochCheckpoint` sets at each epoch
    from their states before training."""
    optimizer = model.optimizer
    variables = list(model.variables) + (
        list(optimizer.variables) if optimizer is not None else []
    )
    return [v for v in variables if v.name != _SEED_STATE]


def _describe(variables) -> list:
    """Each variable as `"dtype shape"`: what a checkpoint is checked by.
    Not by name: a process that built another model or optimizer before
    (`--lr auto`) names its layers and slots `dense_1`, `sgd_1`."""
    return [f"{v.dtype} {tuple(v.shape)}" for v in variables]


def save_checkpoint(model, path: str) -> None:
    """Writes the model's and its optimizer's variables to `path` (`.npz`),
    atomically."""
    variables = _variables(model)
    arrays = {
        f"v{index}": keras.ops.convert_to_numpy(variable)
        for index, variable in enumerate(variables)
    }
    paths = np.array(_describe(variables))
    with run_files.atomic_path(path) as temporary:
        with open(temporary, "wb") as file:
            np.savez(file, paths=paths, **arrays)


def latest_checkpoint(backup_dir: str):
    """Returns `(epochs, path)` of the newest checkpoint, or `(0, None)`."""
    if not os.path.isdir(backup_dir):
        return 0, None
    found = {
        int(match.group(1)): match.group(0)
        for match in map(_PATTERN.match, sorted(os.listdir(backup_dir)))
        if match
    }
    if not found:
        return 0, None
    return max(found), os.path.join(backup_dir, found[max(found)])


def epoch_stream(train, finished_epochs: int = 0):
    """Returns `(stream, steps_per_epoch)` for `fit(stream, steps_per_epoch)`.

    The stream is `train` repeated (each pass reshuffled and re-augmented as
    `train` does on a new iteration) with the batches of the first
    `finished_epochs` passes skipped, so a resumed epoch `k` trains on the
    batches of an uninterrupted run's epoch `k`. Skipping reads (and
    augments) the finished epochs' data again, without training on it.
    """
    import tensorflow as tf

    steps = int(train.cardinality())
    if steps == tf.data.INFINITE_CARDINALITY:
        raise ValueError("The training dataset must be finite.")
    if steps < 0:  # unknown: count the batches of one pass
        steps = int(train.reduce(0, lambda count, _: count + 1))
    stream = train.repeat()
    if finished_epochs:
        stream = stream.skip(finished_epochs * steps)
    return stream, steps


def restore(model, path: str) -> None:
    """Loads a checkpoint into a compiled model, optimizer state included.

    Raises:
        ValueError: when the checkpoint holds other variables than the
            model and its optimizer (another model or optimizer).
    """
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if path.endswith(".weights.h5"):
        model.load_weights(path)
        return
    variables = _variables(model)
    with np.load(path) as saved:
        paths = [str(name) for name in saved["paths"]]
        expected = _describe(variables)
        if paths != expected:
            raise ValueError(
                f"The checkpoint {path} holds the variables of another model "
                f"or optimizer. Saved: {paths}; this model: {expected}"
            )
        for index, variable in enumerate(variables):
            variable.assign(saved[f"v{index}"])


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves an atomic checkpoint at the end of every epoch.

    At the start of epoch `k` every seed generator of the model is set to its
    state before training plus `k * 2**20` steps, so epoch `k` draws the same
    random numbers whether the run was resumed or not.

    Args:
        backup_dir: str, the folder of the checkpoints.
    """

    def __init__(self, backup_dir: str):
        super().__init__()
        self.backup_dir = backup_dir
        self._seed_states = []

    def on_train_begin(self, logs=None):
        # A resumed run builds the model afresh with the same seed, so these
        # are the uninterrupted run's states before its first epoch too.
        self._seed_states = [
            (variable, keras.ops.convert_to_numpy(variable))
            for variable in self.model.variables
            if variable.name == _SEED_STATE
        ]

    def on_epoch_begin(self, epoch, logs=None):
        for variable, initial in self._seed_states:
            offset = np.array([0, epoch << 20], dtype=initial.dtype)
            variable.assign(initial + offset)

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        save_checkpoint(self.model, checkpoint_path(self.backup_dir, epoch + 1))
        for name in sorted(os.listdir(self.backup_dir)):
            match = _PATTERN.match(name)
            if match and int(match.group(1)) < epoch + 1:
                os.remove(os.path.join(self.backup_dir, name))


class Replayed(keras.callbacks.Callback):
    """Runs a Keras callback whose state follows from the logged epochs.

    `ReduceLROnPlateau` and `EarlyStopping` count epochs without
    improvement in attributes that no checkpoint holds, and reset them in
    `on_train_begin`. A resumed run replays the finished epochs' logs (the
    rows of `history.csv`) through the callback right after that reset,
    against a stand-in model whose optimizer starts at the run's first
    learning rate, so the counters, the best value and the learning-rate
    decisions are those of the uninterrupted run. The model's own learning
    rate is already right: it is part of the checkpoint.

    Args:
        callback: a `keras.callbacks.Callback` that reads only the logs and
            the optimizer's learning rate (`ReduceLROnPlateau`,
            `EarlyStopping` without `restore_best_weights`).
        rows: list of dicts, the logs of the finished epochs, in order.
        learning_rate: float, the learning rate the run started with.
    """

    def __init__(self, callback, rows, learning_rate: float):
        super().__init__()
        self.callback = callback
        self.rows = [dict(row) for row in rows]
        self.learning_rate = float(learning_rate)

    def replay(self) -> bool:
        """Replays the rows; returns whether the callback stopped training."""
        import types

        stand_in = types.SimpleNamespace(
            optimizer=types.SimpleNamespace(learning_rate=self.learning_rate),
            stop_training=False,
        )
        self.callback.set_model(stand_in)
        for epoch, row in enumerate(self.rows):
            self.callback.on_epoch_end(epoch, dict(row))
        return bool(stand_in.stop_training)

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def on_train_begin(self, logs=None):
        self.callback.on_train_begin(logs)
        if self.rows:
            self.replay()
            self.callback.set_model(self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self.callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.callback.on_train_end(logs)
