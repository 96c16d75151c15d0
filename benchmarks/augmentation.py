"""Throughput of the `"cifar10"` augmentation preset vs albumentations and
Keras 2's `ImageDataGenerator`, at 32x32x3 on two CPU cores.

Prints one line per figure, each a ratio of images/second measured side by
side in this run (variants alternate over `--rounds`; the median is kept):

- ours: `AugmentationPipeline.from_preset("cifar10").apply(...)` (flip,
  4-pixel shift, one 8x8 Cutout hole), iterated to the end.
- keras-layers-as-is: the same operations with Keras' `RandomFlip`,
  `RandomTranslation` and `RandomErasing` in the same `tf.data` map: why
  translation and cutout have fast paths.
- albumentations: `HorizontalFlip`, a 4-pixel shift and `CoarseDropout`
  (one 8x8 hole) on uint8 images (its fastest format) in two worker
  processes, one per core. The shift is measured two ways: `Affine
  (translate_px=4)` and its cheaper `PadIfNeeded` + `RandomCrop`. Goal:
  ours >= 1.0x.
- ImageDataGenerator: `tf_keras`' legacy `random_transform` with
  `horizontal_flip` and 4-pixel shifts (it has no cutout) in two worker
  processes. Goal: ours >= 10x.

A library that is not installed is skipped with a message
(`pip install keras-training-kit[benchmark]`).

    python benchmarks/augmentation.py [--images 8192] [--rounds 5]
"""

import argparse
import multiprocessing
import os
import statistics
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

SIZE = 32
SHIFT = 4  # pixels: translation 0.125 of 32
HOLE = 8  # pixels: cutout 0.25 of 32
BATCH = 128


def _data(n):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, SIZE, SIZE, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, (n,), dtype=np.int32)
    return images, labels


def _tf_rate(dataset):
    """Images/second of one epoch over `dataset` (built once, as in `fit`).

    The dataset is built (and its map functions traced) once, then iterated
    once per round like one training epoch; rebuilding it per round would
    time the tracing, which a training run pays once.
    """
    count = 0
    start = time.perf_counter()
    for images, _ in dataset:
        count += int(images.shape[0])
    return count / (time.perf_counter() - start)


def _ours(images, labels):
    import tensorflow as tf

    from keras_training_kit.augmentation import AugmentationPipeline

    pipeline = AugmentationPipeline.from_preset("cifar10")
    source = tf.data.Dataset.from_tensor_slices(
        (images.astype("float32") / 255.0, labels)
    )
    return pipeline.apply(source, BATCH, shuffle=False, seed=0)


