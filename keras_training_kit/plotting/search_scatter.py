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
        if isinstance(r.get(x), (int, float))
        and isinstance(r.get(y), (int, float))
        and r[x] > 0
        and r[y] > 0
    ]
    if not points:
        raise ValueError(
            f"`rows` must hold trials with positive `{x}` and `{y}` values. "
            f"Received: rows={rows[:3]!r}"
        )
    from matplotlib.patches import Rectangle

    stages = sorted({r.get("stage") or 1 for r in points})
    fig = figure_lib.new_figure(figsize=(4.5 * len(stages) + 1, 4))
    axes = fig.subplots(1, len(stages), squeeze=False, sharex=True, sharey=True)
    scores = [
        r[color] for r in points if isinstance(r.get(color), (int, float))
    ]
    vmin, vmax = (min(scores), max(scores)) if scores else (0.0, 1.0)
    scored = [
        r
        for r in points
        if r.get("status") != "diverged"
        and isinstance(r.get(color), (int, float))
    ]
    lower_is_better = "loss" in color
    best = (
        (min if lower_is_better else max)(scored, key=lambda r: r[color])
        if scored
        else None
    )
    mappable = None
    for ax, stage in zip(axes[0], stages):
        in_stage = [r for r in points if (r.get("stage") or 1) == stage]
        good = [
            r
            for r in in_stage
            if r.get("status") != "diverged"
            and isinstance(r.get(color), (int, float))
        ]
        bad = [r for r in in_stage if r not in good]
        if good:
            mappable = ax.scatter(
                [r[x] for r in good],
                [r[y] for r in good],
                c=[r[color] for r in good],
                cmap="viridis",
                vmin=vmin,
                vmax=vmax,
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
        if best is not None and (best.get("stage") or 1) == stage:
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
        stage_ranges = (
            (ranges or [])[stage - 1] if ranges and stage <= len(ranges) else {}
        )
        if x in stage_ranges and y in stage_ranges:
            (x0, x1), (y0, y1) = stage_ranges[x], stage_ranges[y]
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
        if bad or best is not None or stage_ranges:
            ax.legend(loc="best", fontsize="small")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.grid(alpha=0.3, which="both")
        if len(stages) > 1:
            ax.set_title(f"stage {stage}")
    axes[0][0].set_ylabel(y)
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes[0]), label=color)
    if title:
        fig.suptitle(title)
    return figure_lib.save(fig, path)
