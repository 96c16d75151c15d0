"""Benchmark: `Whitening.adapt` against its floors and scikit-learn's PCA.

Prints, from one run on CIFAR-sized random data (by default 50,000 x 3072
float32), one line per figure:

- `Whitening(mode="pca_whiten").adapt` time (also `adapt(batch_size=2048)`,
  a user's smaller batch) over the float32 floor on this machine: one
  float32 `X.T @ X` over the whole array (NumPy/OpenBLAS runs it as a SYRK,
  the cheapest way to form the co-moment matrix) plus one float64 `eigh`
  of the d x d covariance; goal <= 1.3x;
- the float64 floor (the same with `X` already in float64: the arithmetic
  `adapt` needs for float64-accurate statistics, which a float32
  accumulation cannot give) over the float32 floor, `adapt` over the
  float64 floor, and the float64 SYRK alone over the float32 one: why the
  float32 floor's goal is or is not reachable;
- scikit-learn `PCA(whiten=True, svd_solver="full").fit` time over
  `adapt` time; goal >= 3x;
- the peak resident-memory growth of `adapt` streaming `--stream-samples`
  rows (200,000 by default) and a quarter of that from a `tf.data`
  generator, each measured in a fresh subprocess, next to the O(d^2)
  statistics size and the O(N d) data size; goal: O(d^2) (no growth with N).

The variants are timed in `--repeats` alternating rounds, their order
rotating; each ratio is the median over rounds with its [min, max]. Usage:

    python benchmarks/whitening.py                    # CIFAR-10's sizes
    python benchmarks/whitening.py --features 1024    # quicker
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402

STREAM_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
from keras_training_kit.layers import Whitening

samples, features, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
block = rng.standard_normal((batch, features), dtype=np.float32)

def generate():
    for step in range(samples // batch):
        # A fresh array per batch, as a real input pipeline would yield.
        yield block + np.float32(step % 7)

dataset = tf.data.Dataset.from_generator(
    generate, output_signature=tf.TensorSpec((batch, features), tf.float32)
)
def status_kib(field):
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field))
    return int(line.split()[1])

layer = Whitening(mode="pca_whiten")
layer.build((None, features))
before = status_kib("VmRSS:")
try:
    # Resets the peak (VmHWM) to the current RSS, so the peak below is the
    # adapt's own (Linux >= 4.0).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
layer.adapt(dataset)
peak = status_kib("VmHWM:")
print(int(layer.count.numpy()), (peak - before) * 1024)
"""


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _time_rounds(x, repeats):
    """Per-round seconds of each variant, and of each floor's SYRK."""
    import numpy as np
    from sklearn.decomposition import PCA

    from keras_training_kit.layers import Whitening

    n = len(x)
    x64 = x.astype(np.float64)
    syrk = {"float32": [], "float64": []}

    def floor(data):
        start = time.perf_counter()
        comoment = data.T @ data
        syrk[str(data.dtype)].append(time.perf_counter() - start)
        np.linalg.eigh(comoment.astype(np.float64) / (n - 1))

    variants = (
        ("floor", lambda: floor(x)),
        ("adapt", lambda: Whitening(mode="pca_whiten").adapt(x)),
        ("floor64", lambda: floor(x64)),
        (
            "adapt_2048",
            lambda: Whitening(mode="pca_whiten").adapt(x, batch_size=2048),
        ),
        (
            "sklearn",
            lambda: PCA(whiten=True, svd_solver="full").fit(x),
        ),
    )
    times = {name: [] for name, _ in variants}
    for round_ in range(repeats):
        # The order rotates, so no variant always runs first or last.
        shift = round_ % len(variants)
        for name, function in variants[shift:] + variants[:shift]:
            times[name].append(_timed(function))
    return times, syrk


RATIOS = (
    ("adapt / floor (X.T@X + eigh)", "adapt", "floor", "<= 1.3"),
    ("adapt(batch_size=2048) / floor", "adapt_2048", "floor", "<= 1.3"),
    ("float64 floor / floor", "floor64", "floor", None),
    ("adapt / float64 floor", "adapt", "floor64", None),
    ("adapt(batch_size=2048) / float64 floor", "adapt_2048", "floor64", None),
    ("sklearn PCA(whiten=True) / adapt", "sklearn", "adapt", ">= 3"),
)
SECONDS = (
    ("adapt", "adapt"),
    ("adapt(batch_size=2048)", "adapt_2048"),
    ("floor (X.T@X + eigh)", "floor"),
    ("float64 floor (float64 X.T@X + eigh)", "floor64"),
)


def _timing_figures(times, syrk):
    figures = []
    for name, numerator, denominator, goal in RATIOS:
        values = ratios(times[numerator], times[denominator])
        figures.append(figure(name, values, "x", goal))
        print(
            f"{name}: {ratio_spread(times[numerator], times[denominator], 2)}x"
            + (f" (goal {goal}x)" if goal else "")
        )
    name = "float64 SYRK / float32 SYRK (X.T@X)"
    figures.append(figure(name, ratios(syrk["float64"], syrk["float32"]), "x"))
    print(
        f"{name}: {ratio_spread(syrk['float64'], syrk['float32'], 2)}x "
        f"(float32 {statistics.median(syrk['float32']):.1f} s)"
    )
    for name, key in SECONDS:
        figures.append(figure(name, times[key], "s"))
        print(f"{name}: {statistics.median(times[key]):.1f} s")
    return figures


def _memory_figures(d, stream_samples, stream_batch):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    )
    statistics_bytes = d * d * 8
    figures = []
    # Two stream lengths: O(d^2) memory does not grow with N.
    for samples in (stream_samples // 4, stream_samples):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                STREAM_SCRIPT,
                str(samples),
                str(d),
                str(stream_batch),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        count, growth = (int(v) for v in result.stdout.split()[-2:])
        data_bytes = count * d * 4
        print(
            f"peak RSS growth of adapt streaming {count} x {d} from tf.data: "
            f"{growth / 2**20:.0f} MiB = "
            f"{growth / statistics_bytes:.1f}x the d^2 "
            f"float64 covariance ({statistics_bytes / 2**20:.0f} MiB), "
            f"{growth / data_bytes:.3f}x the data "
            f"({data_bytes / 2**20:.0f} MiB; goal O(d^2))"
        )
        figures.append(
            figure(
                f"peak RSS growth streaming {count} x {d}",
                growth / 2**20,
                "MiB",
                "O(d^2): not growing with the rows",
            )
        )
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=3072)
    parser.add_argument("--stream-samples", type=int, default=200_000)
    parser.add_argument("--stream-batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np

    from keras_training_kit.layers import Whitening

    n, d = args.samples, args.features
    x = np.random.default_rng(0).standard_normal((n, d), dtype=np.float32)
    # Warm up TensorFlow and OpenBLAS (thread pools, tracing) outside the
    # timings.
    Whitening(mode="pca_whiten").adapt(x[:256, :64])
    np.linalg.eigh(np.cov(x[:256, :64], rowvar=False))
    times, syrk = _time_rounds(x, args.repeats)
    print(
        f"data: {n} x {d} float32, {os.cpu_count()} CPUs, {args.repeats} "
        "alternating rounds; ratios: median [min, max] of the rounds"
    )
    figures = _timing_figures(times, syrk)
    figures += _memory_figures(d, args.stream_samples, args.stream_batch)
    write_result("whitening", figures)


if __name__ == "__main__":
    main()
