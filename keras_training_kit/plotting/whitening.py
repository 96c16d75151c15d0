"""Whitening figures: the 2-D preprocessing picture and whitened images."""

import numpy as np

from keras_training_kit.plotting import figure as figure_lib


def whitening_stages_figure(stages: dict, title: str | None = None):
    """Draws 2-D point clouds side by side (original, centered, whitened...).

    Args:
        stages: dict mapping a panel title to an array of shape `(n, 2)`,
            in display order (such as the outputs of `Whitening` in the
            modes `"center"`, `"pca"` and `"pca_whiten"`).
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `stages` is empty or an entry is not of shape `(n, 2)`.

    Example:

    >>> import numpy as np
    >>> points = np.random.default_rng(0).normal(size=(100, 2))
    >>> fig = whitening_stages_figure({"original": points})
    >>> fig.axes[0].get_title()
    'original'
    """
    if not stages:
        raise ValueError(
            f"`stages` must be a non-empty dict. Received: stages={stages!r}"
        )
    arrays = {}
    for name, points in stages.items():
        points = np.asarray(points)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(
                "Each entry of `stages` must have shape (n, 2). Received: "
                f"stages[{name!r}].shape={points.shape}"
            )
        arrays[name] = points
    fig = figure_lib.new_figure(figsize=(3.2 * len(arrays), 3.4))
    axes = fig.subplots(1, len(arrays))
    axes = np.atleast_1d(axes)
    limit = max(float(np.abs(p).max()) for p in arrays.values()) * 1.05
    for ax, (name, points) in zip(axes, arrays.items()):
        ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5)
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_title(name)
        ax.set_xlabel("feature 1")
    axes[0].set_ylabel("feature 2")
    if title:
        fig.suptitle(title)
    return fig


def image_rows_figure(rows: dict, title: str | None = None):
    """Draws rows of images (such as originals and their ZCA-whitened versions).

    Each image is rescaled to [0, 1] on its own range for display, since
    whitened images have no fixed range.

    Args:
        rows: dict mapping a row label to an array of images of shape
            `(n, H, W)` or `(n, H, W, C)` with `C` in `{1, 3}`.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `rows` is empty or holds arrays that are not images.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((4, 8, 8, 3))
    >>> fig = image_rows_figure({"original": images})
    >>> fig.axes[0].get_title(loc="left")
    'original'
    """
    if not rows:
        raise ValueError(
            f"`rows` must be a non-empty dict. Received: rows={rows!r}"
        )
    arrays = {}
    for name, images in rows.items():
        images = np.asarray(images, dtype="float64")
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim not in (3, 4) or (
            images.ndim == 4 and images.shape[-1] != 3
        ):
            raise ValueError(
                "Each entry of `rows` must have shape (n, H, W) or "
                "(n, H, W, C) with C in {1, 3}. Received: "
                f"rows[{name!r}].shape={images.shape}"
            )
        arrays[name] = images
    columns = max(len(images) for images in arrays.values())
    fig = figure_lib.new_figure(figsize=(1.3 * columns, 1.4 * len(arrays)))
    axes = fig.subplots(len(arrays), columns, squeeze=False)
    for row, (name, images) in enumerate(arrays.items()):
        for column in range(columns):
            ax = axes[row, column]
            ax.axis("off")
            if column >= len(images):
                continue
            image = images[column]
            low, high = image.min(), image.max()
            image = (
                (image - low) / (high - low)
                if high > low
                else np.zeros_like(image)
            )
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        axes[row, 0].set_title(name, fontsize=8, loc="left")
    if title:
        fig.suptitle(title)
    return fig


def plot_whitening_stages(
    stages: dict, path: str, title: str | None = None
) -> str:
    """Draws `whitening_stages_figure` to a PNG.

    Args:
        stages: dict mapping a panel title to an array of shape `(n, 2)`.
        path: str, where to write the PNG.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: if `stages` is empty or an entry is not of shape `(n, 2)`.

    Example:

    >>> import numpy as np
    >>> points = np.random.default_rng(0).normal(size=(100, 2))
    >>> plot_whitening_stages({"original": points}, "/tmp/stages.png")
    '/tmp/stages.png'
    """
    return figure_lib.save(whitening_stages_figure(stages, title), path)


def plot_image_rows(rows: dict, path: str, title: str | None = None) -> str:
    """Draws `image_rows_figure` to a PNG.

    Args:
        rows: dict mapping a row label to an array of images.
        path: str, where to write the PNG.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: if `rows` is empty or holds arrays that are not images.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((4, 8, 8, 3))
    >>> plot_image_rows({"original": images}, "/tmp/rows.png")
    '/tmp/rows.png'
    """
    return figure_lib.save(image_rows_figure(rows, title), path)
