"""Cost of `ActivationStatistics` in `model.fit` at its default settings.

Times `model.fit` of a 10-layer MLP (256 ReLU units per layer) on MNIST-1D
shaped data (40 features, 10 classes) with three callback settings, each
fit next to a reference fit of its own (`fit_overhead.measure`'s pairs,
whose order rotates from round to round) in this one process:

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
figure the host's random stalls do not move), and the one-off cost
itself (the first epoch's extra seconds), so the ratio of a fit of any
other length can be worked out. Goals: ours <= 1.05 for the whole fit,
<= 1.03 in the steady state.

The default fit (20 epochs of 128 steps, about 15 s on 2 cores) is a short
but realistic training run; `--epochs 6` shows how the one-off cost
weighs on a 5 s fit.

    python benchmarks/activation_statistics.py [--rounds 5] [--epochs 20]
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fit_overhead  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fit_overhead.add_arguments(parser)
    args = parser.parse_args(argv)

    import keras

    from keras_training_kit.callbacks import ActivationStatistics

    x, _, train = fit_overhead.data(args)
    probe = x[:256]
    workdir = fit_overhead.workdir()

    def callbacks(variant, run):
        if variant == "ours":
            return [
                ActivationStatistics(
                    probe_data=probe,
                    log_dir=fit_overhead.path(workdir, "ours", run),
                    csv_path=fit_overhead.path(workdir, "ours", run, ".csv"),
                )
            ]
        if variant == "keras":
            return [
                keras.callbacks.TensorBoard(
                    fit_overhead.path(workdir, "keras", run), histogram_freq=1
                )
            ]
        return []

    results, chosen = fit_overhead.measure(
        args, train, callbacks, ("none", "ours", "keras")
    )
    stats = chosen["ours"][0]
    steps = args.epochs * -(-args.examples // args.batch_size)
    print(
        f"setup: 10x256 ReLU MLP, {steps} steps of batch {args.batch_size} "
        f"per fit, {args.rounds} rounds; reference fit "
        f"{statistics.median(results['none']['whole']):.2f} s; ours sampled "
        f"every {stats.sample_interval} steps ({len(stats.steps)} samples)"
    )
    figures = fit_overhead.report(
        "ActivationStatistics()", results, "ours", goal=1.03, whole_goal=1.05
    )
    keras_tb = results["keras"]
    # Its own paired reference fits (`fit_overhead.measure`).
    reference = keras_tb["reference"]
    print(
        "keras TensorBoard(histogram_freq=1) / no callback, whole fit: "
        f"{ratio_spread(keras_tb['whole'], reference['whole'])}"
    )
    print(
        "keras TensorBoard(histogram_freq=1) / no callback, steady state: "
        f"{ratio_spread(keras_tb['steady'], reference['steady'])}"
    )
    for part in ("whole", "steady"):
        figures.append(
            figure(
                "keras TensorBoard(histogram_freq=1) / no callback, "
                + ("whole fit" if part == "whole" else "steady state"),
                ratios(keras_tb[part], reference[part]),
                "x",
            )
        )
    write_result("activation_statistics", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
