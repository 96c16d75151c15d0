"""Benchmark: memory and time of gradient accumulation against a large batch.

Trains `build_cnn` (`--filters`, two convolutions a stage) on random
`--image-size` x `--image-size` x 3 images (32 x 32 by default, CIFAR's
size) two ways on the same number of examples per update: batch `b`
(`--batch-size`) with `gradient_accumulation_steps=N` (`--steps`), and
batch `N * b` without accumulation. The model is small (0.59 M
parameters, 2.3 MiB) next to a batch's activations (each 32 x 32 x 32
float32 feature map of the first stage is 128 KiB per example, and the
backward pass keeps several), so the activations dominate the memory of a
training step; they grow with the batch, while accumulation adds one
accumulator per weight.

Each configuration is measured in a fresh subprocess (a process's peak
resident memory cannot be lowered again, and TensorFlow keeps what its
allocator took), the two alternating for `--repeats` rounds. A subprocess
imports TensorFlow, builds and compiles the model and the data (one fixed
batch repeated by `tf.data`, so the input pipeline holds the same few MiB
in both), takes its resident memory (`VmRSS`) as the baseline and resets
the peak (`VmHWM`, through `/proc/self/clear_refs`; where that is refused,
the peak is `getrusage(RUSAGE_SELF).ru_maxrss`, which includes the
imports). It then fits 2 epochs of `--updates` updates each and reports

- the peak growth during epoch 1, tracing and XLA compilation included
  (TensorFlow's `get_memory_info` reports 0 on the CPU, so the operating
  system's count is the one that works everywhere);
- the steady-state peak growth: the peak is reset again after epoch 1
  and read after epoch 2, so it is what training holds once compiled;
- the steady-state time per update (epoch 2) and the whole fit's time
  (epoch 1's tracing and compilation included).

Prints one line per figure: each configuration's median and [min, max]
over the rounds, and the median and [min, max] of the per-round ratio
accumulated / large batch.

    python benchmarks/gradient_accumulation.py [--batch-size 32]
        [--steps 8] [--updates 8] [--repeats 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from result_json import figure
from result_json import write_result

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _status_kib(field):
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field))
    return int(line.split()[1])


def _reset_peak():
    """Resets `VmHWM` to the current RSS; `False` where Linux refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_kib(resettable):
    if resettable:
        return _status_kib("VmHWM:")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(args, accumulate):
    """Trains one configuration in this process; returns its figures."""
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_training_kit.models import build_cnn
    from keras_training_kit.optimizers import build_optimizer

    keras.utils.set_random_seed(0)
    batch_size = args.batch_size if accumulate else args.batch_size * args.steps
    steps_per_epoch = args.updates * (args.steps if accumulate else 1)
    rng = np.random.default_rng(0)
    shape = (batch_size, args.image_size, args.image_size, 3)
    images = rng.random(shape, dtype=np.float32)
    labels = rng.integers(0, 10, batch_size).astype(np.int32)
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    model = build_cnn(
        shape[1:], 10, args.filters, convs_per_stage=2, dense_units=(128,)
    )
    model.compile(
        optimizer=build_optimizer(
            "adam",
            1e-3,
            gradient_accumulation_steps=args.steps if accumulate else None,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    del images, labels
    figures = {"parameters": model.count_params()}

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                figures["first_epoch_peak"] = _peak_kib(resettable) - baseline
                # The steady state's peak: from here to the end.
                if resettable:
                    _reset_peak()
                self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                elapsed = time.perf_counter() - self.start
                figures["update_time"] = elapsed / args.updates

    baseline = _status_kib("VmRSS:")
    resettable = _reset_peak()
    start = time.perf_counter()
    model.fit(
        dataset,
        epochs=2,
        steps_per_epoch=steps_per_epoch,
        callbacks=[Probe()],
        shuffle=False,
        verbose=0,
    )
    figures["whole_time"] = time.perf_counter() - start
    figures["steady_peak"] = _peak_kib(resettable) - baseline
    figures["updates"] = int(model.optimizer.iterations)
    figures["resettable"] = resettable
    return figures


def _spread(values, scale=1.0, digits=0):
    values = [v * scale for v in values]
    return (
        f"{statistics.median(values):.{digits}f} "
        f"[{min(values):.{digits}f}, {max(values):.{digits}f}]"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--filters", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--measure",
        choices=("accumulated", "large"),
        help="internal: measure one configuration and print it as JSON",
    )
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args, args.measure == "accumulated")))
        return 0

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    )
    names = ("accumulated", "large")
    runs = {name: [] for name in names}
    for round_index in range(args.repeats):
        # Alternate which configuration goes first.
        for name in names[:: 1 if round_index % 2 == 0 else -1]:
            result = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--measure", name]
                + (argv if argv is not None else sys.argv[1:]),
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            runs[name].append(json.loads(result.stdout.splitlines()[-1]))

    def column(name, key):
        return [run[key] for run in runs[name]]

    def ratios(key):
        return [
            a[key] / b[key] for a, b in zip(runs["accumulated"], runs["large"])
        ]

    b, n = args.batch_size, args.steps
    first = runs["accumulated"][0]
    print(
        f"build_cnn(filters={tuple(args.filters)}, convs_per_stage=2), "
        f"{first['parameters']:,} parameters, Adam; random "
        f"{args.image_size}x{args.image_size}x3 images; batch {b} x {n} "
        f"accumulated vs batch {b * n}; 2 epochs of {args.updates} updates; "
        f"{os.cpu_count()} CPUs; {args.repeats} alternating rounds, each "
        f"in a fresh process; median [min, max]"
        + ("" if first["resettable"] else "; peaks include the imports")
    )
    updates = {run["updates"] for r in runs.values() for run in r}
    if updates != {2 * args.updates}:
        raise RuntimeError(
            f"Every run must take {2 * args.updates} updates. Received: "
            f"updates={sorted(updates)}"
        )
    figures = []
    for key, label in (
        ("first_epoch_peak", "peak RSS growth, epoch 1 (tracing included)"),
        ("steady_peak", "peak RSS growth, steady state (epoch 2)"),
    ):
        accumulated = _spread(column("accumulated", key), 1 / 1024)
        large = _spread(column("large", key), 1 / 1024)
        print(
            f"{label}: {b} x {n} {accumulated} MiB, {b * n} {large} MiB, "
            f"ratio {_spread(ratios(key), digits=3)}"
        )
        figures += [
            figure(
                f"{label}, {b} x {n}",
                [v / 1024 for v in column("accumulated", key)],
                "MiB",
            ),
            figure(
                f"{label}, {b * n}",
                [v / 1024 for v in column("large", key)],
                "MiB",
            ),
            figure(f"{label}, ratio", ratios(key), "x"),
        ]
    for key, label, scale, unit in (
        ("update_time", "time per update, steady state", 1e3, "ms"),
        ("whole_time", "time of the whole fit (tracing included)", 1, "s"),
    ):
        print(
            f"{label}: {b} x {n} "
            f"{_spread(column('accumulated', key), scale, 1)} {unit}, "
            f"{b * n} {_spread(column('large', key), scale, 1)} {unit}, "
            f"ratio {_spread(ratios(key), digits=3)}"
        )
        figures.append(figure(f"{label}, ratio", ratios(key), "x"))
    write_result("gradient_accumulation", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
