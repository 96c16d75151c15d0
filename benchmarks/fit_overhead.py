"""What a callback adds to `model.fit`: the loop the overhead benchmarks share.

Fits a 10-layer MLP (256 ReLU units per layer) on MNIST-1D shaped data (40
features, 10 classes) once per variant and round, alternating the order of
the variants round by round in this one process; each run builds a fresh
model from the same seed, so each pays the same tracing. Per variant it
keeps the whole fit's time, the steady state (epochs 2 to the end, timed
at epoch ends after every callback ran: without the one-off costs of
building and tracing the train step and the probe), the first epoch (the
one-off costs) and every later epoch's time.
"""

import gc
import os
import statistics
import time

import numpy as np
from result_json import figure
from spread import ratio_spread
from spread import ratios


def add_arguments(parser, epochs=20):
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--examples", type=int, default=8192)
    parser.add_argument("--batch-size", type=int, default=64)


def data(args):
    """`(x, y)` arrays and a repeated, cached `tf.data` pipeline of them."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.examples, 40)).astype("float32")
    y = rng.integers(0, 10, size=args.examples).astype("int32")
    # One iterator for the whole fit (a repeated data set and
    # `steps_per_epoch`): re-creating the tf.data iterator at every epoch
    # stalled ~0.6 s at random epochs on the 2-core machine, with or
    # without any callback, which swamped the differences measured here.
    train = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(args.batch_size)
        .cache()
        .repeat()
        .prefetch(-1)
    )
    return x, y, train


def measure(args, train, callbacks, variants):
    """Times the fits; `callbacks(variant, run)` gives a run's callbacks.

    Returns:
        `(results, chosen)`: results maps each variant to a dict of lists
        (`"whole"`, `"steady"`, `"first"` per round, `"epochs"` all later
        epochs); chosen maps each variant to its last run's callbacks.
    """
    import keras

    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier

    class EpochTimer(keras.callbacks.Callback):
        """The time at each epoch end, after the callbacks before it."""

        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    steps_per_epoch = -(-args.examples // args.batch_size)
    results = {
        v: {"whole": [], "steady": [], "first": [], "epochs": []}
        for v in variants
    }
    last = {}
    for run in range(args.rounds):
        shift = run % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            keras.utils.set_random_seed(0)
            model = compile_classifier(
                build_mlp((40,), 10, (256,) * 10), learning_rate=1e-3
            )
            chosen = callbacks(variant, run)
            timer = EpochTimer()
            gc.collect()
            start = time.perf_counter()
            model.fit(
                train,
                epochs=args.epochs,
                steps_per_epoch=steps_per_epoch,
                verbose=0,
                shuffle=False,
                callbacks=chosen + [timer],
            )
            result = results[variant]
            result["whole"].append(time.perf_counter() - start)
            result["steady"].append(timer.ends[-1] - timer.ends[0])
            result["first"].append(timer.ends[0] - start)
            result["epochs"].extend(np.diff(timer.ends))
            last[variant] = chosen
    return results, last


def report(name, results, variant, reference="none", goal=None):
    """Prints whole-fit, steady-state, median-epoch and one-off figures.

    Returns them as `result_json.figure`s.
    """
    ours, ref = results[variant], results[reference]
    print(
        f"{name} / no callback, whole fit: "
        f"{ratio_spread(ours['whole'], ref['whole'])} (median [min, max])"
    )
    print(
        f"{name} / no callback, steady state: "
        f"{ratio_spread(ours['steady'], ref['steady'])}"
        + (f" (goal <= {goal})" if goal else "")
    )
    epochs = statistics.median(ours["epochs"]) / statistics.median(
        ref["epochs"]
    )
    print(
        f"{name} / no callback, median epoch (robust to stalls of the "
        f"host): {epochs:.3f}x"
    )
    one_off = statistics.median(
        f - r for f, r in zip(ours["first"], ref["first"])
    )
    print(f"{name} one-off cost (first epoch, extra): {one_off:.2f} s")
    return [
        figure(
            f"{name} / no callback, whole fit",
            ratios(ours["whole"], ref["whole"]),
            "x",
        ),
        figure(
            f"{name} / no callback, steady state",
            ratios(ours["steady"], ref["steady"]),
            "x",
            f"<= {goal}" if goal else None,
        ),
        figure(f"{name} / no callback, median epoch", epochs, "x"),
        figure(f"{name} one-off cost (first epoch, extra)", one_off, "s"),
    ]


def workdir():
    import tempfile

    return tempfile.mkdtemp(prefix="ktk-bench-")


def path(directory, *parts):
    return os.path.join(directory, "-".join(str(p) for p in parts))
