"""CS231n's initialization study, forward and backward, in 10 layers.

Runs the six configurations (tanh with 0.01 * randn, 1.0 * randn and Xavier;
ReLU with Xavier, He and LSUV), prints the per-layer standard deviations of
the activations and of the back-propagated gradient (a unit-normal gradient
fed in at the last layer), and draws the histogram grid with the gradient
row.

    python examples/init_study.py            # or: ktk init-study
"""

import time

from keras_training_kit.babysitting import run_init_study
from keras_training_kit.plotting import plot_init_study

study = run_init_study(seed=0)
for row in study["rows"]:
    for key, label in (("std", "activation std"), ("backprop_std", "grad std")):
        values = " ".join(f"{layer[key]:8.2g}" for layer in row["layers"])
        print(f"{row['name']:16} {label:>14} {values}")

# The study is plain data: the figure could be redrawn from the saved JSON
# of `ktk init-study`.
print(
    plot_init_study(
        study,
        "runs/example-init-study-"
        f"{time.strftime('%Y%m%d-%H%M%S')}/init_study.png",
    )
)
