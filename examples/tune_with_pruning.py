"""The same digits search without and with pruning: epochs and best accuracy.

A random search of the learning rate and L2 (10 trials of 6 epochs of a
small MLP) runs twice: without a pruner, and with asynchronous successive
halving (`pruner="asha"`, its defaults: `min_resource` settles on 1 epoch
once a trial completed, and each rung keeps the best quarter), which
judges a trial after its epochs 2 and 5 against the trials that reached
the same epoch before it. Every trial starts from the same weights and
sees the same batches whatever ran before it (`TrainingHyperModel(seed=0)`
and a pipeline made afresh per trial, as `ktk tune` does), so both searches
train the same trials alike and differ only in where the pruned one
stopped them. The table lists each trial's best validation accuracy and
its epochs in both searches.

    python examples/tune_with_pruning.py [--pruner median] [--trials 10]
"""

import argparse
import tempfile

from keras_training_kit.data import batched_splits
from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import search

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--pruner", default="asha", help="median or asha")
parser.add_argument("--trials", type=int, default=10)
parser.add_argument("--epochs", type=int, default=6)
args = parser.parse_args()

data = load_dataset("digits", validation_split=0.1, seed=0)
_, validation, _ = batched_splits(data, 32, seed=0)
hypermodel = TrainingHyperModel(
    "mlp",
    data.input_shape,
    data.num_classes,
    learning_rate=(1e-4, 1e-1),
    l2=(1e-6, 1e-2),
    builder_kwargs={"hidden_units": (64,)},
    seed=0,
)


def train():
    # A new pipeline per trial: the same batches for every trial.
    return batched_splits(data, 32, seed=0)[0]


rows = {}
for pruner in ("none", args.pruner):
    with tempfile.TemporaryDirectory() as directory:
        result = search(
            hypermodel,
            train,
            validation,
            strategy="random",
            max_trials=args.trials,
            epochs=args.epochs,
            directory=directory,
            pruner=pruner,
        )
    rows[pruner] = result.rows

print(
    f"{'trial':>5} {'learning_rate':>13} {'l2':>8} {'best val_accuracy':>17} "
    f"{'epochs':>6} {'with ' + args.pruner:>11}"
)
for row, pruned in zip(rows["none"], rows[args.pruner]):
    status = f"{pruned['epochs_run']} {pruned['status']}"
    print(
        f"{row['trial']:>5} {row['learning_rate']:>13.2g} {row['l2']:>8.2g} "
        f"{row['best_val_accuracy']:>17.4f} {row['epochs_run']:>6} "
        f"{status:>11}"
    )
for pruner, table in rows.items():
    # Pruned trials are never best: the best of the trials that ran fully.
    best = max(
        row["best_val_accuracy"]
        for row in table
        if row["status"] == "completed"
    )
    epochs = sum(row["epochs_run"] for row in table)
    pruned = sum(row["status"] == "pruned" for row in table)
    print(
        f"{pruner}: {epochs} epochs trained, {pruned} of {len(table)} trials "
        f"pruned, best val_accuracy {best:.4f}"
    )
