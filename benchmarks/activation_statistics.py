"""Cost of `ActivationStatistics` in `model.fit` at its default settings.

Times `model.fit` of a 10-layer MLP (256 ReLU units per layer) on MNIST-1D
shaped data (40 features, 10 classes) with three callback settings,
alternating them round by round in this one process (each run builds a
fresh model from the same seed, so each pays the same tracing):

- none: no callback (the reference);
- ours: `ActivationStatistics()` at its defaults (automatic sampling
  interval, a probe of 256 examples, every monitored layer: 10 Dense + the
  logits), writing TensorBoard summaries and the long CSV too;
- keras: `keras.callbacks.TensorBoard(histogram_freq=1)` (weight
  histograms only, every epoch), for comparison.

Prints one line per figure: the median over rounds of the wall-time ratio
to the reference, for the whole `fit` and for its steady state (epochs 2
to the end, timed at epoch ends after every callback ran: without the
one-off costs of building and tracing the train step and the probe), the
ratio of the median epoch times (epochs 2 to the end of all rounds: a
figure the host's random stalls do not move), and
the one-off cost itself (the first epoch's extra seconds), so the ratio
of a fit of any other length can be worked out. The order of the variants
rotates from round to round. Goal: ours <= 1.05.

The default fit (20 epochs of 128 steps, about 15 s on 2 cores) is a short
but realistic training run; `--epochs 6` shows how the one-off cost
weighs on a 5 s fit.

    python benchmarks/activation_statistics.py [--rounds 5] [--epochs 20]
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from spread import ratio_spread  # noqa: E402


def _epoch_timer(keras):
    class EpochTimer(keras.callbacks.Callback):
        """Records the time at each epoch end, after the callbacks before it."""

        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    return EpochTimer()


def _model(keras, build_mlp, compile_classifier):
    keras.utils.set_random_seed(0)
    model = build_mlp((40,), 10, (256,) * 10)
    return compile_classifier(model, learning_rate=1e-3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--examples", type=int, default=8192)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from keras_training_kit.callbacks import ActivationStatistics
    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.examples, 40)).astype("float32")
    y = rng.integers(0, 10, size=args.examples).astype("int32")
    # One iterator for the whole fit (a repeated data set and
    # `steps_per_epoch`): re-creating the tf.data iterator at every epoch
    # stalled ~0.6 s at random epochs on the 2-core machine, with or
    # without any callback, which swamped the differences measured here.
    steps_per_epoch = -(-args.examples // args.batch_size)
    train = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(args.batch_size)
        .cache()
        .repeat()
        .prefetch(-1)
    )
    probe = x[:256]
    workdir = tempfile.mkdtemp(prefix="ktk-bench-")

    def callbacks(variant, run):
        if variant == "ours":
            stats = ActivationStatistics(
                probe_data=probe,
                log_dir=os.path.join(workdir, f"ours-{run}"),
                csv_path=os.path.join(workdir, f"ours-{run}.csv"),
            )
            return [stats]
        if variant == "keras":
            return [
                keras.callbacks.TensorBoard(
                    os.path.join(workdir, f"keras-{run}"), histogram_freq=1
                )
            ]
        return []

    variants = ("none", "ours", "keras")
    times = {v: [] for v in variants}
    steady = {v: [] for v in variants}
    first = {v: [] for v in variants}
    epochs = {v: [] for v in variants}
    intervals = []
    for run in range(args.rounds):
        for variant in variants[run % 3 :] + variants[: run % 3]:
            model = _model(keras, build_mlp, compile_classifier)
            chosen = callbacks(variant, run)
            timer = _epoch_timer(keras)
            gc.collect()
            start = time.perf_counter()
            model.fit(
                train,
                epochs=args.epochs,
                steps_per_epoch=steps_per_epoch,
                verbose=0,
                callbacks=chosen + [timer],
            )
            times[variant].append(time.perf_counter() - start)
            steady[variant].append(timer.ends[-1] - timer.ends[0])
            first[variant].append(timer.ends[0] - start)
            epochs[variant].extend(np.diff(timer.ends))
            if variant == "ours":
                intervals.append(chosen[0].sample_interval)
                samples = len(chosen[0].steps)
    steps = args.epochs * steps_per_epoch
    epoch_ratios = {
        v: statistics.median(epochs[v]) / statistics.median(epochs["none"])
        for v in variants
    }
    print(
        f"setup: 10x256 ReLU MLP, {steps} steps of batch {args.batch_size} "
        f"per fit, {args.rounds} rounds; reference fit "
        f"{statistics.median(times['none']):.2f} s; ours sampled every "
        f"{statistics.median(intervals):.0f} steps ({samples} samples)"
    )
    print(
        "ActivationStatistics() / no callback, whole fit: "
        f"{ratio_spread(times['ours'], times['none'])} (median [min, max])"
    )
    print(
        "ActivationStatistics() / no callback, steady state: "
        f"{ratio_spread(steady['ours'], steady['none'])} (goal <= 1.05)"
    )
    print(
        "ActivationStatistics() / no callback, median epoch (robust to "
        f"stalls of the host): {epoch_ratios['ours']:.3f}x"
    )
    one_off = statistics.median(
        f - r for f, r in zip(first["ours"], first["none"])
    )
    print(
        "ActivationStatistics() one-off cost (first epoch, extra): "
        f"{one_off:.2f} s"
    )
    print(
        "keras TensorBoard(histogram_freq=1) / no callback, whole fit: "
        f"{ratio_spread(times['keras'], times['none'])}"
    )
    print(
        "keras TensorBoard(histogram_freq=1) / no callback, steady state: "
        f"{ratio_spread(steady['keras'], steady['none'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
