"""Benchmark for a GPU machine: checks against NumPy, then side-by-side ratios.

One run, one Keras backend (`--backend`, else `KERAS_BACKEND`, else
`jax`; run it once per backend), everything on the backend's default
device. It needs Keras, NumPy and the backend (JAX or PyTorch), not
TensorFlow, and imports from the package only modules that do not import
it (not `keras_training_kit.data`).

First the correctness checks (`gpu_checks.py`), one PASS/FAIL line each
with its error and tolerance: `Maxout` vs NumPy's strided max;
`Whitening(mode="zca")` adapted on correlated data (condition number 100,
mean 10): output covariance vs identity, output vs a NumPy float64 ZCA,
eigenvalues vs NumPy's float64 `eigh`; each initializer's variance vs
`stddev(shape) ** 2`; `ActivationStatistics` probe statistics vs NumPy
(both histogram paths); `RandomShiftFlipCutout` output pixels vs its
input.

Then the timings, every ratio the median [min, max] of per-round ratios
(variants alternate, their order rotating each round; `spread.py`), each
printed with its goal:

- b) Maxout: one training step (`fit` on NumPy arrays, so batches come
  from host memory; `jit_compile=True`, SGD) of `Dense(units * pieces)
  -> Maxout(units) -> Dense(10)` over `Dense(units * pieces) -> Dense(10)`,
  the plain layer of the same width (`benchmarks/maxout.py` compares the
  same pair on forward + backward alone), under float32 and
  `mixed_bfloat16`; goal <= 1.15x.
- c) `ActivationStatistics()` at its defaults (CSV output; TensorBoard
  needs TensorFlow) over no callback in `fit` of the 10x256 ReLU MLP of
  `benchmarks/activation_statistics.py`, a fresh model per fit: the whole
  fit and its steady state (epochs 2 to the end); goal <= 1.05x.
- d) `Whitening(mode="pca_whiten").adapt` of an `N x d` host array (50,000
  x 3072) over the floor of what adapt must do: copy X to the device,
  `keras.ops.matmul(X.T, X)` there, copy the Gram matrix back and one
  NumPy float64 `eigh` on the host (adapt's finalize step); goal <= 1.5x.
  Also, for information, that floor with `keras.ops.eigh` in float32 on
  the device instead.
- e) `RandomShiftFlipCutout` (4-pixel shift, flip, 8x8 Cutout) in a model
  (it followed by a global pooling and `Dense(10)`, so the step is the
  augmentation's) in images/s over a ResNet-18 (11M parameters, CIFAR
  stem) training step's images/s at 32x32x3 under `mixed_bfloat16`; goal:
  >> 1 (the augmentation is never the bottleneck); and the ResNet-18 step
  with the augmentation in it over without.
- f) `fit` throughput (images/s) of `build_cnn` and `build_mlp` on
  32x32x3 images under float32, `mixed_bfloat16` and `mixed_float16`,
  and each policy's ratio to float32.

The global dtype policy is restored after each mixed-precision part.
Sizes: the defaults are for an H200, estimated at about 5 minutes for the
whole run under JAX (most of it XLA compilation, ResNet-18's above all)
plus the machine's start-up; `--quick` (small sizes, 2 rounds) finishes in
about 2 minutes on two CPU cores. `gpu_run.sh` runs it on a GPU machine
without network access (see its header).

    KERAS_BACKEND=jax python benchmarks/gpu.py [--quick] [--rounds 5]
    python benchmarks/gpu.py --backend torch
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Runs from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from result_json import figure  # noqa: E402
from result_json import write_result  # noqa: E402
from spread import ratio_spread  # noqa: E402
from spread import ratios  # noqa: E402

# Every timing's figure, written to results/gpu-<backend>.json at the end.
FIGURES = []

FULL = dict(
    rounds=5,
    maxout_batch=2048,
    maxout_input=4096,
    maxout_steps=50,
    stats_epochs=10,
    whiten_samples=50_000,
    whiten_features=3072,
    whiten_rounds=3,
    image_batch=512,
    image_steps=40,
    resnet_width=64,
    builder_steps=50,
)
QUICK = dict(
    rounds=2,
    maxout_batch=256,
    maxout_input=256,
    maxout_steps=10,
    stats_epochs=3,
    whiten_samples=4000,
    whiten_features=256,
    whiten_rounds=2,
    image_batch=32,
    image_steps=3,
    resnet_width=8,
    builder_steps=5,
)


def _sync(model):
    # Reading a value the last step wrote waits for the queued steps.
    return keras.ops.convert_to_numpy(model.trainable_variables[-1])


def _fit_seconds(model, x, y, batch_size, epochs=1, callbacks=()):
    start = time.perf_counter()
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=list(callbacks),
    )
    _sync(model)
    return time.perf_counter() - start


def _alternate(variants, rounds):
    """Seconds of each `variants` callable per round, the order rotating."""
    for function in variants.values():  # Traces, compiles, warms up.
        function()
    names = list(variants)
    times = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(variants[name]())
    return times


def _ms(times):
    return f"{statistics.median(times) * 1e3:.2f} ms"


def _compiled(model, jit_compile=True):
    model.compile(
        keras.optimizers.SGD(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return model


def _with_policy(policy, build):
    """`build()` under the global dtype `policy`, restoring the one before."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        return build()
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _labels(rng, n):
    return rng.integers(0, 10, size=n).astype("int32")


