import numpy as np
import pytest
import tensorflow as tf

from keras_training_kit.augmentation import AugmentationPipeline

# One setting per operation, strong enough to change a small batch.
OPERATIONS = {
    "horizontal_flip": True,
    "vertical_flip": True,
    "translation": 0.25,
    "rotation": 0.1,
    "zoom": (0.1, 0.3),
    "shear": 0.3,
    "cutout": 0.5,
    "noise": 0.1,
    "mixup": 0.4,
    "cutmix": 1.0,
    "blur": 1.0,
    "brightness": 0.3,
    "contrast": 0.5,
    "hue": 0.3,
    "saturation": 0.3,
}
COLOR_ONLY = ("hue", "saturation")


def _images(n=8, size=12, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, (n, size, size, channels)).astype("float32")


def _dataset(images, labels=None):
    if labels is None:
        labels = np.arange(len(images), dtype="int32") % 4
    return tf.data.Dataset.from_tensor_slices((images, labels))


def _batches(dataset):
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_keeps_shape_dtype_range_and_changes_images(
    name, channels
):
    if name in COLOR_ONLY and channels == 1:
        pytest.skip("hue and saturation need RGB images")
    images = _images(channels=channels)
    pipeline = AugmentationPipeline(**{name: OPERATIONS[name]}, num_classes=4)
    ((augmented, labels),) = _batches(
        pipeline.apply(_dataset(images), 8, shuffle=False, seed=1)
    )
    assert augmented.shape == images.shape
    assert augmented.dtype == np.float32
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    assert np.abs(augmented - images).max() > 1e-3
    if name in ("mixup", "cutmix"):
        assert labels.shape == (8, 4) and labels.dtype == np.float32
    else:
        np.testing.assert_array_equal(labels, np.arange(8) % 4)


@pytest.mark.parametrize("name", ["mixup", "cutmix"])
def test_mixed_labels_sum_to_one_and_match_image_weights(name):
    # Example i is a constant image of value v_i and class i: a mixed image
    # has mean sum_k label_k * v_k exactly when labels and pixels are mixed
    # with the same weights.
    n = 8
    values = np.linspace(0.1, 0.9, n).astype("float32")
    images = np.ones((n, 16, 16, 3), "float32") * values[:, None, None, None]
    pipeline = AugmentationPipeline(**{name: 1.0}, num_classes=n)
    mixed = 0
    for seed in range(3):
        ((augmented, labels),) = _batches(
            pipeline.apply(
                _dataset(images, np.arange(n, dtype="int32")),
                n,
                shuffle=False,
                seed=seed,
            )
        )
        np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(
            augmented.mean(axis=(1, 2, 3)), labels @ values, atol=1e-4
        )
        mixed += int((labels.max(axis=1) < 0.999).sum())
    assert mixed > 0


def test_one_hot_labels_are_mixed_as_given():
    images = _images(n=4)
    labels = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    pipeline = AugmentationPipeline(mixup=1.0)
    ((_, mixed),) = _batches(
        pipeline.apply(_dataset(images, labels), 4, seed=0)
    )
    assert mixed.shape == (4, 3)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)


def test_fixed_seed_gives_identical_batches_and_epochs_differ():
    pipeline = AugmentationPipeline.from_preset(
        "cifar10", mixup=0.2, num_classes=4
    )
    data = _dataset(_images(n=24, size=16))
    first = _batches(pipeline.apply(data, 8, seed=7))
    # A new pipeline object, as in a new run.
    again = AugmentationPipeline.from_config(pipeline.get_config())
    second = _batches(again.apply(data, 8, seed=7))
    for (x1, y1), (x2, y2) in zip(first, second):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    other = _batches(pipeline.apply(data, 8, seed=8))
    assert not np.array_equal(first[0][0], other[0][0])
    dataset = pipeline.apply(data, 8, seed=7)
    epoch_1, epoch_2 = _batches(dataset), _batches(dataset)
    np.testing.assert_array_equal(epoch_1[0][0], first[0][0])
    assert not np.array_equal(epoch_1[0][0], epoch_2[0][0])


def test_cutout_rides_in_the_shift_only_when_nothing_runs_between():
    from keras_training_kit.augmentation import RandomCutout
    from keras_training_kit.augmentation import RandomShiftFlipCutout

    fused = AugmentationPipeline.from_preset("cifar10")
    (layer,) = fused.layers
    assert isinstance(layer, RandomShiftFlipCutout) and layer.cutout == 0.25
    apart = AugmentationPipeline.from_preset("cifar10", noise=0.05)
    kinds = [type(layer).__name__ for layer in apart.layers]
    assert kinds == [
        "RandomShiftFlipCutout",
        "RandomGaussianNoise",
        "RandomCutout",
    ]
    assert apart.layers[0].cutout == 0.0
    assert isinstance(apart.layers[-1], RandomCutout)
    # Both cut holes into constant images (the fused one also fills the
    # uncovered border; tests/augmentation/test_shift_flip_cutout.py checks it
    # equals shift-then-cutout pixel for pixel).
    images = np.full((16, 16, 16, 3), 0.5, "float32")
    for pipeline, most in (
        (fused, 16 * 16),
        (apart, 16 * 16),
        (AugmentationPipeline(cutout=0.25), 16),
    ):
        ((augmented, _),) = _batches(
            pipeline.apply(_dataset(images), 16, shuffle=False, seed=3)
        )
        zeros = (augmented == 0.0).all(axis=-1).sum(axis=(1, 2))
        assert zeros.min() > 0 and zeros.max() <= most


