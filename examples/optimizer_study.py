"""CS231n's optimizer comparison on 2-D surfaces and the digits set.

Runs sgd, momentum, nesterov, adagrad, rmsprop and adam on a ravine, a
saddle and a local minimum (one learning rate per surface), and trains a
small MLP on digits with each, at the learning rate of its own LR range
test. Prints the final losses and winners and saves the figure.

    python examples/optimizer_study.py       # or: ktk optimizer-study
"""

import time

from keras_training_kit.babysitting import run_optimizer_study
from keras_training_kit.data import load_dataset
from keras_training_kit.plotting import plot_optimizer_study

study = run_optimizer_study(
    steps=60, dataset=load_dataset("digits"), train_steps=100
)
print(study.summary())
lengths = study.step_lengths("ravine", "adagrad")
print(f"AdaGrad's steps on the ravine: {lengths[0]:.3g} -> {lengths[-1]:.3g}")

folder = f"runs/example-optimizer-study-{time.strftime('%Y%m%d-%H%M%S')}"
study.to_csv(f"{folder}/optimizer_study.csv")  # CSV: the figure's data
print(
    plot_optimizer_study(
        **study.figure_data(), path=f"{folder}/optimizer_study.png"
    )
)
