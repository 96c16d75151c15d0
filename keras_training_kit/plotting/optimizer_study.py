"""The optimizer study's figure: paths on contours, and loss curves."""

import math

import numpy as np

from keras_training_kit.plotting import figure as figure_lib

# One colour per optimizer name, the same in every panel and every figure:
# hues far apart (no blue/cyan or red/orange pair), and the two momentum
# methods, which often share a path, in blue and green.
_COLOURS = {
    "sgd": "tab:red",
    "momentum": "tab:blue",
    "nesterov": "tab:green",
    "adagrad": "tab:pink",
    "rmsprop": "tab:purple",
    "adam": "#e6a700",  # amber: far from the red of sgd
    "adamw": "tab:gray",
}


def _colour(name, index):
    return _COLOURS.get(name, f"C{index % 10}")


def _log_levels(values, num=18):
    """Log-spaced contour levels from near the minimum to the maximum."""
    values = np.asarray(values, dtype="float64")
    positive = values[np.isfinite(values) & (values > 0)]
    high = float(positive.max())
    low = max(float(positive.min()), high * 1e-4)
    return np.geomspace(low, high, num)


def _running_mean(values, window):
    values = np.asarray(values, dtype="float64")
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    ends = np.arange(1, len(values) + 1)
    return (cumulative[ends] - cumulative[ends - counts]) / counts


def optimizer_study_figure(
    losses: dict,
    *,
    paths: dict | None = None,
    contours: dict | None = None,
    titles: dict | None = None,
    learning_rates: dict | None = None,
):
    """Draws each optimizer's path on the 2-D surfaces and every loss curve.

    One column per surface: its contour plot (log-spaced levels) with each
    optimizer's path, and below it the loss per step (log scale). A data
    set (a problem without contours) gets a full-width row of its own: the
    batch losses (faint) and their running mean over 10 steps, with each
    optimizer's learning rate in the legend. An optimizer has one colour in
    every panel. A path's points outside its panel are drawn on the
    panel's border as hollow triangles pointing where the path went, and
    the panel says which optimizers left it.

    Args:
        losses: dict `{problem: {optimizer: [loss per step]}}`; a surface's
            curve starts at step 0, a data set's at step 1.
        paths: dict `{surface: {optimizer: [[x, y], ...]}}` or `None`.
            Defaults to `None`.
        contours: dict `{surface: {"x": xs, "y": ys, "values": 2-D array
            (len(ys), len(xs)), "minimum": (x, y) or None}}` or `None`;
            problems without an entry are drawn as data sets. Defaults to
            `None`.
        titles: dict `{problem: str}` or `None`. Defaults to `None`.
        learning_rates: dict `{problem: {optimizer: float}}` or `None`,
            shown in the data-set legends with three significant digits,
            as in `OptimizerStudy.summary`. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: when `losses` is empty.

    Example:

    >>> import numpy as np
    >>> xs = ys = np.linspace(-1, 1, 20)
    >>> values = np.add.outer(ys**2, xs**2)
    >>> fig = optimizer_study_figure(
    ...     {"bowl": {"sgd": [2.0, 1.0, 0.5]}, "digits": {"sgd": [2.3, 2.0]}},
    ...     paths={"bowl": {"sgd": [[1, 1], [0.7, 0.7], [0.5, 0.5]]}},
    ...     contours={"bowl": {"x": xs, "y": ys, "values": values}},
    ...     learning_rates={"digits": {"sgd": 0.0123456}})
    >>> fig.axes[-1].get_legend().get_texts()[0].get_text()
    'sgd (lr 0.0123)'
    """
    if not losses:
        raise ValueError(
            "`losses` must hold at least one problem. "
            f"Received: losses={losses!r}"
        )
    paths, contours = paths or {}, contours or {}
    titles, learning_rates = titles or {}, learning_rates or {}
    surfaces = [problem for problem in losses if problem in contours]
    datasets = [problem for problem in losses if problem not in contours]
    columns = max(len(surfaces), 1)
    heights = [4.2, 3.0] * bool(surfaces) + [3.4] * len(datasets)
    fig = figure_lib.new_figure(figsize=(5.4 * columns, sum(heights) + 0.8))
    fig.set_layout_engine("constrained")
    grid = fig.add_gridspec(len(heights), columns, height_ratios=heights)
    handles = {}
    for column, problem in enumerate(surfaces):
        lines = _plot_surface(
            fig.add_subplot(grid[0, column]),
            contours[problem],
            paths.get(problem, {}),
            titles.get(problem, problem),
        )
        for name, line in lines.items():
            handles.setdefault(name, line)
        _plot_surface_losses(
            fig.add_subplot(grid[1, column]), problem, losses[problem]
        )
    first = 2 if surfaces else 0
    for row, problem in enumerate(datasets, start=first):
        _plot_dataset_losses(
            fig.add_subplot(grid[row, :]),
            losses[problem],
            learning_rates.get(problem, {}),
            titles.get(problem, problem),
        )
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside upper center",
            ncol=len(handles),
            title="optimizer (black dot: start, star: global minimum)",
        )
    return fig


def plot_optimizer_study(losses: dict, path: str, **kwargs) -> str:
    """Draws `optimizer_study_figure` to a PNG.

    Args:
        losses: dict `{problem: {optimizer: [loss per step]}}`.
        path: str, where to write the PNG.
        **kwargs: the keyword arguments of `optimizer_study_figure`
            (`paths`, `contours`, `titles`, `learning_rates`).

    Returns:
        The path written.

    Raises:
        ValueError: when `losses` is empty.

    Example:

    >>> plot_optimizer_study({"digits": {"sgd": [2.3, 2.0]}},
    ...                      "/tmp/optimizer_study.png")
    '/tmp/optimizer_study.png'
    """
    return figure_lib.save(optimizer_study_figure(losses, **kwargs), path)


