"""Shared figure plumbing: figures outside pyplot, and one way to save them.

Every figure is a `matplotlib.figure.Figure` of its own: it is not
registered with pyplot, needs no backend (`savefig` renders with Agg), and
leaves the user's backend, rcParams and open pyplot figures untouched.
"""

import math
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


def tidy_log_axis(ax, axis: str = "y") -> None:
    """Labels a log axis with few, plainly written ticks.

    Over less than two decades the ticks are 1, 2 and 5 times a power of
    ten, written as plain numbers (`0.002`, not `2 x 10^-3`); over more, one
    tick per decade. Minor ticks never carry labels, so the labels do not
    crowd. Call it once the limits are final.

    Args:
        ax: a `matplotlib.axes.Axes` whose `axis` is on a log scale.
        axis: `"x"` or `"y"`. Defaults to `"y"`.

    Example:

    >>> ax = new_figure((4, 3)).subplots()
    >>> _ = ax.plot([1, 2, 3], [0.01, 0.02, 0.03])
    >>> ax.set_yscale("log")
    >>> tidy_log_axis(ax)
    """
    from matplotlib.ticker import FuncFormatter
    from matplotlib.ticker import LogLocator
    from matplotlib.ticker import NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    if low > 0 and high / low < 100:
        target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def mark_missing(ax, xs, ys, label: str = "no value (NaN)") -> int:
    """Marks where `ys` holds NaN or infinity with gray crosses on the axis.

    A line drawn through NaN stops without a trace; the crosses, at the
    bottom edge of the axes at each missing x, show the gap is in the data.

    Args:
        ax: a `matplotlib.axes.Axes`.
        xs: sequence of x values.
        ys: sequence of y values, the same length.
        label: str, the crosses' legend entry. Defaults to
            `"no value (NaN)"`.

    Returns:
        How many values are missing (nothing is drawn when none is).

    Example:

    >>> ax = new_figure((4, 3)).subplots()
    >>> mark_missing(ax, [0, 1, 2], [float("nan"), 1.0, 2.0])
    1
    """
    missing = [x for x, y in zip(xs, ys) if not _is_finite(y)]
    if missing:
        ax.plot(
            missing,
            [0.0] * len(missing),
            "x",
            color="0.4",
            markersize=7,
            clip_on=False,
            transform=ax.get_xaxis_transform(),
            label=label,
            zorder=5,
        )
    return len(missing)


def _is_finite(value):
    return value is not None and math.isfinite(value)
