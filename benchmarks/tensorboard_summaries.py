"""Benchmark: cost of writing statistics samples to TensorBoard.

Times `TensorBoardWriter` (`tf.summary.scalar` and `tf.summary.write` in
one `tf.function` per sample; "new" in the printed lines) against a
raw-protobuf writer (one hand-built `Summary` per sample through
`tf.summary.experimental.write_raw_pb`, the reference; "old"),
alternating the two round by round in one process. Each round opens a
fresh writer per variant in a fresh folder, writes one sample (the
one-time cost: tracing, for the new writer), then `--samples` samples and
a `flush()` (the steady state), timed in wall-clock and in CPU time of the
process (steadier where the host is shared). A sample is `--layers` layers
of `--metrics` scalars (the last one NaN in every 4th sample, as update
ratios are where no copy of the kernels was taken: left out) and a
histogram of `--bins` bins, as `ActivationStatistics` records them.

    python benchmarks/tensorboard_summaries.py [--rounds 15]
        [--samples 200] [--layers 10] [--metrics 8] [--bins 30]

Prints one line per figure: the median per-sample time of each writer,
their ratios (median [min, max] over rounds) and the one-time costs.
"""

import argparse
import math
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402
from spread import spread  # noqa: E402

from keras_training_kit.callbacks.activation_writers import (  # noqa: E402
    TensorBoardWriter,
)


class RawSummaryWriter:
    """The reference: one raw `Summary` protobuf per sample (`write_raw_pb`)."""

    def __init__(self, log_dir, prefix="activations"):
        from tensorboard.plugins.histogram import summary_v2 as histograms
        from tensorboard.plugins.scalar import summary_v2 as scalars

        self._prefix = prefix
        self._writer = tf.summary.create_file_writer(log_dir)
        self._scalar_metadata, self._histogram_metadata = (
            tf.compat.v1.SummaryMetadata.FromString(
                summary.value[0].metadata.SerializeToString()
            )
            for summary in (
                scalars.scalar_pb("", 0.0),
                histograms.histogram_pb("", [0.0]),
            )
        )

    def write(self, step, sample):
        summary = tf.compat.v1.Summary()
        for name, record in sample.items():
            for metric, value in record.items():
                if metric.startswith("histogram") or not math.isfinite(value):
                    continue
                entry = summary.value.add(tag=f"{self._prefix}/{name}/{metric}")
                entry.metadata.CopyFrom(self._scalar_metadata)
                entry.tensor.dtype = tf.float32.as_datatype_enum
                entry.tensor.float_val.append(value)
            if "histogram" not in record:
                continue
            counts = np.asarray(record["histogram"], np.float64)
            edges = np.linspace(
                record["histogram_min"],
                record["histogram_max"],
                len(counts) + 1,
            )
            buckets = np.stack([edges[:-1], edges[1:], counts], axis=1)
            entry = summary.value.add(tag=f"{self._prefix}/{name}/histogram")
            entry.metadata.CopyFrom(self._histogram_metadata)
            entry.tensor.CopyFrom(tf.make_tensor_proto(buckets))
        with self._writer.as_default():
            tf.summary.experimental.write_raw_pb(
                summary.SerializeToString(), step=step
            )

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def samples(args, count):
    """`count` samples of Python floats and int64 counts, as recorded."""
    rng = np.random.default_rng(0)
    metrics = [f"metric_{m}" for m in range(args.metrics)]
    result = []
    for index in range(count):
        sample = {}
        for layer in range(args.layers):
            values = rng.normal(size=args.metrics)
            if index % 4 == 0:
                values[-1] = math.nan
            record = {m: float(v) for m, v in zip(metrics, values)}
            low = float(rng.normal())
            record.update(histogram_min=low, histogram_max=low + 2.0)
            record["histogram"] = rng.integers(0, 500, args.bins)
            sample[f"dense_{layer}"] = record
        result.append(sample)
    return result


def run(make_writer, data, folder):
    """A fresh writer's first-sample time, later per-sample wall and CPU."""
    writer = make_writer(folder)
    start = time.perf_counter()
    writer.write(0, data[0])
    first = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    for step, sample in enumerate(data[1:], 1):
        writer.write(step, sample)
    writer.flush()
    steady = (time.perf_counter() - start) / (len(data) - 1)
    cpu = (time.process_time() - cpu) / (len(data) - 1)
    writer.close()
    return first, steady, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--metrics", type=int, default=8)
    parser.add_argument("--bins", type=int, default=30)
    args = parser.parse_args()
    data = samples(args, args.samples + 1)
    writers = {"old": RawSummaryWriter, "new": TensorBoardWriter}
    print(
        f"{args.samples} samples of {args.layers} layers x {args.metrics} "
        f"scalars + a {args.bins}-bin histogram; {args.rounds} rounds, "
        "alternating; old: raw Summary protobuf, new: tf.summary in a "
        "tf.function"
    )
    times = {name: ([], [], []) for name in writers}
    names = list(writers)
    with tempfile.TemporaryDirectory(prefix="ktk-bench-") as root:
        # A warm-up of each: imports and TensorFlow's first ops.
        for name, make in writers.items():
            run(make, data[:3], os.path.join(root, f"warm-{name}"))
        for round_ in range(args.rounds):
            for name in names[round_ % 2 :] + names[: round_ % 2]:
                folder = os.path.join(root, f"{round_}-{name}")
                result = run(writers[name], data, folder)
                for kept, value in zip(times[name], result):
                    kept.append(value)
    (old_first, old, old_cpu), (new_first, new, new_cpu) = times.values()
    for name, wall, cpu in (("old", old, old_cpu), ("new", new, new_cpu)):
        print(
            f"{name} per sample: {statistics.median(wall) * 1e6:.0f} us "
            f"wall, {statistics.median(cpu) * 1e6:.0f} us CPU"
        )
    print(
        "new / old per sample (steady state), wall: "
        f"{ratio_spread(new, old)} (median [min, max])"
    )
    print(
        "new / old per sample (steady state), CPU: "
        f"{ratio_spread(new_cpu, old_cpu)}"
    )
    print(
        "one-time cost, new first sample (tracing): "
        f"{spread([f * 1e3 for f in new_first], 1)} ms; old first sample: "
        f"{spread([f * 1e3 for f in old_first], 1)} ms"
    )
    figures = [
        figure("new per sample", [t * 1e6 for t in new], "us"),
        figure("old per sample", [t * 1e6 for t in old], "us"),
        figure("new / old per sample, wall", ratios(new, old), "x"),
        figure("new / old per sample, CPU", ratios(new_cpu, old_cpu), "x"),
        figure(
            "new first sample (tracing)", [f * 1e3 for f in new_first], "ms"
        ),
    ]
    write_result("tensorboard_summaries", figures)


if __name__ == "__main__":
    main()
