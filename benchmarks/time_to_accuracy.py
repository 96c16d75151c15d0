"""Benchmark: what `ktk train` costs to reach its accuracy, over seeds.

Two parts, one line per figure:

- **Wall time of `ktk train` on its defaults** (digits), each run a fresh
  process as a user starts it, against `python -c "import tensorflow"`
  (the floor every TensorFlow program pays), alternating round by round:
  the difference's median [min, max]; goal <= 2.5 s.
- **Accuracy and training time over seeds 0..N-1** (as airbench reports
  CIFAR-10), for each recipe as `ktk train` flags: digits on the defaults
  (target 99%) and the fastest MNIST-1D recipe found (target 97%). Each run
  reports `fit`'s seconds (`train_seconds_this_session` of its
  `metrics.json`) and its test accuracy; a recipe reaches its target when
  every seed does. The runs fork from one process that imported the
  package, so each pays its tracing but not the imports.

    python benchmarks/time_to_accuracy.py                # 5 rounds, 10 seeds
    python benchmarks/time_to_accuracy.py --rounds 3 --seeds 3
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402

# (name, target accuracy, `ktk train` flags).
RECIPES = [
    ("digits, ktk train's defaults", 0.99, ""),
    (
        "MNIST-1D",
        0.97,
        "--dataset mnist1d --filters 32,64,128 --kernel-size 5 "
        "--convs-per-stage 2 --epochs 8 --lr 1e-2",
    ),
]


def _timed(command, folder):
    started = time.perf_counter()
    subprocess.run(
        command,
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def wall_times(rounds):
    """`(ktk train seconds, import tensorflow seconds)` per round."""
    ktk = os.path.join(os.path.dirname(sys.executable), "ktk")
    train, floor = [], []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(rounds):
            variants = [
                (train, [ktk, "train", "--verbose", "0", "--overwrite"]),
                (floor, [sys.executable, "-c", "import tensorflow"]),
            ]
            for times, command in variants[:: 1 if index % 2 else -1]:
                if times is train:
                    command = command + ["--output-dir", f"run{index}"]
                times.append(_timed(command, folder))
            print(
                f"round {index}: ktk train {train[-1]:.2f} s, import "
                f"tensorflow {floor[-1]:.2f} s",
                flush=True,
            )
    return train, floor


def seed_runs(flags, seeds, folder):
    """`[(test accuracy, fit seconds)]` of `ktk train FLAGS --seed s`."""
    from keras_training_kit.cli.main import main

    results = []
    for seed in range(seeds):
        run_dir = os.path.join(folder, f"seed{seed}")
        words = ["train", *shlex.split(flags), "--seed", str(seed)]
        words += ["--verbose", "0", "--output-dir", run_dir]
        pid = os.fork()
        if pid == 0:  # the child: a `ktk train` after the imports
            code = 1
            try:
                with open(os.devnull, "w") as devnull:
                    sys.stdout = devnull
                    code = main(words)
            finally:
                os._exit(code)
        os.waitpid(pid, 0)
        with open(os.path.join(run_dir, "metrics.json")) as f:
            metrics = json.load(f)
        results.append(
            (metrics["test_accuracy"], metrics["train_seconds_this_session"])
        )
        print(
            f"  seed {seed}: test accuracy {results[-1][0]:.4f}, fit "
            f"{results[-1][1]:.2f} s",
            flush=True,
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    train, floor = wall_times(args.rounds)
    extra = [a - b for a, b in zip(train, floor)]
    figures = [
        figure(
            "ktk train (defaults) - import tensorflow", extra, "s", "<= 2.5"
        ),
        figure("ktk train (defaults), whole process", train, "s"),
        figure("import tensorflow", floor, "s"),
    ]
    import keras_training_kit.cli.main  # noqa: F401  (imported once)

    for name, target, flags in RECIPES:
        print(f"{name}: ktk train {flags}", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            runs = seed_runs(flags, args.seeds, folder)
        accuracies = [accuracy for accuracy, _ in runs]
        reached = sum(accuracy >= target for accuracy in accuracies)
        figures += [
            figure(f"{name}: fit time", [s for _, s in runs], "s"),
            figure(
                f"{name}: test accuracy over {len(runs)} seeds",
                accuracies,
                "",
                f">= {target} on every seed",
            ),
            figure(f"{name}: seeds at >= {target}", reached, "seeds"),
        ]
        print(
            f"{name}: test accuracy mean {statistics.mean(accuracies):.4f}, "
            f"min {min(accuracies):.4f}; {reached}/{len(runs)} seeds >= "
            f"{target}",
            flush=True,
        )
    for entry in figures:
        print(
            f"{entry['name']}: {entry['median']:.4g} [{entry['min']:.4g}, "
            f"{entry['max']:.4g}] {entry['unit']}"
        )
    recipes = "; ".join(
        f"{name}: `ktk train {flags}`".replace(" `ktk train `", " `ktk train`")
        for name, _, flags in RECIPES
    )
    write_result("time_to_accuracy", figures, note=f"Recipes: {recipes}.")


if __name__ == "__main__":
    main()
