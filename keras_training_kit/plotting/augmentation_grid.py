"""The augmentation preview: original images next to augmented versions."""

import numpy as np

from keras_training_kit.plotting import figure as figure_lib


def augmentation_grid_figure(
    originals,
    augmented,
    *,
    captions: list | None = None,
    original_captions: list | None = None,
    value_range: tuple = (0.0, 1.0),
    title: str | None = None,
) -> str:
    """Draws one row per example: the original, then its augmentations.

    Args:
        originals: array `(examples, height, width, channels)`.
        augmented: array `(versions, examples, height, width, channels)`,
            the augmented versions of each example.
        captions: list of `versions` lists of `examples` strings (for
            example mixed labels) or `None`. Defaults to `None`.
        original_captions: list of `examples` strings for the originals'
            column (their labels) or `None`. Defaults to `None`.
        value_range: `(low, high)`, the images' range, mapped to black and
            white. Defaults to `(0.0, 1.0)`.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: when the shapes of `originals` and `augmented` differ.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 8, 8, 1))
    >>> fig = augmentation_grid_figure(x, x[None])
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['original', 'augmented 1']
    """
    originals = np.asarray(originals, dtype="float32")
    augmented = np.asarray(augmented, dtype="float32")
    if originals.ndim != 4 or augmented.shape[1:] != originals.shape:
        raise ValueError(
            "`originals` must be (examples, height, width, channels) and "
            "`augmented` (versions, examples, height, width, channels) with "
            f"the same example shape. Received: originals.shape="
            f"{originals.shape}, augmented.shape={augmented.shape}"
        )
    low, high = value_range
    versions, examples = augmented.shape[:2]
    height = 1.45 * examples + 0.8
    fig = figure_lib.new_figure(figsize=(1.5 * (versions + 1), height))
    axes = fig.subplots(
        examples,
        versions + 1,
        squeeze=False,
        # Room under each image for a two-line caption (a mixed label), and
        # a fixed room in inches (not a fraction) for the titles on top.
        gridspec_kw={
            "hspace": 0.3,
            "top": 1 - 0.75 / height,
            "bottom": 0.4 / height,
        },
    )
    for row in range(examples):
        images = [originals[row]] + [augmented[v, row] for v in range(versions)]
        for column, image in enumerate(images):
            ax = axes[row][column]
            image = np.clip((image - low) / (high - low), 0.0, 1.0)
            if image.shape[-1] == 1:
                ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(image)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(
                    "original" if column == 0 else f"augmented {column}",
                    fontsize=8,
                )
            if column and captions is not None:
                ax.set_xlabel(captions[column - 1][row], fontsize=8)
            if not column and original_captions is not None:
                ax.set_xlabel(original_captions[row], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_augmentation_grid(originals, augmented, path: str, **kwargs) -> str:
    """Draws `augmentation_grid_figure` to a PNG.

    Args:
        originals: array `(examples, height, width, channels)`.
        augmented: array `(versions, examples, height, width, channels)`.
        path: str, where to write the PNG.
        **kwargs: the keyword arguments of `augmentation_grid_figure`
            (`captions`, `original_captions`, `value_range`, `title`).

    Returns:
        The path written.

    Raises:
        ValueError: when the shapes of `originals` and `augmented` differ.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 8, 8, 1))
    >>> plot_augmentation_grid(x, x[None], "/tmp/grid.png")
    '/tmp/grid.png'
    """
    return figure_lib.save(
        augmentation_grid_figure(originals, augmented, **kwargs), path
    )
