"""The lecture's search figure: learning rate vs L2, coloured by accuracy."""

from keras_training_kit.plotting import figure as figure_lib


def plot_search_scatter(
    rows: list,
    path: str,
    x: str = "learning_rate",
    y: str = "l2",
    color: str = "best_val_accuracy",
    title: str | None = None,
    ranges: list | None = None,
) -> str:
    """Draws each trial at (`x`, `y`) on log axes, coloured by `color`.

    One panel per `stage` (coarse-to-fine); diverged trials are drawn as
    red crosses, the best trial (highest `color`, lowest for a loss) as a
    large star, and each stage's searched ranges as a dashed box. The rows
    are plain dicts, as returned by `keras_training_kit.tuning.results_table`
    or read back from its CSV.

    Args:
        rows: list of dicts with the keys `x`, `y`, `color` and optionally
            `"stage"` and `"status"`.
        path: str, where to write the PNG.
        x: str, the key on the horizontal axis. Defaults to
            `"learning_rate"`.
        y: str, the key on the vertical axis. Defaults to `"l2"`.
        color: str, the key giving the colour. Defaults to
            `"best_val_accuracy"`.
        title: str or `None`, the figure title. Defaults to `None`.
        ranges: list of `{name: (min, max)}` per stage (as in
            `SearchResult.ranges`) or `None`; the `x` and `y` ranges are
            drawn. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: when no row has positive `x` and `y` values.

    Example:

    >>> plot_search_scatter(
    ...     [{"learning_rate": 1e-3, "l2": 1e-4, "best_val_accuracy": 0.9}],
    ...     "/tmp/search.png")
    '/tmp/search.png'
    """
    points = [
        r
        for r in rows
        if _is_number(r.get(x))
        and _is_number(r.get(y))
        and r[x] > 0
        and r[y] > 0
    ]
    if not points:
        raise ValueError(
            f"`rows` must hold trials with positive `{x}` and `{y}` values. "
            f"Received: rows={rows[:3]!r}"
        )
    stages = sorted({_stage(r) for r in points})
    fig = figure_lib.new_figure(figsize=(4.5 * len(stages) + 1, 4))
    axes = fig.subplots(1, len(stages), squeeze=False, sharex=True, sharey=True)
    scores = [r[color] for r in points if _is_number(r.get(color))]
    color_range = (min(scores), max(scores)) if scores else (0.0, 1.0)
    best = _best_trial(points, color)
    mappable = None
    for ax, stage in zip(axes[0], stages):
        drawn = _plot_stage(
            ax,
            [r for r in points if _stage(r) == stage],
            best if best is not None and _stage(best) == stage else None,
            _stage_ranges(ranges, stage),
            x=x,
            y=y,
            color=color,
            color_range=color_range,
        )
        if drawn is not None:
            mappable = drawn
        if len(stages) > 1:
            ax.set_title(f"stage {stage}")
    axes[0][0].set_ylabel(y)
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes[0]), label=color)
    if title:
        fig.suptitle(title)
    return figure_lib.save(fig, path)


def _is_number(value):
    return isinstance(value, (int, float))


def _stage(row):
    """The row's coarse-to-fine stage; rows without one are stage 1."""
    return row.get("stage") or 1


def _is_scored(row, color):
    """Whether the trial finished with a score to colour it by."""
    return row.get("status") != "diverged" and _is_number(row.get(color))


def _best_trial(rows, color):
    """The scored row with the best `color` (the lowest for a loss), or
    `None`."""
    scored = [r for r in rows if _is_scored(r, color)]
    if not scored:
        return None
    lower_is_better = "loss" in color
    return (min if lower_is_better else max)(scored, key=lambda r: r[color])


def _stage_ranges(ranges, stage):
    """The `{name: (min, max)}` searched in `stage`, or `{}`."""
    return ranges[stage - 1] if ranges and stage <= len(ranges) else {}


def _plot_stage(ax, rows, best, stage_ranges, *, x, y, color, color_range):
    """Draws one stage's trials, its best trial (or `None`) and its
    searched ranges on log axes.

    Returns:
        The scatter of the scored trials (for the colour bar) or `None`.
    """
    good = [r for r in rows if _is_scored(r, color)]
    bad = [r for r in rows if r not in good]
    mappable = None
    if good:
        mappable = ax.scatter(
            [r[x] for r in good],
            [r[y] for r in good],
            c=[r[color] for r in good],
            cmap="viridis",
            vmin=color_range[0],
            vmax=color_range[1],
            s=40,
            edgecolors="k",
            linewidths=0.3,
        )
    if bad:
        ax.scatter(
            [r[x] for r in bad],
            [r[y] for r in bad],
            marker="x",
            color="red",
            label="diverged / no score",
        )
    if best is not None:
        ax.scatter(
            [best[x]],
            [best[y]],
            marker="*",
            s=320,
            color="gold",
            edgecolors="k",
            linewidths=0.8,
            zorder=3,
            label=f"best: {x}={best[x]:.3g}, {y}={best[y]:.3g}",
        )
    if x in stage_ranges and y in stage_ranges:
        _draw_searched_range(ax, stage_ranges[x], stage_ranges[y])
    if bad or best is not None or stage_ranges:
        ax.legend(loc="best", fontsize="small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.grid(alpha=0.3, which="both")
    return mappable


def _draw_searched_range(ax, x_range, y_range):
    """Draws the box `x_range` by `y_range` as a dashed gray rectangle."""
    from matplotlib.patches import Rectangle

    (x0, x1), (y0, y1) = x_range, y_range
    ax.add_patch(
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            fill=False,
            linestyle="--",
            edgecolor="gray",
            label="searched range",
        )
    )