def bench_maxout(args, rng):
    from keras_training_kit.layers import Maxout

    units, pieces = 1024, 4
    n = args.maxout_batch * args.maxout_steps
    x = rng.standard_normal((n, args.maxout_input)).astype("float32")
    y = _labels(rng, n)

    def model(with_maxout):
        layers = [keras.Input((args.maxout_input,))]
        layers.append(keras.layers.Dense(units * pieces))
        if with_maxout:
            layers.append(Maxout(units))
        layers.append(keras.layers.Dense(10))
        return _compiled(keras.Sequential(layers), args.jit_compile)

    for policy in ("float32", "mixed_bfloat16"):
        models = _with_policy(
            policy,
            lambda: {v: model(v == "maxout") for v in ("dense", "maxout")},
        )
        times = _alternate(
            {
                name: lambda m=m: _fit_seconds(m, x, y, args.maxout_batch)
                for name, m in models.items()
            },
            args.rounds,
        )
        per_step = {
            k: [t / args.maxout_steps for t in v] for k, v in times.items()
        }
        print(
            f"b) Maxout({units}) after Dense({units}*{pieces}) / Dense"
            f"({units * pieces}), training step, {policy}, batch "
            f"{args.maxout_batch} x {args.maxout_input} from host: "
            f"{ratio_spread(times['maxout'], times['dense'])}x (dense "
            f"{_ms(per_step['dense'])}, +maxout {_ms(per_step['maxout'])} "
            "per step; goal <= 1.15x)"
        )
        FIGURES.append(
            figure(
                f"b) Maxout / Dense training step, {policy}",
                ratios(times["maxout"], times["dense"]),
                "x",
                "<= 1.15",
            )
        )


def bench_activation_statistics(args, rng):
    from keras_training_kit.callbacks import ActivationStatistics
    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier

    examples, batch = 8192, 64
    x = rng.standard_normal((examples, 40)).astype("float32")
    y = _labels(rng, examples)
    probe = x[:256]
    workdir = args.workdir

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            _sync(self.model)
            self.ends.append(time.perf_counter())

    whole = {"none": [], "ours": []}
    steady = {"none": [], "ours": []}
    for round_ in range(args.rounds):
        for variant in ("none", "ours")[:: 1 if round_ % 2 == 0 else -1]:
            keras.utils.set_random_seed(0)
            model = build_mlp((40,), 10, (256,) * 10)
            compile_classifier(model, learning_rate=1e-3)
            timer = EpochTimer()
            chosen = [timer]
            if variant == "ours":
                path = os.path.join(workdir, f"stats-{round_}.csv")
                chosen.insert(
                    0, ActivationStatistics(probe_data=probe, csv_path=path)
                )
            start = time.perf_counter()
            model.fit(
                x,
                y,
                batch_size=batch,
                epochs=args.stats_epochs,
                verbose=0,
                callbacks=chosen,
            )
            whole[variant].append(time.perf_counter() - start)
            steady[variant].append(timer.ends[-1] - timer.ends[0])
    steps = args.stats_epochs * examples // batch
    for label, times in (("whole fit", whole), ("steady state", steady)):
        print(
            f"c) ActivationStatistics() / no callback, {label} ({steps} steps "
            f"of batch {batch}, 10x256 MLP; reference "
            f"{statistics.median(times['none']):.2f} s): "
            f"{ratio_spread(times['ours'], times['none'])}x (goal <= 1.05x)"
        )
        FIGURES.append(
            figure(
                f"c) ActivationStatistics() / no callback, {label}",
                ratios(times["ours"], times["none"]),
                "x",
                "<= 1.05",
            )
        )


