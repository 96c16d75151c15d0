"""Constant, cosine and one-cycle learning rates on the same CNN, in Python.

Each run starts from the same weights, sees the same batches and trains for
the same epochs; only the learning rate over time differs. One-cycle also
cycles Adam's beta_1 (0.95 -> 0.85 -> 0.95) with `OneCycleMomentum`. From
the command line: `ktk train --schedule one-cycle --lr 1e-2 --epochs 3`.
Run: python examples/schedules.py [--epochs 3 --lr 1e-2]
"""

import argparse

import keras

from keras_training_kit.data import batched_splits
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import compile_classifier
from keras_training_kit.optimizers import build_optimizer
from keras_training_kit.schedules import OneCycle
from keras_training_kit.schedules import OneCycleMomentum
from keras_training_kit.schedules import build_schedule

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--lr", type=float, default=1e-2)
args = parser.parse_args()

data = load_dataset("digits", validation_split=0.1, seed=0)
train, validation, test = batched_splits(data, 32, seed=0)
steps = args.epochs * int(train.cardinality())
keras.utils.set_random_seed(0)
initial = build_cnn(data.input_shape, data.num_classes, filters=(16, 32))
start = initial.get_weights()

print(f"{'schedule':<10} {'val acc':>8} {'test acc':>9} {'test loss':>10}")
for name in ("constant", "cosine", "one-cycle"):
    schedule = build_schedule(name, args.lr, steps)
    model = keras.models.clone_model(initial)
    model.set_weights(start)
    compile_classifier(model, optimizer=build_optimizer("adam", schedule))
    callbacks = []
    if isinstance(schedule, OneCycle):
        callbacks.append(OneCycleMomentum(schedule))
    history = model.fit(
        train,
        validation_data=validation,
        epochs=args.epochs,
        callbacks=callbacks,
        shuffle=False,  # batched_splits shuffles
        verbose=0,
    )
    loss, accuracy = model.evaluate(test, verbose=0)
    print(
        f"{name:<10} {history.history['val_accuracy'][-1]:>8.4f} "
        f"{accuracy:>9.4f} {loss:>10.4f}"
    )
