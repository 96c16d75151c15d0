import ast
import os
import re

import keras
import numpy as np
import pytest

import keras_training_kit.augmentation as augmentation_package
from keras_training_kit.augmentation.batch_augmentation import OPTIONS
from keras_training_kit.augmentation.batch_augmentation import BatchAugmentation


def _images(n=4, size=8, channels=1):
    rng = np.random.default_rng(0)
    return rng.uniform(0.1, 0.9, (n, size, size, channels)).astype("float32")


def test_one_attribute_per_option_and_config_round_trip():
    augmentation = BatchAugmentation(
        horizontal_flip=True, zoom=[0.1, 0.2], noise=1, num_classes=3
    )
    assert augmentation.zoom == (0.1, 0.2) and augmentation.noise == 1.0
    config = augmentation.get_config()
    assert list(config) == list(OPTIONS)
    assert config["zoom"] == [0.1, 0.2] and config["value_range"] == [0, 1]
    assert all(
        config[name] == getattr(augmentation, name)
        or name in ("zoom", "value_range")
        for name in OPTIONS
    )
    rebuilt = BatchAugmentation.from_config(config)
    assert rebuilt.get_config() == config


def test_layers_in_order_with_cutout_fused_into_the_shift():
    names = [
        type(layer).__name__
        for layer in BatchAugmentation(
            vertical_flip=True, translation=0.1, cutout=0.2, mixup=0.1
        ).layers
    ]
    assert names == ["RandomShiftFlipCutout", "MixUp"]
    names = [
        type(layer).__name__
        for layer in BatchAugmentation(
            horizontal_flip=True, rotation=0.1, noise=0.1, cutout=0.2
        ).layers
    ]
    assert names == [
        "RandomFlip",
        "RandomRotation",
        "RandomGaussianNoise",
        "RandomCutout",
    ]
    assert BatchAugmentation(translation=0.1, cutout=0.2).compiles_with_xla
    assert not BatchAugmentation(rotation=0.1).compiles_with_xla
    assert BatchAugmentation().is_identity


def test_augment_with_a_seed_generator_advances_it():
    augmentation = BatchAugmentation(translation=0.25, noise=0.1)
    images = _images()
    generator = keras.random.SeedGenerator(3)
    first, labels = augmentation.augment(images, seed=generator)
    second, _ = augmentation.augment(images, seed=generator)
    assert labels is None and first.dtype == "float32"
    assert not np.array_equal(np.asarray(first), np.asarray(second))
    replay, _ = augmentation.augment(images, seed=keras.random.SeedGenerator(3))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(replay))


def test_augment_one_hots_labels_when_mixing():
    augmentation = BatchAugmentation(mixup=0.5, num_classes=3)
    _, labels = augmentation.augment(_images(), np.array([0, 1, 2, 0]), seed=1)
    labels = np.asarray(labels)
    assert labels.shape == (4, 3)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="Received: num_classes=None"):
        BatchAugmentation(mixup=0.5).augment(_images(), np.zeros(4), seed=1)


def test_check_images():
    with pytest.raises(ValueError, match=r"Received: images of shape \(8,\)"):
        BatchAugmentation(noise=0.1).check_images((4, 8))
    with pytest.raises(ValueError, match="`saturation` needs RGB images"):
        BatchAugmentation(saturation=0.1).check_images((4, 8, 8, 1))
    BatchAugmentation(saturation=0.1).check_images((4, 8, 8, 3))


@pytest.mark.parametrize(
    "name, value, allowed",
    [
        ("translation", 1.0, r"a float in \[0, 1\) or a \(height, width\)"),
        ("rotation", 0.6, r"a float in \[0, 0.5\] \(0 switches it off\)"),
        ("noise", -1.0, r"a float >= 0 \(0 switches it off\)"),
        ("vertical_flip", 0, "a bool"),
        ("value_range", [0, "1"], r"a \(low, high\) pair of numbers"),
    ],
)
def test_errors_name_the_option_the_range_and_the_value(name, value, allowed):
    with pytest.raises(
        ValueError,
        match=rf"`{name}` must be {allowed}.*"
        + re.escape(f"Received: {name}={value!r}"),
    ):
        BatchAugmentation(**{name: value})


def _imports(path):
    """The package's augmentation modules imported by the file at `path`."""
    prefix = "keras_training_kit.augmentation."
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [
                f"{node.module}.{alias.name}" for alias in node.names
            ]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(
            n.removeprefix(prefix).split(".")[0]
            for n in names
            if n.startswith(prefix)
        )
    return found


def test_no_two_augmentation_modules_import_each_other():
    folder = os.path.dirname(augmentation_package.__file__)
    modules = {
        name[:-3]: os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith(".py") and name != "__init__.py"
    }
    graph = {m: _imports(p) & set(modules) for m, p in modules.items()}
    assert "pipeline" not in graph["augmentation_layer"]

    def reaches(start, goal, seen=()):
        return any(
            n == goal or (n not in seen and reaches(n, goal, seen + (n,)))
            for n in graph[start]
        )

    cycles = [m for m in graph if reaches(m, m)]
    assert not cycles, graph
