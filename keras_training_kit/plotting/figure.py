"""Shared figure plumbing: a headless backend and one way to save."""

import os


def pyplot():
    """Returns `matplotlib.pyplot` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path):
    """Saves `figure` as a PNG at `path` (creating folders) and closes it."""
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    pyplot().close(figure)
    return os.fspath(path)