def bench_whitening(args, rng):
    from keras_training_kit.layers import Whitening

    n, d = args.whiten_samples, args.whiten_features
    x = rng.standard_normal((n, d), dtype=np.float32)
    ops = keras.ops

    def gram():
        device = ops.convert_to_tensor(x)
        return ops.matmul(ops.transpose(device), device) / (n - 1)

    def floor():
        np.linalg.eigh(ops.convert_to_numpy(gram()).astype("float64"))

    def device_floor():
        ops.convert_to_numpy(ops.eigh(gram())[0])

    def adapt():
        Whitening(mode="pca_whiten").adapt(x)

    variants = {"floor": floor, "device": device_floor, "adapt": adapt}
    times = _alternate(
        {name: lambda f=f: _seconds(f) for name, f in variants.items()},
        args.whiten_rounds,
    )

    def seconds(name):
        return f"{statistics.median(times[name]):.2f} s"

    print(
        f"d) Whitening.adapt / floor (X to device, X.T@X there, float64 eigh "
        f"on host), {n} x {d}: {ratio_spread(times['adapt'], times['floor'])}"
        f"x (adapt {seconds('adapt')}, floor {seconds('floor')}; goal <= 1.5x)"
    )
    print(
        "d) Whitening.adapt / device-only floor (X.T@X and float32 "
        f"keras.ops.eigh on the device): "
        f"{ratio_spread(times['adapt'], times['device'])}x (floor "
        f"{seconds('device')}; no goal: adapt's eigh is float64 on the host)"
    )
    FIGURES.extend(
        [
            figure(
                f"d) Whitening.adapt / floor, {n} x {d}",
                ratios(times["adapt"], times["floor"]),
                "x",
                "<= 1.5",
            ),
            figure(
                "d) Whitening.adapt / device-only floor",
                ratios(times["adapt"], times["device"]),
                "x",
            ),
        ]
    )


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def resnet18(width=64, num_classes=10, augmentation=None):
    """A ResNet-18 for 32x32 images (3x3 stem, no max pooling), 11M params."""
    layers = keras.layers
    inputs = keras.Input((32, 32, 3))
    x = inputs if augmentation is None else augmentation(inputs)

    def conv_bn(x, filters, strides=1, relu=True):
        x = layers.Conv2D(filters, 3, strides, "same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x) if relu else x

    x = conv_bn(x, width)
    for stage, filters in enumerate((width, 2 * width, 4 * width, 8 * width)):
        for block in range(2):
            strides = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            if strides != 1 or shortcut.shape[-1] != filters:
                shortcut = layers.Conv2D(filters, 1, strides, use_bias=False)(x)
                shortcut = layers.BatchNormalization()(shortcut)
            y = conv_bn(x, filters, strides)
            y = conv_bn(y, filters, relu=False)
            x = layers.ReLU()(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, dtype="float32")(x)
    return keras.Model(inputs, outputs, name="resnet18")


def _augmentation():
    from keras_training_kit.augmentation.shift_flip_cutout import (
        RandomShiftFlipCutout,
    )

    return RandomShiftFlipCutout(
        0.125, horizontal_flip=True, cutout=0.25, seed=0
    )


def bench_augmentation(args, rng):
    batch, steps = args.image_batch, args.image_steps
    n = batch * steps
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = _labels(rng, n)

    def build():
        head = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                _augmentation(),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(10, dtype="float32"),
            ]
        )
        return {
            "augmentation": _compiled(head, args.jit_compile),
            "resnet18": _compiled(
                resnet18(args.resnet_width), args.jit_compile
            ),
            "augmented_resnet18": _compiled(
                resnet18(args.resnet_width, augmentation=_augmentation()),
                args.jit_compile,
            ),
        }

    models = _with_policy("mixed_bfloat16", build)
    parameters = models["resnet18"].count_params()
    times = _alternate(
        {
            name: lambda m=m: _fit_seconds(m, x, y, batch)
            for name, m in models.items()
        },
        args.rounds,
    )
    rate = {k: n / statistics.median(v) for k, v in times.items()}
    print(
        "e) RandomShiftFlipCutout (+pool+Dense) training step / ResNet-18 "
        f"({parameters / 1e6:.1f}M params) training step, images/s, "
        f"mixed_bfloat16, batch {batch} from host: "
        f"{ratio_spread(times['resnet18'], times['augmentation'], 1)}x "
        f"({rate['augmentation']:,.0f} vs {rate['resnet18']:,.0f} images/s; "
        "goal >> 1)"
    )
    print(
        "e) ResNet-18 step with the augmentation in the model / without: "
        f"{ratio_spread(times['augmented_resnet18'], times['resnet18'])}x "
        f"({rate['augmented_resnet18']:,.0f} images/s)"
    )
    FIGURES.extend(
        [
            figure(
                "e) RandomShiftFlipCutout step / ResNet-18 step, images/s",
                ratios(times["resnet18"], times["augmentation"]),
                "x",
                ">> 1",
            ),
            figure(
                "e) ResNet-18 step with the augmentation / without",
                ratios(times["augmented_resnet18"], times["resnet18"]),
                "x",
            ),
        ]
    )