def test_evaluation_path_is_the_identity_except_batching():
    images = _images(n=10)
    pipeline = AugmentationPipeline.from_preset(
        "cifar10", mixup=0.2, num_classes=4
    )
    batches = _batches(pipeline.apply(_dataset(images), 4, training=False))
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(
        np.concatenate([x for x, _ in batches]), images
    )
    np.testing.assert_array_equal(
        np.concatenate([y for _, y in batches]), np.arange(10) % 4
    )


def test_none_preset_only_shuffles_and_batches():
    images = _images(n=6)
    pipeline = AugmentationPipeline.from_preset("none")
    assert pipeline.is_identity
    batches = _batches(pipeline.apply(_dataset(images), 6, seed=0))
    np.testing.assert_array_equal(
        np.sort(batches[0][0].reshape(6, -1), axis=0),
        np.sort(images.reshape(6, -1), axis=0),
    )


def test_works_with_mirrored_strategy(mirrored_strategy):
    pipeline = AugmentationPipeline.from_preset(
        "cifar10", mixup=0.2, num_classes=4
    )
    dataset = pipeline.apply(
        _dataset(_images(n=16)), 8, seed=0, drop_remainder=True
    )
    distributed = mirrored_strategy.experimental_distribute_dataset(dataset)
    seen = 0
    for images, labels in distributed:
        for replica_images, replica_labels in zip(
            mirrored_strategy.experimental_local_results(images),
            mirrored_strategy.experimental_local_results(labels),
        ):
            assert replica_images.shape == (4, 12, 12, 3)
            np.testing.assert_allclose(
                np.asarray(replica_labels).sum(axis=1), 1.0, atol=1e-5
            )
            seen += replica_images.shape[0]
    assert seen == 16


def test_augment_one_batch_is_seeded():
    pipeline = AugmentationPipeline(translation=0.2, noise=0.05)
    images = _images(n=4)
    first, _ = pipeline.augment(images, seed=3)
    second, _ = pipeline.augment(images, seed=3)
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_config_round_trip_and_presets():
    pipeline = AugmentationPipeline.from_preset("digits")
    assert pipeline.rotation == 0.03 and not pipeline.horizontal_flip
    rebuilt = AugmentationPipeline.from_config(pipeline.get_config())
    assert rebuilt.get_config() == pipeline.get_config()
    cifar = AugmentationPipeline.from_preset(
        "cifar10", mixup=0.2, num_classes=10
    )
    assert cifar.horizontal_flip and cifar.cutout == 0.25 and cifar.mixes_labels


@pytest.mark.parametrize(
    "name, value",
    [
        ("translation", 1.0),
        ("translation", -0.1),
        ("rotation", 0.6),
        ("zoom", (0.1, 1.5)),
        ("shear", 2.0),
        ("cutout", 1.5),
        ("noise", -1.0),
        ("mixup", -0.2),
        ("cutmix", "a"),
        ("blur", -1),
        ("brightness", 1.5),
        ("contrast", -0.5),
        ("hue", 2.0),
        ("saturation", 0.7),
        ("horizontal_flip", 1),
        ("num_classes", 1),
        ("value_range", (1.0, 0.0)),
    ],
)
def test_bad_options_raise_naming_the_option(name, value):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        AugmentationPipeline(**{name: value})


def test_bad_use_raises():
    with pytest.raises(ValueError, match="Unknown augmentation options"):
        AugmentationPipeline.from_config({"flip": True})
    with pytest.raises(ValueError, match="`name` must be one of"):
        AugmentationPipeline.from_preset("imagenet")
    gray = _dataset(_images(channels=1))
    with pytest.raises(ValueError, match="`hue` needs RGB images"):
        AugmentationPipeline(hue=0.1).apply(gray, 4)
    with pytest.raises(ValueError, match="give the pipeline `num_classes`"):
        AugmentationPipeline(mixup=0.2).apply(gray, 4)
    with pytest.raises(ValueError, match="`batch_size`"):
        AugmentationPipeline().apply(gray, 0)
    signals = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 40, 1), "float32"), np.zeros(4, "int32"))
    )
    with pytest.raises(ValueError, match="height, width, channels"):
        AugmentationPipeline(noise=0.1).apply(signals, 4)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_batches_keep_their_size_order_and_cardinality(drop_remainder):
    # The map runs on groups of batches that are split again afterwards.
    n = 300
    images = np.zeros((n, 4, 4, 1), "float32")
    labels = np.arange(n, dtype="int32")
    pipeline = AugmentationPipeline(horizontal_flip=True)
    dataset = pipeline.apply(
        _dataset(images, labels),
        32,
        shuffle=False,
        seed=0,
        drop_remainder=drop_remainder,
    )
    sizes = [len(y) for _, y in _batches(dataset)]
    expected = [32] * 9 + ([] if drop_remainder else [12])
    assert sizes == expected
    assert int(dataset.cardinality()) == len(expected)
    order = np.concatenate([y for _, y in _batches(dataset)])
    np.testing.assert_array_equal(order, labels[: len(order)])
    endless = pipeline.apply(_dataset(images, labels).repeat(), 32, seed=0)
    assert int(endless.cardinality()) == -1  # tf.data.INFINITE_CARDINALITY


def test_mixing_integer_labels_without_num_classes_fails_before_the_map():
    import numpy as np
    import pytest
    import tensorflow as tf

    from keras_training_kit.augmentation import AugmentationPipeline

    data = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 8, 8, 1), "float32"), np.zeros(4, "int32"))
    )
    with pytest.raises(ValueError, match="give the pipeline `num_classes`"):
        AugmentationPipeline(mixup=0.2).apply(data, 2)
    one_hot = data.map(lambda x, y: (x, tf.one_hot(y, 3)))
    batch = next(
        iter(AugmentationPipeline(mixup=0.2).apply(one_hot, 2, seed=0))
    )
    assert batch[1].shape == (2, 3)
