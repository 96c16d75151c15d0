"""Cost of `GradientStatistics` in `model.fit` at its default settings.

Times `model.fit` of a 10-layer MLP (256 ReLU units per layer) on MNIST-1D
shaped data (40 features, 10 classes) with three callback settings, each
fit next to a reference fit of its own (`fit_overhead.measure`'s pairs,
whose order rotates from round to round) in this one process:

- none: no callback (the reference);
- ours: `GradientStatistics((x, y), batch_size=...)` at its defaults (an
  automatic sampling interval aiming at 2% of the training time, a probe
  of 256 labelled examples in 8 micro-batches of 32, so each sample runs 8
  gradient evaluations; every layer: 10 Dense + the logits), writing
  TensorBoard summaries and the long CSV too;
- both: `ActivationStatistics` and `GradientStatistics` together, as
  `ktk train --activation-stats --gradient-stats` runs them.

Prints, per figure, the median over rounds of the wall-time ratio to the
reference with its min-max spread, for the whole `fit` (what a user pays,
tracing the probe included) and for its steady state (epochs 2 to the
end), the ratio of the median epoch times, and the one-off cost (the first
epoch's extra seconds). Goals: ours <= 1.05 for the whole fit and <= 1.03
in the steady state, both <= 1.08 for the whole fit (`fit_overhead.py`
measures all of issue 33's figures).

    python benchmarks/gradient_statistics.py [--rounds 5] [--epochs 20]
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fit_overhead  # noqa: E402
from result_json import write_result  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fit_overhead.add_arguments(parser)
    args = parser.parse_args(argv)

    from keras_training_kit.callbacks import ActivationStatistics
    from keras_training_kit.callbacks import GradientStatistics

    x, y, train = fit_overhead.data(args)
    probe = (x[:256], y[:256])
    workdir = fit_overhead.workdir()

    def gradients(variant, run):
        return GradientStatistics(
            probe,
            log_dir=fit_overhead.path(workdir, variant, run),
            csv_path=fit_overhead.path(workdir, variant, run, "g.csv"),
            batch_size=args.batch_size,
        )

    def callbacks(variant, run):
        if variant == "ours":
            return [gradients(variant, run)]
        if variant == "both":
            return [
                ActivationStatistics(
                    probe_data=probe[0],
                    log_dir=fit_overhead.path(workdir, variant, run),
                    csv_path=fit_overhead.path(workdir, variant, run, "a.csv"),
                ),
                gradients(variant, run),
            ]
        return []

    results, chosen = fit_overhead.measure(
        args, train, callbacks, ("none", "ours", "both")
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
        "GradientStatistics()", results, "ours", goal=1.03, whole_goal=1.05
    )
    figures += fit_overhead.report(
        "Activation+GradientStatistics()", results, "both", whole_goal=1.08
    )
    write_result("gradient_statistics", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
