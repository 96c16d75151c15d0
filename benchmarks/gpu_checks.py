"""The correctness half of `benchmarks/gpu.py`: components against NumPy.

Each check computes on the Keras backend's default device (the GPU where
there is one) and compares with a NumPy reference (float64 where it
matters), returning `(name, error, tolerance, detail)`; `gpu.py` prints
one PASS/FAIL line per check. Fresh random inputs, never zeros.
"""

import logging

import numpy as np


def _rel(error, reference):
    return float(np.linalg.norm(error) / np.linalg.norm(reference))


def check_maxout(keras, rng):
    """`Maxout` vs NumPy's strided max, rank 2 and rank 4, both axes."""
    from keras_training_kit.layers import Maxout

    results = []
    for shape, units, axis in (
        ((64, 4096), 1024, -1),
        ((8, 6, 5, 12), 3, -1),
        ((8, 12, 6, 5), 4, 1),
    ):
        x = rng.standard_normal(shape).astype("float32")
        out = keras.ops.convert_to_numpy(Maxout(units, axis=axis)(x))
        moved = np.moveaxis(x, axis, -1)
        pieces = moved.reshape(moved.shape[:-1] + (-1, units)).max(axis=-2)
        error = float(np.max(np.abs(out - np.moveaxis(pieces, -1, axis))))
        results.append(
            (
                f"Maxout({units}, axis={axis}) on {shape} vs NumPy",
                error,
                0.0,
                "max |error| (a max is exact)",
            )
        )
    return results


def check_whitening(keras, rng, samples=20_000, features=64):
    """`Whitening("zca")` on correlated data vs identity and NumPy ZCA.

    The data's covariance has eigenvalues from 1 to 100 (condition number
    100), its mean is far from 0 (10), so the float64 statistics matter.
    """
    from keras_training_kit.layers import Whitening

    q, _ = np.linalg.qr(rng.standard_normal((features, features)))
    mixing = q * np.sqrt(np.logspace(0, 2, features))
    x = rng.standard_normal((samples, features)) @ mixing.T + 10.0
    x = x.astype("float32")
    layer = Whitening(mode="zca")
    layer.adapt(x)
    out = keras.ops.convert_to_numpy(layer(x)).astype("float64")
    identity_error = float(
        np.max(np.abs(np.cov(out, rowvar=False) - np.eye(features)))
    )
    data = x.astype("float64")
    values, vectors = np.linalg.eigh(np.cov(data, rowvar=False))
    zca = (vectors / np.sqrt(values + layer.epsilon)) @ vectors.T
    reference = (data - data.mean(axis=0)) @ zca
    eigen_error = _rel(
        np.sort(layer.explained_variance) - np.sort(values), values
    )
    return [
        (
            f"Whitening(zca) {samples}x{features}: output covariance vs I",
            identity_error,
            1e-3,
            "max |cov - I|",
        ),
        (
            "Whitening(zca) output vs NumPy float64 ZCA",
            _rel(out - reference, reference),
            1e-3,
            "||out - ref|| / ||ref||",
        ),
        (
            "Whitening(zca) eigenvalues vs NumPy float64 eigh",
            eigen_error,
            1e-6,
            "||lambda - ref|| / ||ref|| (float64 statistics)",
        ),
    ]


def check_initializers(keras, rng):
    """Each initializer's drawn variance vs `stddev(shape) ** 2`.

    About a million draws: the variance's relative standard error is
    sqrt(2 / N) ~ 0.14%, so 1% is about seven standard errors.
    """
    from keras_training_kit import initializers

    results = []
    for cls, kwargs, shape in (
        (initializers.KaimingNormal, {}, (1024, 1024)),
        (initializers.KaimingNormal, {"mode": "fan_out"}, (3, 3, 128, 256)),
        (initializers.KaimingUniform, {"nonlinearity": "tanh"}, (1024, 1024)),
        (initializers.XavierNormal, {}, (3, 3, 128, 256)),
        (initializers.XavierUniform, {"gain": 2.0}, (1024, 1024)),
    ):
        init = cls(seed=int(rng.integers(1 << 30)), **kwargs)
        values = keras.ops.convert_to_numpy(init(shape)).astype("float64")
        expected = init.stddev(shape) ** 2
        results.append(
            (
                f"{cls.__name__}({kwargs}) {shape}: variance vs expected",
                abs(values.var() / expected - 1.0),
                1e-2,
                f"|var / {expected:.3g} - 1|",
            )
        )
    return results


