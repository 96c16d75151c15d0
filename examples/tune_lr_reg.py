"""Tune the learning rate and L2 strength with plain KerasTuner, in log space.

A script to copy: it uses only KerasTuner and Keras (plus this package's
`build_cnn` and data loader, both easy to swap for your own model and data).

    python examples/tune_lr_reg.py

Both hyperparameters act multiplicatively, so they are sampled uniformly in
log space (`sampling="log"`): each decade of [1e-5, 1e-1] gets a quarter of
the trials, instead of 90% of them landing above 1e-2. Run it again and the
tuner reloads `tune_lr_reg/cnn_digits` and runs only the missing trials;
`overwrite=True` starts afresh.
"""

import math
import time

import keras
import keras_tuner

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn


def build_model(hp):
    learning_rate = hp.Float("learning_rate", 1e-5, 1e-1, sampling="log")
    l2 = hp.Float("l2", 1e-6, 1e-1, sampling="log")
    model = build_cnn((8, 8, 1), 10, filters=(16, 32), l2=l2)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def main():
    data = load_dataset("digits")
    train = data.train.shuffle(2000, seed=0).batch(32)
    validation = data.validation.batch(256)
    tuner = keras_tuner.RandomSearch(
        build_model,
        objective="val_accuracy",
        max_trials=12,
        seed=1,
        directory=f"runs/example-tune-lr-reg-{time.strftime('%Y%m%d-%H%M%S')}",
        project_name="cnn_digits",
    )
    tuner.search(
        train,
        validation_data=validation,
        epochs=5,
        # Stop a trial whose loss is NaN (a learning rate far too high).
        callbacks=[keras.callbacks.TerminateOnNaN()],
        verbose=0,
    )
    print("trial  learning_rate        l2  val_accuracy")
    for trial in tuner.oracle.get_best_trials(num_trials=12):
        values = trial.hyperparameters.values
        print(
            f"{trial.trial_id:>5}  {values['learning_rate']:13.3g}  "
            f"{values['l2']:8.3g}  {trial.score:12.4f}"
        )
    best = tuner.get_best_hyperparameters()[0].values
    # CS231n's check: a best value near the edge of its (log) range
    # means the range should be widened on that side.
    for name, (low, high) in {
        "learning_rate": (1e-5, 1e-1),
        "l2": (1e-6, 1e-1),
    }.items():
        position = math.log(best[name] / low) / math.log(high / low)
        if position < 0.1 or position > 0.9:
            print(
                f"warning: best {name}={best[name]:.3g} is at the edge of "
                f"[{low}, {high}]"
            )
    print(f"best: {best}")


if __name__ == "__main__":
    main()
