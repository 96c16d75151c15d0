"""Shared figure plumbing: figures outside pyplot, and one way to save them.

Every figure is a `matplotlib.figure.Figure` of its own: it is not
registered with pyplot, needs no backend (`savefig` renders with Agg), and
leaves the user's backend, rcParams and open pyplot figures untouched.
"""

import os

from keras_training_kit import run_files


def new_figure(figsize: tuple, layout: str | None = None):
    """Returns a new `matplotlib.figure.Figure`, unknown to pyplot.

    Args:
        figsize: `(width, height)` in inches.
        layout: `None` or a matplotlib layout engine name such as
            `"constrained"` (which, unlike `tight_layout`, lays out
            subfigures). Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`; draw with `figure.subplots(...)`.

    Example:

    >>> fig = new_figure((4, 3))
    >>> ax = fig.subplots()
    """
    # Imported here: `ktk --help` and the package import stay free of it.
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout=layout)


def save(figure, path):
    """Saves `figure` as a PNG at `path` atomically, creating folders.

    The PNG is written to a temporary file beside `path` and renamed into
    place, so a reader never sees half an image.

    Args:
        figure: a `matplotlib.figure.Figure`.
        path: str, where to write the PNG.

    Returns:
        The path written, as a str.
    """
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    with run_files.atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=100, bbox_inches="tight")
    return os.fspath(path)
