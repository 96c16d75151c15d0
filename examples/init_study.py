"""The lecture's initialization study: activations across a 10-layer net.

Runs the six configurations (tanh with 0.01 * randn, 1.0 * randn and Xavier;
ReLU with Xavier, He and LSUV), prints the per-layer standard deviations and
draws the per-layer histogram grid.

    python examples/init_study.py            # or: ktk init-study
"""

import time

from keras_training_kit.babysitting import run_init_study
from keras_training_kit.plotting import plot_activation_histograms

study = run_init_study(seed=0)
for row in study["rows"]:
    stds = " ".join(f"{layer['std']:8.2g}" for layer in row["layers"])
    print(f"{row['name']:16} {stds}")

# Histogram counts travel as plain data: the figure could be redrawn from
# the saved JSON of `ktk init-study`.
rows = {
    row["description"]: [
        {**layer["histogram"], "mean": layer["mean"], "std": layer["std"]}
        for layer in row["layers"]
    ]
    for row in study["rows"]
}
print(
    plot_activation_histograms(
        rows,
        "runs/example-init-study-"
        f"{time.strftime('%Y%m%d-%H%M%S')}/init_study.png",
    )
)
