"""Center, decorrelate and whiten data with the `Whitening` layer.

Adapts `Whitening` on the digits training split (streamed from `tf.data`),
prints the explained-variance curve, and saves two figures: the 2-D picture
(original vs centered vs decorrelated vs whitened) and digits next to their
ZCA-whitened versions.
Run: python examples/whitening_pca.py [--output-dir runs/whitening]
"""

import argparse
import os
import time

import numpy as np

from keras_training_kit.data import load_dataset
from keras_training_kit.layers import Whitening
from keras_training_kit.plotting import plot_image_rows
from keras_training_kit.plotting import plot_whitening_stages

parser = argparse.ArgumentParser()
parser.add_argument(
    "--output-dir",
    default=f"runs/example-whitening-{time.strftime('%Y%m%d-%H%M%S')}",
)
args = parser.parse_args()

# 1. PCA on a real data set: how many directions carry the variance?
data = load_dataset("digits", seed=0)
pca = Whitening(mode="pca")
pca.adapt(data.train, batch_size=256)  # streams the (image, label) pairs
cumulative = np.cumsum(pca.explained_variance_ratio)
print(f"digits: {int(pca.count.numpy())} images of {data.input_shape}")
print("components  explained variance")
for k in (1, 2, 5, 10, 20, 30, 40, 64):
    print(f"{k:>10}  {cumulative[k - 1]:.3f}")
keep = Whitening(mode="pca", n_components=0.95)
keep.adapt(data.train, batch_size=256)
print(f"95% of the variance needs {keep.components.shape[0]} of 64 components")

# 2. CS231n's 2-D picture: a correlated, off-centre Gaussian cloud.
rng = np.random.default_rng(0)
points = rng.normal(size=(500, 2)) @ np.array([[2.0, 1.2], [0.0, 0.5]]) + [
    4.0,
    3.0,
]
points = points.astype("float32")
stages = {"original": points}
for title, mode in (
    ("centered", "center"),
    ("decorrelated (PCA)", "pca"),
    ("whitened (PCA)", "pca_whiten"),
    ("whitened (ZCA)", "zca"),
):
    layer = Whitening(mode=mode)
    layer.adapt(points)
    stages[title] = layer(points).numpy()
path = plot_whitening_stages(
    stages, os.path.join(args.output_dir, "whitening_2d.png")
)
print(f"wrote {path}")

# 3. ZCA-whitened images: edges stay, the shared low-frequency content goes.
# epsilon ~ the pixel variance (about 0.1 here) keeps the near-constant
# border pixels from dominating.
zca = Whitening(mode="zca", epsilon=1e-1)
zca.adapt(data.train, batch_size=256)
images = np.stack([x for x, _ in data.test.take(8).as_numpy_iterator()])
path = plot_image_rows(
    {"original": images, "ZCA-whitened": zca(images).numpy()},
    os.path.join(args.output_dir, "zca_digits.png"),
)
print(f"wrote {path}")
