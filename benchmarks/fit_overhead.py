"""What the statistics callbacks add to `model.fit` (issue 33's figures).

Fits a 10-layer MLP (256 ReLU units per layer) on MNIST-1D shaped data (40
features, 10 classes) once per variant and round, each next to a fit
without a callback of its own (its pair: reference first in one round,
second in the next; the pairs' order rotates round by round) in this one
process; each run builds a fresh model from the same seed. The ratios are
per pair: the 2-core host's speed drifts by 10% and more within a minute,
which a reference fitted three fits away took into the ratio. Per variant
it keeps the whole fit's time, the steady state (epochs 2 to the end, timed
at epoch ends after every callback ran: without the one-off costs of
building and tracing the train step and the probe), the first epoch (the
one-off costs) and every later epoch's time. `activation_statistics.py`
and `gradient_statistics.py` use this loop; run on its own it measures the
variants none, `ActivationStatistics`, `GradientStatistics` and both at
their defaults (with a CSV and TensorBoard), and prints, per figure, the
median [min, max] over rounds:

- the whole fit and the steady state, as ratios to no callback (goals:
  whole <= 1.05 for each callback, <= 1.08 for both; steady <= 1.03);
- the extra seconds of re-fitting one model (1 epoch) with a new callback
  instance, after a first fit with the callbacks (goal <= 0.15 s);
- the extra seconds of the first fit (1 epoch) in a fresh process, one
  process per variant and round (goal <= 0.5 s);
- `diagnose()` at its defaults (256 examples, micro-batches of 32) against
  the first 20 training steps of a fresh process (the train step's one
  compile and 20 steps), each in its own process (goal <= 1x).

    python benchmarks/fit_overhead.py [--rounds 5] [--epochs 20]
"""

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402
from spread import spread  # noqa: E402

VARIANTS = ("none", "activation", "gradient", "both")


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
    #
    # And tf.data's autotuning off: with it, deleting the iterator when
    # `fit` returns waited for its autotuning thread, 0.1-5 s in about half
    # of the 10-epoch fits (timed with and without a prefetch or a cache,
    # with or without any callback; never with autotuning off): a random
    # stall after the last epoch that put single rounds' whole-fit ratios
    # anywhere from 0.55x to 1.78x. `prefetch(2)` keeps a fixed buffer.
    options = tf.data.Options()
    options.autotune.enabled = False
    train = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .batch(args.batch_size)
        .cache()
        .repeat()
        .prefetch(2)
        .with_options(options)
    )
    return x, y, train


def new_model():
    """The benchmarks' 10x256 ReLU MLP, compiled, from seed 0."""
    import keras

    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier

    keras.utils.set_random_seed(0)
    return compile_classifier(
        build_mlp((40,), 10, (256,) * 10), learning_rate=1e-3
    )


def measure(args, train, callbacks, variants):
    """Times the fits; `callbacks(variant, run)` gives a run's callbacks.

    Each round fits every variant but the first (the reference) next to a
    reference fit of its own, reference first in one round and second in
    the next (the pairs' order rotates round by round), and each variant's
    ratios are taken against its own pairs: the host's speed drifts by 10%
    and more over tens of seconds on 2 shared cores, and a reference fitted
    three fits away took that drift into the ratio.

    Returns:
        `(results, chosen)`: results maps each variant to a dict of lists
        (`"whole"`, `"steady"`, `"first"` per round, `"epochs"` all later
        epochs) and, for all but the reference, `"reference"`: such a dict
        of its paired reference fits; chosen maps each variant to its last
        run's callbacks.
    """
    reference, others = variants[0], list(variants[1:])
    results = {v: _timings() for v in variants}
    for variant in others:
        results[variant]["reference"] = _timings()
    last = {}
    for run in range(args.rounds):
        shift = run % len(others)
        for k, variant in enumerate(others[shift:] + others[:shift]):
            pair = [reference, variant]
            if (run + k) % 2:
                pair.reverse()
            for which in pair:
                last[which], timings = _fit(args, train, callbacks, which, run)
                _add(results[which], timings)
                if which == reference:
                    _add(results[variant]["reference"], timings)
    return results, last


