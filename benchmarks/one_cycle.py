"""Cost of a one-cycle schedule and of `OneCycleMomentum` in `model.fit`.

Times `model.fit` of an MLP (2 x 256 ReLU units) on MNIST-1D shaped random
data (40 features, 10 classes, batches of 64: about a millisecond a step,
where a per-batch callback weighs most) with Adam in three variants,
alternating them round by round in this one process (each run builds a
fresh model from the same seed, so each pays the same tracing):

- constant: a float learning rate (the reference);
- one-cycle: the `OneCycle` schedule as the learning rate, evaluated
  inside the compiled step;
- one-cycle + momentum: the same, with `OneCycleMomentum` setting Adam's
  `beta_1` before every batch (a table lookup and one variable assignment).

Prints, per figure, the median over rounds of the wall-time ratio with its
[min, max], for the whole `fit` (tracing included) and for its steady state
(epoch 2 to the end, timed at epoch ends). Goal: each <= 1.05.

    python benchmarks/one_cycle.py [--rounds 5] [--epochs 10]
"""

import argparse
import gc
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratios  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--examples", type=int, default=8192)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier
    from keras_training_kit.optimizers import build_optimizer
    from keras_training_kit.schedules import OneCycle
    from keras_training_kit.schedules import OneCycleMomentum

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.examples, 40)).astype("float32")
    y = rng.integers(0, 10, size=args.examples).astype("int32")
    steps_per_epoch = -(-args.examples // args.batch_size)
    # One iterator for the whole fit: see benchmarks/fit_overhead.py.
    train = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(args.batch_size)
        .cache()
        .repeat()
        .prefetch(-1)
    )
    total = args.epochs * steps_per_epoch

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    def run(variant):
        keras.utils.set_random_seed(0)
        model = build_mlp((40,), 10, (256, 256))
        schedule = OneCycle(1e-3, total)
        rate = 1e-3 if variant == "constant" else schedule
        compile_classifier(model, optimizer=build_optimizer("adam", rate))
        timer = EpochTimer()
        callbacks = [timer]
        if variant == "one-cycle + momentum":
            callbacks.insert(0, OneCycleMomentum(schedule))
        gc.collect()
        start = time.perf_counter()
        model.fit(
            train,
            epochs=args.epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            shuffle=False,
            verbose=0,
        )
        return time.perf_counter() - start, timer.ends[-1] - timer.ends[0]

    variants = ("constant", "one-cycle", "one-cycle + momentum")
    whole = {v: [] for v in variants}
    steady = {v: [] for v in variants}
    for round_ in range(args.rounds):
        for variant in variants[round_ % 3 :] + variants[: round_ % 3]:
            seconds, steady_seconds = run(variant)
            whole[variant].append(seconds)
            steady[variant].append(steady_seconds)

    def ratio(times, variant, reference):
        values = [a / b for a, b in zip(times[variant], times[reference])]
        return (
            f"{statistics.median(values):.3f} "
            f"[{min(values):.3f}, {max(values):.3f}]"
        )

    print(
        f"MLP 40-256-256-10, Adam, {steps_per_epoch} steps x {args.epochs} "
        f"epochs of batch {args.batch_size}; {os.cpu_count()} CPUs; "
        f"{args.rounds} alternating rounds; median [min, max]"
    )
    step_ms = statistics.median(steady["constant"]) / (
        (args.epochs - 1) * steps_per_epoch
    )
    print(f"steady step time, constant: {1000 * step_ms:.2f} ms")
    figures = [figure("steady step time, constant", 1000 * step_ms, "ms")]
    for variant, reference in (
        ("one-cycle", "constant"),
        ("one-cycle + momentum", "one-cycle"),
        ("one-cycle + momentum", "constant"),
    ):
        print(
            f"{variant} / {reference}: whole fit "
            f"{ratio(whole, variant, reference)}, steady state "
            f"{ratio(steady, variant, reference)} (goal <= 1.05)"
        )
        figures += [
            figure(
                f"{variant} / {reference}, whole fit",
                ratios(whole[variant], whole[reference]),
                "x",
            ),
            figure(
                f"{variant} / {reference}, steady state",
                ratios(steady[variant], steady[reference]),
                "x",
                "<= 1.05",
            ),
        ]
    write_result("one_cycle", figures)


if __name__ == "__main__":
    main()
