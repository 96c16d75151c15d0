"""Shared figure plumbing: a headless backend and one way to save."""

import os

from keras_training_kit import run_files


def pyplot():
    """Returns `matplotlib.pyplot` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path):
    """Saves `figure` as a PNG at `path` atomically (creating folders); closes it."""
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    try:
        with run_files.atomic_path(path) as temporary:
            figure.savefig(temporary, dpi=100, bbox_inches="tight")
    finally:
        pyplot().close(figure)
    return os.fspath(path)