def _probe_model(keras):
    # The model of tests/callbacks/test_activation_statistics.py.
    x = keras.Input((6,), name="features")
    h = keras.layers.Dense(12, activation="relu", name="relu")(x)
    dead = keras.layers.Dense(
        5,
        activation="relu",
        bias_initializer=keras.initializers.Constant(-50.0),
        name="dead",
    )(h)
    t = keras.layers.Dense(7, activation="tanh", name="tanh")(h)
    s = keras.layers.Dense(4, name="pre_sigmoid")(t)
    s = keras.layers.Activation("sigmoid", name="sigmoid")(s)
    out = keras.layers.Dense(3, name="logits")(
        keras.layers.Concatenate()([dead, s])
    )
    return keras.Model(x, out)


def check_activation_statistics(keras, rng):
    """Probe statistics (mean, std, zero fraction, histogram) vs NumPy."""
    from keras_training_kit.callbacks import ActivationStatistics

    x = rng.standard_normal((256, 6)).astype("float32")
    # The planted dead layer's warning is expected: keep it off the output.
    logging.getLogger("keras_training_kit").setLevel(logging.ERROR)
    results = []
    for jit_compile in (False, True):
        model = _probe_model(keras)
        stats = ActivationStatistics(
            probe_data=x, bins=10, jit_compile=jit_compile
        )
        stats.set_model(model)
        stats.on_train_begin()
        stats.on_train_end()
        moments, counts, values = 0.0, 0, 0
        for name, record in stats.history.items():
            sub = keras.Model(model.input, model.get_layer(name).output)
            a = keras.ops.convert_to_numpy(sub(x)).astype("float64")
            for key, ref in (("mean", a.mean()), ("std", a.std())):
                moments = max(
                    moments,
                    abs(record[key][0] - ref) / max(abs(ref), 1e-6),
                )
            moments = max(
                moments, abs(record["zero_fraction"][0] - np.mean(a == 0))
            )
            histogram, _ = np.histogram(a, bins=10, range=(a.min(), a.max()))
            counts += int(np.abs(record["histogram"][0] - histogram).sum())
            values += a.size
        results += [
            (
                f"ActivationStatistics(jit_compile={jit_compile}) "
                "mean/std/zero fraction vs NumPy",
                moments,
                1e-4,
                f"max relative error over {len(stats.history)} layers",
            ),
            (
                f"ActivationStatistics(jit_compile={jit_compile}) "
                "histograms vs np.histogram",
                counts / values,
                1e-3,
                f"misplaced counts / {values} values",
            ),
        ]
    logging.getLogger("keras_training_kit").setLevel(logging.NOTSET)
    return results


def check_augmentation(keras, rng):
    """`RandomShiftFlipCutout` runs here and moves pixels, nothing else.

    With `fill_value` outside the data's range, every output pixel is
    either a pixel of its own input image or the fill.
    """
    from keras_training_kit.augmentation.shift_flip_cutout import (
        RandomShiftFlipCutout,
    )

    images = rng.random((16, 32, 32, 3)).astype("float32")
    layer = RandomShiftFlipCutout(
        0.125, horizontal_flip=True, cutout=0.25, fill_value=-1.0, seed=0
    )
    out = keras.ops.convert_to_numpy(layer(images, training=True))
    stray = 0
    for source, result in zip(images, out):
        pixels = result.reshape(-1, 3)
        kept = pixels[pixels[:, 0] != -1.0]
        known = {tuple(p) for p in source.reshape(-1, 3)}
        stray += sum(tuple(p) not in known for p in kept)
    moved = float(np.mean(out != images))
    return [
        (
            "RandomShiftFlipCutout output pixels come from the input or fill",
            stray / out[..., 0].size,
            0.0,
            f"stray pixels fraction; shape {out.shape}, {moved:.0%} changed",
        )
    ]


CHECKS = (
    check_maxout,
    check_whitening,
    check_initializers,
    check_activation_statistics,
    check_augmentation,
)