def _keras_layers(images, labels):
    import keras
    import tensorflow as tf

    flip = keras.layers.RandomFlip("horizontal", seed=0)
    shift = keras.layers.RandomTranslation(
        SHIFT / SIZE, SHIFT / SIZE, fill_mode="constant", seed=0
    )
    # One hole of (HOLE/SIZE)^2 of the area, as Cutout.
    area = (HOLE / SIZE) ** 2
    erase = keras.layers.RandomErasing(
        1.0, scale=(area, area), fill_value=0.0, value_range=(0, 1), seed=0
    )
    source = tf.data.Dataset.from_tensor_slices(
        (images.astype("float32") / 255.0, labels)
    )

    def augment(x, y):
        return (
            erase(shift(flip(x, training=True), training=True), training=True),
            y,
        )

    return (
        source.batch(BATCH)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def _albumentations_transform(shift):
    import albumentations as A
    import cv2

    # One process per core: no OpenCV thread pool on top.
    cv2.setNumThreads(1)
    if shift == "affine":
        moves = [
            A.Affine(
                translate_px={"x": (-SHIFT, SHIFT), "y": (-SHIFT, SHIFT)},
                border_mode=cv2.BORDER_CONSTANT,
                fill=0,
                p=1.0,
            )
        ]
    else:  # its cheapest whole-pixel shift: pad 4 and crop back
        moves = [
            A.PadIfNeeded(
                SIZE + 2 * SHIFT,
                SIZE + 2 * SHIFT,
                border_mode=cv2.BORDER_CONSTANT,
                fill=0,
            ),
            A.RandomCrop(SIZE, SIZE),
        ]
    return A.Compose(
        [A.HorizontalFlip(p=0.5)]
        + moves
        + [
            A.CoarseDropout(
                num_holes_range=(1, 1),
                hole_height_range=(HOLE, HOLE),
                hole_width_range=(HOLE, HOLE),
                fill=0,
                p=1.0,
            )
        ],
        seed=0,
    )


def _albumentations_worker(job):
    shift, chunk = job
    transform = _albumentations_transform(shift)
    for image in chunk:
        transform(image=image)
    return len(chunk)


def _idg_worker(chunk):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from tf_keras.preprocessing.image import ImageDataGenerator

    generator = ImageDataGenerator(
        horizontal_flip=True,
        width_shift_range=SHIFT,
        height_shift_range=SHIFT,
        fill_mode="constant",
        cval=0.0,
    )
    chunk = chunk.astype("float32") / 255.0
    for image in chunk:
        generator.random_transform(image, seed=None)
    return len(chunk)


def _two_process_rate(pool, worker, images, option=None):
    """Images/second of `worker` over `images` split across two processes."""
    chunks = np.array_split(images, 2)
    if option is not None:
        chunks = [(option, chunk) for chunk in chunks]
    start = time.perf_counter()
    count = sum(pool.map(worker, chunks))
    return count / (time.perf_counter() - start)


def _available(module):
    try:
        __import__(module)
        return True
    except ImportError:
        print(
            f"skipped: {module} is not installed "
            "(pip install keras-training-kit[benchmark])"
        )
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8192)
    parser.add_argument("--idg-images", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    images, labels = _data(args.images)
    have_albumentations = _available("albumentations")
    have_tf_keras = _available("tf_keras")
    # Fork the workers before TensorFlow starts its thread pools.
    pool = multiprocessing.get_context("spawn").Pool(2)
    # Warm the workers' imports once, outside the timings.
    if have_albumentations:
        for shift in ("affine", "pad_crop"):
            _two_process_rate(pool, _albumentations_worker, images[:8], shift)
    if have_tf_keras:
        pool.map(_idg_worker, np.array_split(images[:8], 2))
    ours, keras_layers = _ours(images, labels), _keras_layers(images, labels)
    _tf_rate(ours), _tf_rate(keras_layers)  # warm-up epoch, not timed
    rates = {"ours": [], "keras": [], "affine": [], "pad_crop": [], "idg": []}
    for _ in range(args.rounds):
        rates["ours"].append(_tf_rate(ours))
        rates["keras"].append(_tf_rate(keras_layers))
        if have_albumentations:
            for shift in ("affine", "pad_crop"):
                rates[shift].append(
                    _two_process_rate(
                        pool, _albumentations_worker, images, shift
                    )
                )
        if have_tf_keras:
            rates["idg"].append(
                _two_process_rate(pool, _idg_worker, images[: args.idg_images])
            )
    pool.close()
    median = {k: statistics.median(v) for k, v in rates.items() if v}
    references = {
        "keras": ("Keras layers as they are", None),
        "affine": ("albumentations, Affine shift", ">= 1.0"),
        "pad_crop": ("albumentations, pad+RandomCrop", ">= 1.0"),
        "idg": ("Keras 2 ImageDataGenerator", ">= 10"),
    }
    figures = [figure("ours (cifar10 preset)", rates["ours"], "images/s")]
    figures += [
        figure(f"ours / {label}", ratios(rates["ours"], rates[key]), "x", goal)
        for key, (label, goal) in references.items()
        if key in median
    ]
    print(
        "ours (cifar10 preset, tf.data, 2 cores): "
        f"{median['ours']:,.0f} images/s"
    )
    print(
        f"ours vs Keras layers as they are (RandomFlip+RandomTranslation+"
        f"RandomErasing): {ratio_spread(rates['ours'], rates['keras'], 2)}x "
        f"({median['keras']:,.0f} images/s; median [min, max] of rounds)"
    )
    for shift, label in (
        ("affine", "Affine shift"),
        ("pad_crop", "pad+RandomCrop"),
    ):
        if shift in median:
            print(
                f"ours vs albumentations (flip+{label}+CoarseDropout, 2 "
                f"processes): {ratio_spread(rates['ours'], rates[shift], 2)}x "
                f"({median[shift]:,.0f} images/s) [goal >= 1.0x]"
            )
    if "idg" in median:
        print(
            "ours vs Keras 2 ImageDataGenerator.random_transform (flip+shift, "
            f"2 processes): {ratio_spread(rates['ours'], rates['idg'], 1)}x "
            f"({median['idg']:,.0f} images/s) [goal >= 10x]"
        )
    write_result("augmentation", figures)


if __name__ == "__main__":
    main()
