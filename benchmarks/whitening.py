"""Benchmark: `Whitening.adapt` against its floor and scikit-learn's PCA.

Prints, from one run on CIFAR-sized random data (by default 50,000 x 3072
float32), one line per figure:

- `Whitening(mode="pca_whiten").adapt` time over the floor on this machine:
  one `X.T @ X` (NumPy/OpenBLAS, which uses SYRK: the cheapest way to form
  the co-moment matrix) plus one float64 `eigh` of the d x d covariance;
  goal <= 1.5x;
- scikit-learn `PCA(whiten=True, svd_solver="full").fit` time over
  `adapt` time; goal >= 3x;
- the peak resident-memory growth of `adapt` streaming `--stream-samples`
  rows (200,000 by default) and a quarter of that from a `tf.data`
  generator, each measured in a fresh subprocess, next to the O(d^2)
  statistics size and the O(N d) data size; goal: O(d^2) (no growth with N).

The variants (also `adapt(batch_size=2048)`, a user's smaller batch) are
timed in `--repeats` alternating rounds, their order rotating; each ratio
is the median over rounds with its [min, max]. Usage:

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=3072)
    parser.add_argument("--stream-samples", type=int, default=200_000)
    parser.add_argument("--stream-batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.decomposition import PCA

    from keras_training_kit.layers import Whitening

    n, d = args.samples, args.features
    x = np.random.default_rng(0).standard_normal((n, d), dtype=np.float32)
    # Warm up TensorFlow and OpenBLAS (thread pools, tracing) outside the
    # timings.
    Whitening(mode="pca_whiten").adapt(x[:256, :64])
    np.linalg.eigh(np.cov(x[:256, :64], rowvar=False))

    def floor():
        comoment = x.T @ x
        np.linalg.eigh(comoment.astype(np.float64) / (n - 1))

    def adapt():
        Whitening(mode="pca_whiten").adapt(x)

    def sklearn_pca():
        PCA(whiten=True, svd_solver="full").fit(x)

    def adapt_2048():
        Whitening(mode="pca_whiten").adapt(x, batch_size=2048)

    variants = (
        ("floor", floor),
        ("adapt", adapt),
        ("adapt_2048", adapt_2048),
        ("sklearn", sklearn_pca),
    )
    times = {name: [] for name, _ in variants}
    for round_ in range(args.repeats):
        # The order rotates, so no variant always runs first or last.
        shift = round_ % len(variants)
        for name, function in variants[shift:] + variants[:shift]:
            times[name].append(_timed(function))

    def seconds(name):
        return statistics.median(times[name])

    figures = [
        figure(
            "adapt / floor (X.T@X + eigh)",
            ratios(times["adapt"], times["floor"]),
            "x",
            "<= 1.5",
        ),
        figure(
            "adapt(batch_size=2048) / floor",
            ratios(times["adapt_2048"], times["floor"]),
            "x",
            "<= 1.5",
        ),
        figure(
            "sklearn PCA(whiten=True) / adapt",
            ratios(times["sklearn"], times["adapt"]),
            "x",
            ">= 3",
        ),
        figure("adapt", times["adapt"], "s"),
        figure("floor (X.T@X + eigh)", times["floor"], "s"),
    ]
    print(
        f"data: {n} x {d} float32, {os.cpu_count()} CPUs, {args.repeats} "
        "alternating rounds; ratios: median [min, max] of the rounds"
    )
    print(
        "adapt / floor (X.T@X + eigh): "
        f"{ratio_spread(times['adapt'], times['floor'], 2)}x (adapt "
        f"{seconds('adapt'):.1f} s, floor {seconds('floor'):.1f} s; "
        "goal <= 1.5x)"
    )
    print(
        "adapt(batch_size=2048) / floor: "
        f"{ratio_spread(times['adapt_2048'], times['floor'], 2)}x "
        f"({seconds('adapt_2048'):.1f} s; goal <= 1.5x)"
    )
    print(
        f"sklearn PCA(whiten=True, svd_solver='full') / adapt: "
        f"{ratio_spread(times['sklearn'], times['adapt'], 2)}x "
        f"(sklearn {seconds('sklearn'):.1f} s; goal >= 3x)"
    )

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    )
    statistics_bytes = d * d * 8
    # Two stream lengths: O(d^2) memory does not grow with N.
    for samples in (args.stream_samples // 4, args.stream_samples):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                STREAM_SCRIPT,
                str(samples),
                str(d),
                str(args.stream_batch),
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
    write_result("whitening", figures)


if __name__ == "__main__":
    main()
