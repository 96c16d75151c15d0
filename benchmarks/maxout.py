"""Benchmark: cost of `Maxout` on top of the linear layer that feeds it.

Times forward + backward (gradients of a loss with respect to the kernel,
bias and input) of `Dense(units * k)` followed by `Maxout(units)` against
`Dense(units * k)` alone, both compiled the same way, measured
alternately in one run. Goal: Maxout adds at most 15%.

    python benchmarks/maxout.py [--batch-size 512] [--input-dim 512]
        [--units 256] [--pieces 4] [--rounds 15] [--steps 20]

Prints one line per figure: the median time per step of each variant and
their ratio, with and without XLA (`jit_compile`).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402

from keras_training_kit.layers import Maxout  # noqa: E402


def make_step(with_maxout, args, jit_compile):
    dense = keras.layers.Dense(args.units * args.pieces)
    maxout = Maxout(args.units)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = dense(x)
            if with_maxout:
                y = maxout(y)
            loss = tf.reduce_sum(tf.square(y))
        return tape.gradient(loss, [x] + dense.trainable_variables)

    return tf.function(step, jit_compile=jit_compile)


def time_steps(step, x, steps):
    start = time.perf_counter()
    for _ in range(steps):
        grads = step(x)
    # Reading one value waits for the device to finish the queued steps.
    float(tf.reduce_sum(grads[0]))
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--input-dim", type=int, default=512)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--pieces", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = tf.constant(
        np.random.default_rng(0).standard_normal(
            (args.batch_size, args.input_dim)
        ),
        tf.float32,
    )
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(
        f"device {device}; batch {args.batch_size}, input {args.input_dim}, "
        f"Dense({args.units} * {args.pieces}); {args.rounds} rounds of "
        f"{args.steps} steps, alternating"
    )
    figures = []
    for jit_compile in (True, False):
        steps = {
            "dense": make_step(False, args, jit_compile),
            "dense+maxout": make_step(True, args, jit_compile),
        }
        for step in steps.values():  # Trace, compile and warm up.
            time_steps(step, x, 3)
        times = {name: [] for name in steps}
        for _ in range(args.rounds):
            for name, step in steps.items():
                times[name].append(time_steps(step, x, args.steps))
        dense = statistics.median(times["dense"])
        maxout = statistics.median(times["dense+maxout"])
        print(
            f"jit_compile={jit_compile}: dense {dense * 1e3:.3f} ms, "
            f"dense+maxout {maxout * 1e3:.3f} ms, ratio "
            f"{ratio_spread(times['dense+maxout'], times['dense'])} "
            f"(median [min, max] of rounds; goal <= 1.15)"
        )
        figures += [
            figure(f"dense, jit_compile={jit_compile}", times["dense"], "s"),
            figure(
                f"dense+maxout / dense, jit_compile={jit_compile}",
                ratios(times["dense+maxout"], times["dense"]),
                "x",
                "<= 1.15",
            ),
        ]
    write_result("maxout", figures, device=device)


if __name__ == "__main__":
    main()
