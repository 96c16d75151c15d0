"""Compares backends on digits with `build_cnn`: Maxout + BN + LSUV.

With `--weights FILE`, every backend starts from the same weights: the first
run writes them (the orthonormal start LSUV would draw), later runs load
them, so only the backends' numerics differ. Without it, each backend draws
its own seeded weights (Keras' `keras.random` streams differ by backend).

    KERAS_BACKEND=torch python examples/lsuv_backends.py \\
        [--epochs 30] [--seed 0] [--no-lsuv] [--weights /tmp/init.npz]

Prints one JSON line: train accuracy, test accuracy in inference mode and
in training mode (batch statistics), and per BN layer the distance of its
moving statistics from the training set's (mean error in stds, |log| of
the variance ratio).
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from keras_training_kit.initializers import lsuv_initialize  # noqa: E402
from keras_training_kit.models import build_cnn  # noqa: E402
from keras_training_kit.models import compile_classifier  # noqa: E402


def bn_gaps(model, x):
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    inputs = keras.Model(model.input, [layer.input for layer in layers])(x)
    gaps = {}
    for layer, features in zip(layers, inputs):
        features = keras.ops.convert_to_numpy(features).astype("float64")
        features = features.reshape(-1, features.shape[-1])
        mean, variance = features.mean(0), features.var(0) + 1e-3
        moving_mean = keras.ops.convert_to_numpy(layer.moving_mean)
        moving_variance = keras.ops.convert_to_numpy(layer.moving_variance)
        gaps[layer.name] = [
            round(float(np.max(np.abs(moving_mean - mean) / variance**0.5)), 3),
            round(
                float(
                    np.max(np.abs(np.log((moving_variance + 1e-3) / variance)))
                ),
                3,
            ),
        ]
    return gaps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-lsuv", action="store_true")
    parser.add_argument("--weights", default=None)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]
    model = build_cnn(
        (8, 8, 1),
        10,
        (16, 32),
        activation="maxout",
        normalization="batch",
    )
    same_weights = args.weights is not None
    if same_weights and not os.path.exists(args.weights):
        # Orthonormal kernels only: a tolerance nothing exceeds.
        lsuv_initialize(model, x_train[:256], tol=1e9, seed=args.seed)
        np.savez(args.weights, *model.get_weights())
    if same_weights:
        stored = np.load(args.weights)
        model.set_weights([stored[f"arr_{i}"] for i in range(len(stored))])
    if not args.no_lsuv:
        lsuv_initialize(
            model, x_train[:256], orthogonal=not same_weights, seed=args.seed
        )
    compile_classifier(model, learning_rate=1e-3, jit_compile=False)
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=32,
        verbose=0,
        shuffle=not same_weights,
    )
    logits = keras.ops.convert_to_numpy(model(x_test, training=True))
    result = {
        "backend": keras.backend.backend(),
        "seed": args.seed,
        "lsuv": not args.no_lsuv,
        "same_weights": same_weights,
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "test_accuracy": round(
            float(model.evaluate(x_test, y_test, verbose=0)[1]), 4
        ),
        "test_accuracy_training_mode": round(
            float((logits.argmax(-1) == y_test).mean()), 4
        ),
        "bn_gaps": bn_gaps(model, x_train),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