def _plot_surface(ax, contour, paths, title):
    """Draws a surface's contours and each optimizer's path on it.

    Returns:
        A dict `{optimizer: line}` of the paths drawn, for the legend.
    """
    _plot_contours(ax, contour)
    lines, left = {}, []
    for index, (name, points) in enumerate(paths.items()):
        points = np.asarray(points, dtype="float64")
        # The first optimizer (plain SGD) on top: the others share its
        # first step and would hide its zig-zag.
        (lines[name],) = ax.plot(
            points[:, 0],
            points[:, 1],
            "-o",
            color=_colour(name, index),
            markersize=2,
            linewidth=1.3,
            label=name,
            zorder=3 + len(paths) - index,
        )
        start = points[0]
        if _mark_exits(ax, points, contour, _colour(name, index)):
            left.append(name)
    if paths:
        ax.plot(*start, "ko", markersize=6, zorder=20)
    if contour.get("minimum") is not None:
        ax.plot(*contour["minimum"], "k*", markersize=12, zorder=20)
    if left:
        ax.text(
            0.99,
            0.99,
            f"left the panel (triangles on the border): {', '.join(left)}",
            transform=ax.transAxes,
            fontsize=8,
            ha="right",
            va="top",
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
            zorder=30,
        )
    ax.set_xlim(contour["x"][0], contour["x"][-1])
    ax.set_ylim(contour["y"][0], contour["y"][-1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title, fontsize=10)
    return lines


def _mark_exits(ax, points, contour, colour):
    """Draws the points outside the contour's box on its border, as hollow
    triangles pointing the way out; returns whether there are any."""
    low = np.array([contour["x"][0], contour["y"][0]], dtype="float64")
    high = np.array([contour["x"][-1], contour["y"][-1]], dtype="float64")
    points = points[np.isfinite(points).all(axis=1)]
    for side, marker in ((0, "<"), (1, "v")):
        for beyond, bound, turned in (
            (points[:, side] < low[side], low, marker),
            (points[:, side] > high[side], high, {"<": ">", "v": "^"}[marker]),
        ):
            if beyond.any():
                edge = np.clip(points[beyond], low, high)
                edge[:, side] = bound[side]
                ax.plot(
                    edge[:, 0],
                    edge[:, 1],
                    turned,
                    color=colour,
                    markerfacecolor="none",
                    markersize=8,
                    clip_on=False,
                    zorder=25,
                )
    return bool(((points < low) | (points > high)).any())


def _plot_contours(ax, contour):
    """Draws a surface's filled contours and contour lines, log-spaced."""
    from matplotlib.colors import LogNorm

    levels = _log_levels(contour["values"])
    ax.contourf(
        contour["x"],
        contour["y"],
        contour["values"],
        levels=levels,
        norm=LogNorm(levels[0], levels[-1]),
        cmap="Greys_r",
        alpha=0.45,
        extend="both",
    )
    ax.contour(
        contour["x"],
        contour["y"],
        contour["values"],
        levels=levels,
        colors="0.45",
        linewidths=0.5,
    )


def _plot_surface_losses(ax, problem, curves):
    """Draws each optimizer's loss per step on a surface, log scale."""
    for index, (name, curve) in enumerate(curves.items()):
        ax.plot(
            np.arange(len(curve)),
            np.where(np.asarray(curve) > 0, curve, np.nan),
            color=_colour(name, index),
            linewidth=1.3,
            label=name,
        )
    ax.set_yscale("log")
    _limit_to_finite(ax, curves, decades=12)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (log scale)")
    ax.set_title(f"{problem}: loss per step", fontsize=10)
    ax.grid(alpha=0.3, which="both")


def _plot_dataset_losses(ax, curves, rates, title):
    """Draws each optimizer's batch losses on a data set (faint) and their
    running mean over 10 steps, with its learning rate in the legend."""
    for index, (name, curve) in enumerate(curves.items()):
        steps = np.arange(1, len(curve) + 1)
        colour = _colour(name, index)
        ax.plot(steps, curve, color=colour, alpha=0.2, linewidth=0.8)
        rate = rates.get(name)
        label = name if rate is None else f"{name} (lr {rate:.3g})"
        ax.plot(
            steps,
            _running_mean(curve, 10),
            color=colour,
            linewidth=1.6,
            label=label,
        )
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("batch loss (log scale)")
    ax.set_title(
        title + " (faint: each batch; line: mean of the last 10)",
        fontsize=10,
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small", ncol=2)
    _limit_to_finite(ax, curves)
    figure_lib.tidy_log_axis(ax)


def _limit_to_finite(ax, curves, decades=None):
    """Keeps a diverging curve, or one falling to 1e-30, from flattening
    the others: the y range ends at 10x the largest first value and spans
    at most `decades` decades."""
    values = [
        v
        for curve in curves.values()
        for v in curve
        if math.isfinite(v) and v > 0
    ]
    if not values:
        return
    firsts = [c[0] for c in curves.values() if c and math.isfinite(c[0])]
    high = min(max(values), 10 * max(firsts or values)) * 1.5
    low = min(values) / 1.5
    if decades is not None:
        low = max(low, high * 10.0**-decades)
    ax.set_ylim(low, high)
