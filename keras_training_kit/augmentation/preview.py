"""`preview()`: a PNG grid of original vs augmented samples."""

import numpy as np

from keras_training_kit.diagnostics.probe_data import first_examples
from keras_training_kit.plotting.augmentation_grid import plot_augmentation_grid
from keras_training_kit.validation import check_int


def _caption(label):
    """`"label 3"`, or `"mix 3: 0.70\n+ 5: 0.30"` for a MixUp/CutMix label."""
    label = np.asarray(label)
    if label.ndim == 0:
        return f"label {int(label)}"
    top = [k for k in np.argsort(label)[::-1][:2] if label[k] > 0.005]
    if len(top) == 1:
        return f"label {top[0]}"
    first, second = top
    return f"mix {first}: {label[first]:.2f}\n+ {second}: {label[second]:.2f}"


def preview(
    pipeline,
    dataset,
    path: str,
    *,
    num_examples: int = 8,
    num_versions: int = 4,
    seed: int = 0,
    title: str | None = None,
) -> str:
    """Saves a grid of examples and augmented versions of them, as a PNG.

    Each row is one example of `dataset`: the original, then
    `num_versions` augmentations (each drawn with its own seed). With
    MixUp / CutMix, the examples are mixed within the previewed batch and
    each image is captioned with its mixed label.

    Args:
        pipeline: an `AugmentationPipeline`.
        dataset: unbatched `tf.data.Dataset` of `(image, label)`.
        path: str, where to write the PNG.
        num_examples: int >= 1, rows of the grid. Defaults to `8`.
        num_versions: int >= 1, augmented columns. Defaults to `4`.
        seed: int, the preview's seed. Defaults to `0`.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: for a bad count or an empty dataset.

    Example:

    >>> from keras_training_kit.augmentation import AugmentationPipeline
    >>> from keras_training_kit.data import load_dataset
    >>> data = load_dataset("digits")
    >>> preview(AugmentationPipeline.from_preset("digits"), data.train,
    ...         "/tmp/preview.png")
    '/tmp/preview.png'
    """
    for name, value in (
        ("num_examples", num_examples),
        ("num_versions", num_versions),
    ):
        check_int(name, value)
    images, labels, _ = first_examples(
        dataset,
        num_examples,
        example_rank=len(dataset.element_spec[0].shape),
    )
    versions, captions = [], []
    for version in range(num_versions):
        augmented, mixed = pipeline.augment(images, labels, seed=seed + version)
        versions.append(np.asarray(augmented))
        captions.append([_caption(label) for label in np.asarray(mixed)])
    return plot_augmentation_grid(
        np.asarray(images),
        np.stack(versions),
        path,
        captions=captions,
        original_captions=[_caption(label) for label in np.asarray(labels)],
        value_range=pipeline.value_range,
        title=title or repr(pipeline),
    )