def bench_builders(args, rng):
    from keras_training_kit.models import build_cnn
    from keras_training_kit.models import build_mlp

    batch = 256 if not args.quick else 64
    n = batch * args.builder_steps
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = _labels(rng, n)
    policies = ("float32", "mixed_bfloat16", "mixed_float16")
    for name, builder in (("build_cnn", build_cnn), ("build_mlp", build_mlp)):
        models = {
            policy: _with_policy(
                policy,
                lambda: _compiled(builder((32, 32, 3), 10), args.jit_compile),
            )
            for policy in policies
        }
        times = _alternate(
            {
                policy: lambda m=m: _fit_seconds(m, x, y, batch)
                for policy, m in models.items()
            },
            args.rounds,
        )
        for policy in policies:
            rate = n / statistics.median(times[policy])
            speedup = (
                ""
                if policy == "float32"
                else "; speed-up (float32 time / this): "
                f"{ratio_spread(times['float32'], times[policy])}x"
            )
            print(
                f"f) {name}((32, 32, 3), 10) fit, batch {batch}, {policy}: "
                f"{rate:,.0f} images/s{speedup}"
            )
            FIGURES.append(
                figure(
                    f"f) {name} fit, {policy}",
                    [n / t for t in times[policy]],
                    "images/s",
                )
            )


def _header(args):
    import platform

    backend = keras.backend.backend()
    versions = [f"keras {keras.__version__}", f"numpy {np.__version__}"]
    if backend == "jax":
        import jax

        device = ", ".join(str(d) for d in jax.devices())
        versions.append(f"jax {jax.__version__}")
        precision = jax.config.jax_default_matmul_precision
        versions.append(f"jax_default_matmul_precision={precision}")
    elif backend == "torch":
        import torch

        device = (
            torch.cuda.get_device_name(0)
            if torch.cuda.is_available()
            else "cpu"
        )
        versions.append(f"torch {torch.__version__}")
        versions.append(
            f"float32 matmul precision {torch.get_float32_matmul_precision()}"
        )
    else:
        import tensorflow as tf

        device = ", ".join(d.name for d in tf.config.list_logical_devices())
        versions.append(f"tensorflow {tf.__version__}")
    print(
        f"device: {device}; backend {backend}; {', '.join(versions)}; python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; "
        f"{'quick' if args.quick else 'full'} sizes, {args.rounds} rounds"
    )
    return device


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        default=os.environ.get("KERAS_BACKEND", "jax"),
        choices=("jax", "torch", "tensorflow"),
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--only",
        default="abcdef",
        help="the parts to run, e.g. `ab` (a: checks; b-f: timings)",
    )
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if key != "rounds" or args.rounds is None:
            setattr(args, key, value)
    os.environ["KERAS_BACKEND"] = args.backend

    global keras
    import tempfile

    import keras

    args.workdir = tempfile.mkdtemp(prefix="ktk-gpu-")
    # PyTorch's Keras trainer would compile with torch.compile.
    args.jit_compile = args.backend != "torch"
    device = _header(args)
    rng = np.random.default_rng(0)
    failures = []
    if "a" in args.only:
        from gpu_checks import CHECKS

        for check in CHECKS:
            try:
                results = check(keras, rng)
            except Exception as error:  # One broken check stops no other.
                failures.append(check.__name__)
                print(f"a) FAIL {check.__name__} raised {error!r}")
                continue
            for name, error, tolerance, detail in results:
                ok = error <= tolerance  # NaN fails.
                if not ok:
                    failures.append(name)
                print(
                    f"a) {'PASS' if ok else 'FAIL'} {name}: {detail} = "
                    f"{error:.3g} (tolerance {tolerance:g})"
                )
    for part, bench in (
        ("b", bench_maxout),
        ("c", bench_activation_statistics),
        ("d", bench_whitening),
        ("e", bench_augmentation),
        ("f", bench_builders),
    ):
        if part in args.only:
            start = time.perf_counter()
            try:
                bench(args, rng)
            except Exception as error:  # The other timings still run.
                failures.append(bench.__name__)
                print(f"{part}) FAIL {bench.__name__} raised {error!r}")
            print(f"   ({part} took {time.perf_counter() - start:.0f} s)")
    if FIGURES:
        name = f"gpu-{args.backend}" + ("-quick" if args.quick else "")
        write_result(name, FIGURES, device=device)
    if failures:
        print(f"FAILED {len(failures)} check(s): {'; '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
