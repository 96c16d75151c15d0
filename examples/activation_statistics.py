"""Babysit a training run: activation statistics, guards and sanity checks.

Runs the checklist of CS231n's "Training Neural Networks" lectures on a
fresh MLP for the embedded digits set, then trains it with
`ActivationStatistics` (CSV, TensorBoard, figures), `DivergenceGuard` and
`OverfittingMonitor`, and prints what they saw.
A second, deliberately bad run (tanh with `1.0 * randn` weights) shows
the saturation warnings.

Run: python examples/activation_statistics.py [output folder]
"""

import logging
import os
import sys
import time

import keras

from keras_training_kit.babysitting import sanity_check
from keras_training_kit.callbacks import ActivationStatistics
from keras_training_kit.callbacks import DivergenceGuard
from keras_training_kit.callbacks import OverfittingMonitor
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
output = (
    sys.argv[1]
    if len(sys.argv) > 1
    else f"runs/example-activation-statistics-{time.strftime('%Y%m%d-%H%M%S')}"
)
keras.utils.set_random_seed(0)
data = load_dataset("digits", validation_split=0.1, seed=0)
train = data.train.cache().shuffle(2048, seed=0).batch(32).prefetch(-1)
validation = data.validation.batch(256)

# 1. CS231n's sanity checks on the untrained model.
model = build_mlp(data.input_shape, data.num_classes, (128, 64, 64), l2=1e-4)
print(sanity_check(model, data.train, data.num_classes).to_text())

# 2. Train with the babysitting callbacks.
compile_classifier(model, learning_rate=1e-3)
stats = ActivationStatistics(
    every_n_steps=20,
    probe_data=data.validation,
    log_dir=os.path.join(output, "tensorboard"),
    csv_path=os.path.join(output, "activation_statistics.csv"),
)
guard = DivergenceGuard(factor=3.0)
gap = OverfittingMonitor(threshold=0.1)
model.fit(
    train,
    validation_data=validation,
    epochs=10,
    verbose=0,
    callbacks=[stats, guard, gap],
)
print(
    f"diverged: {guard.diverged}, train/val accuracy gaps: "
    f"{[round(g, 3) for g in gap.gaps]}"
)
for layer, record in stats.history.items():
    print(
        f"{layer:16} std {record['std'][0]:.3f} -> {record['std'][-1]:.3f}, "
        f"dead {record['dead_fraction'][-1]:.0%}"
    )
print("figures:", stats.save_figures(output))

# 3. A bad initialization: tanh with unit-variance weights saturates.
bad = build_mlp(
    data.input_shape,
    data.num_classes,
    (128, 64, 64),
    activation="tanh",
    kernel_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=0),
)
compile_classifier(bad, learning_rate=1e-3)
bad_stats = ActivationStatistics(every_n_steps=50, probe_data=data.validation)
bad.fit(train, epochs=1, verbose=0, callbacks=[bad_stats])
print("warnings for tanh with 1.0 * randn:")
for message in bad_stats.warnings:
    print("  " + message)
# Each finding carries its fix as Python arguments: rebuild with it.
(saturated,) = [f for f in bad_stats.findings if f.kind == "saturated"][:1]
print("fix:", saturated.fix)  # {'kernel_initializer': 'glorot_normal'}
fixed = build_mlp(
    data.input_shape,
    data.num_classes,
    (128, 64, 64),
    activation="tanh",
    **saturated.fix,
)
compile_classifier(fixed, learning_rate=1e-3)
fixed_stats = ActivationStatistics(every_n_steps=50, probe_data=data.validation)
fixed.fit(train, epochs=1, verbose=0, callbacks=[fixed_stats])
print("findings after the fix:", [f.kind for f in fixed_stats.findings])
