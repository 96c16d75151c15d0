"""A tiny search run as its own process by the distributed test.

Usage: python search_process.py DIRECTORY MAX_TRIALS COUNT_FILE [RESULT_FILE]

Every `model.fit` appends a line to COUNT_FILE, so a test can count how many
trials really trained. With RESULT_FILE the results table is written there
as JSON (the chief / a plain run).

With `KTK_TEST_PRUNE=1` in the environment the search prunes: trials of 3
epochs of 16 steps from the same initial weights,
`MedianPruner(n_startup_trials=1)`, learning rates in [1e-8, 1e-1] drawn
with seed 24 (KerasTuner's random oracle draws trial k with seed 24 + k:
1e-3, 2e-3, 6e-8, 6e-5, 3e-8, ...), and every trained epoch appends a line
to COUNT_FILE + ".epochs".
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402


class CountFits(keras.callbacks.Callback):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_begin(self, logs=None):
        with open(self.path, "a") as f:
            f.write(f"{os.environ.get('KERASTUNER_TUNER_ID', 'tuner0')}\n")

    def on_epoch_end(self, epoch, logs=None):
        with open(self.path + ".epochs", "a") as f:
            f.write(f"{epoch}\n")


def tiny_search(directory, max_trials, count_file, **kwargs):
    from keras_training_kit.data import load_dataset
    from keras_training_kit.tuning import MedianPruner
    from keras_training_kit.tuning import TrainingHyperModel
    from keras_training_kit.tuning import search

    data = load_dataset("digits", validation_split=0.2)
    options = dict(
        learning_rate=(1e-3, 1e-2), examples=256, batch_size=128, seed=None
    )
    if os.environ.get("KTK_TEST_PRUNE"):
        options = dict(
            learning_rate=(1e-8, 1e-1), examples=1024, batch_size=64, seed=0
        )
        kwargs.update(
            epochs=3, seed=24, pruner=MedianPruner(n_startup_trials=1)
        )
    hypermodel = TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        learning_rate=options["learning_rate"],
        builder_kwargs={"hidden_units": (8,)},
        seed=options["seed"],
    )
    kwargs.setdefault("epochs", 1)
    return search(
        hypermodel,
        data.train.take(options["examples"]).batch(options["batch_size"]),
        data.validation.take(128).batch(128),
        strategy="random",
        max_trials=max_trials,
        directory=directory,
        callbacks=[CountFits(count_file)],
        **kwargs,
    )


def _poll_chief_faster():
    """Makes the chief notice finished workers within 0.2 s instead of 20 s.

    Once a worker is told to stop, KerasTuner's chief re-checks the other
    workers every 20 s (`oracle_chief.start_server`); a test need not wait.
    """
    import time
    import types

    from keras_tuner.src.distribute import oracle_chief

    oracle_chief.time = types.SimpleNamespace(
        sleep=lambda seconds: time.sleep(min(seconds, 0.2))
    )


if __name__ == "__main__":
    directory, max_trials, count_file = (
        sys.argv[1],
        int(sys.argv[2]),
        sys.argv[3],
    )
    if os.environ.get("KERASTUNER_TUNER_ID") == "chief":
        _poll_chief_faster()
    result = tiny_search(directory, max_trials, count_file, verbose=1)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            json.dump(result.rows, f)