def _timings():
    return {"whole": [], "steady": [], "first": [], "epochs": []}


def _add(timings, new):
    """Appends one fit's times (`"epochs"`: all its later epochs)."""
    for key, value in new.items():
        if key == "epochs":
            timings[key].extend(value)
        else:
            timings[key].append(value)


def _fit(args, train, callbacks, variant, run):
    """Fits a fresh model: `(callbacks, {"whole": s, ...})`."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """The time at each epoch end, after the callbacks before it."""

        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    model = new_model()
    chosen = callbacks(variant, run)
    timer = EpochTimer()
    gc.collect()
    start = time.perf_counter()
    model.fit(
        train,
        epochs=args.epochs,
        steps_per_epoch=-(-args.examples // args.batch_size),
        verbose=0,
        shuffle=False,
        callbacks=chosen + [timer],
    )
    return chosen, {
        "whole": time.perf_counter() - start,
        "steady": timer.ends[-1] - timer.ends[0],
        "first": timer.ends[0] - start,
        "epochs": list(np.diff(timer.ends)),
    }


def report(name, results, variant, goal=None, whole_goal=None):
    """Prints whole-fit, steady-state, median-epoch and one-off figures.

    `goal` is the steady state's, `whole_goal` the whole fit's. Returns
    them as `result_json.figure`s.
    """
    ours = results[variant]
    ref = ours["reference"]  # its own paired reference fits
    print(
        f"{name} / no callback, whole fit: "
        f"{ratio_spread(ours['whole'], ref['whole'])} (median [min, max])"
        + (f" (goal <= {whole_goal})" if whole_goal else "")
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
            f"<= {whole_goal}" if whole_goal else None,
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


def statistics_callbacks(args, x, y, directory):
    """`callbacks(variant, run)`: the statistics callbacks at defaults."""
    from keras_training_kit.callbacks import ActivationStatistics
    from keras_training_kit.callbacks import GradientStatistics

    def callbacks(variant, run):
        chosen = []
        if variant in ("activation", "both"):
            chosen.append(
                ActivationStatistics(
                    probe_data=x[:256],
                    log_dir=path(directory, variant, run, "a"),
                    csv_path=path(directory, variant, run, "a.csv"),
                )
            )
        if variant in ("gradient", "both"):
            chosen.append(
                GradientStatistics(
                    (x[:256], y[:256]),
                    log_dir=path(directory, variant, run, "g"),
                    csv_path=path(directory, variant, run, "g.csv"),
                    batch_size=args.batch_size,
                )
            )
        return chosen

    return callbacks


def refit_extra(args, train, callbacks, variants):
    """Extra seconds of 1-epoch re-fits of one model with new callbacks.

    The model is fitted once with each variant's callbacks first (a
    notebook's earlier cell); then, round by round in alternating order,
    one epoch with a new instance of each variant's callbacks.
    """
    steps = -(-args.examples // args.batch_size)
    model = new_model()
    for variant in variants:
        model.fit(
            train,
            epochs=1,
            steps_per_epoch=steps,
            verbose=0,
            callbacks=callbacks(variant, "warm"),
        )
    times = {v: [] for v in variants}
    for run in range(args.rounds):
        shift = run % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            chosen = callbacks(variant, f"refit{run}")
            gc.collect()
            start = time.perf_counter()
            model.fit(
                train,
                epochs=1,
                steps_per_epoch=steps,
                verbose=0,
                callbacks=chosen,
            )
            times[variant].append(time.perf_counter() - start)
    return {
        v: [a - b for a, b in zip(times[v], times[variants[0]])]
        for v in variants[1:]
    }


def child(args):
    """One fresh process's measurement (`--child`): prints the seconds."""
    x, y, train = data(args)
    model = new_model()
    directory = workdir()
    steps = -(-args.examples // args.batch_size)
    start = time.perf_counter()
    if args.child == "diagnose":
        from keras_training_kit.babysitting import diagnose

        diagnose(model, x[:256], y[:256])
    elif args.child == "steps20":
        model.fit(train, epochs=1, steps_per_epoch=20, verbose=0)
    else:
        chosen = statistics_callbacks(args, x, y, directory)(args.child, 0)
        model.fit(
            train, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=chosen
        )
    print(f"seconds {time.perf_counter() - start:.6f}")


def fresh_process_times(args, kinds):
    """`{kind: [seconds per round]}`, each in a fresh process."""
    times = {kind: [] for kind in kinds}
    for run in range(args.rounds):
        shift = run % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            command = [sys.executable, os.path.abspath(__file__)]
            command += ["--child", kind, "--examples", str(args.examples)]
            command += ["--batch-size", str(args.batch_size)]
            result = subprocess.run(
                command, capture_output=True, text=True, check=True
            )
            line = result.stdout.strip().splitlines()[-1]
            times[kind].append(float(line.split()[1]))
    return times


def extra_figure(name, extras, goal):
    """Prints and returns a figure of extra seconds per round."""
    print(
        f"{name}: {statistics.median(extras):.3f} s "
        f"[{min(extras):.3f}, {max(extras):.3f}] (goal <= {goal} s)"
    )
    return figure(name, extras, "s", f"<= {goal}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    load = os.getloadavg()[0]
    x, y, train = data(args)
    callbacks = statistics_callbacks(args, x, y, workdir())
    results, chosen = measure(args, train, callbacks, VARIANTS)
    steps = args.epochs * -(-args.examples // args.batch_size)
    print(
        f"setup: 10x256 ReLU MLP, {steps} steps of batch {args.batch_size} "
        f"per fit, {args.rounds} rounds; reference fit "
        f"{statistics.median(results['none']['whole']):.2f} s; "
        + "; ".join(
            f"{type(c).__name__} ({variant}) sampled every "
            f"{c.sample_interval} steps, {len(c.steps)} samples"
            for variant in VARIANTS[1:]
            for c in chosen[variant]
        )
    )
    # The same fit's epochs without a callback: how far the host drifts.
    drift = results["none"]["epochs"]
    print(f"epoch without a callback: {spread(drift)} s (the host's drift)")
    figures = [figure("epoch without a callback (host's drift)", drift, "s")]
    for variant, name, whole, steady in (
        ("activation", "ActivationStatistics()", 1.05, 1.03),
        ("gradient", "GradientStatistics()", 1.05, 1.03),
        ("both", "Activation+GradientStatistics()", 1.08, None),
    ):
        figures += report(name, results, variant, goal=steady, whole_goal=whole)
    for variant, extras in refit_extra(
        args, train, callbacks, VARIANTS
    ).items():
        figures.append(
            extra_figure(
                f"{variant}: re-fit, new instance (extra)", extras, 0.15
            )
        )
    first = fresh_process_times(args, VARIANTS)
    for variant in VARIANTS[1:]:
        extras = [a - b for a, b in zip(first[variant], first["none"])]
        figures.append(
            extra_figure(
                f"{variant}: first fit in a process (extra)", extras, 0.5
            )
        )
    cost = fresh_process_times(args, ("steps20", "diagnose"))
    figures.append(diagnose_figure(cost))
    # The host's load says how far the figures can be trusted.
    note = (
        f"Load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end; reference fit "
        f"{statistics.median(results['none']['whole']):.1f} s."
    )
    print(note)
    write_result("fit_overhead", figures, note=note)
    return 0


def diagnose_figure(cost):
    """diagnose() / (compile + 20 training steps), each a fresh process."""
    values = ratios(cost["diagnose"], cost["steps20"])
    print(
        "diagnose() / compile + 20 training steps: "
        f"{ratio_spread(cost['diagnose'], cost['steps20'])} (goal <= 1.0; "
        f"{statistics.median(cost['diagnose']):.2f} s against "
        f"{statistics.median(cost['steps20']):.2f} s)"
    )
    return figure(
        "diagnose() / compile + 20 training steps", values, "x", "<= 1.0"
    )


if __name__ == "__main__":
    sys.exit(main())
