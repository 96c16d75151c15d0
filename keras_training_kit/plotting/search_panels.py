"""One panel of the search figure: its trials, best trial and ranges.

`search_scatter.search_scatter_figure` lays the panels out; a panel draws the
trials of one stage (and one cell of choices when two log-scale values
were searched).
"""

import dataclasses

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
# Where the score is drawn, a pruned trial's is over the epochs it trained.
_PRUNED_SCORED = "pruned (score when stopped)"


@dataclasses.dataclass
class Layout:
    """What the rows searched: how `search_scatter_figure` draws them."""

    numeric: list  # the searched log-scale columns (0, 1 or 2)
    color: str  # the score column
    columns: list  # the categorical columns that vary
    cells: list  # their combinations, as tuples in `columns` order
    ranges: list  # `{name: (min, max)}` per stage, or []
    norms: dict  # {stage: (min, max) of its scores}: 2-D colour scales

    def cell(self, row) -> tuple:
        return tuple(row.get(k) for k in self.columns)

    def label(self, cell) -> str:
        if not self.columns:
            return "trials"
        return ", ".join(f"{k}={text(v)}" for k, v in zip(self.columns, cell))


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def stage_of(row):
    """The row's coarse-to-fine stage; rows without one are stage 1."""
    return row.get("stage") or 1


def is_scored(row, color):
    """Whether the trial trained all its epochs and has a score to draw:
    neither diverged nor pruned (a pruned trial's score is over fewer
    epochs, so it never colours a scale or is best)."""
    return row.get("status") not in ("diverged", "pruned") and is_number(
        row.get(color)
    )


def is_pruned(row, color):
    """Whether a pruner stopped the trial, with the score it had then."""
    return row.get("status") == "pruned" and is_number(row.get(color))


def best_trial(rows, color):
    """The scored row with the best `color` (the lowest for a loss), or
    `None`."""
    scored = [r for r in rows if is_scored(r, color)]
    if not scored:
        return None
    lower_is_better = "loss" in color
    return (min if lower_is_better else max)(scored, key=lambda r: r[color])


def text(value):
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def stage_ranges_of(ranges, stage):
    """The `{name: (min, max)}` searched in `stage`, or `{}`."""
    return ranges[stage - 1] if ranges and stage <= len(ranges) else {}


def stage_norm(layout, stage):
    """The colour scale of one stage: its own scores' range, so a later
    stage's close scores still differ in colour."""
    from matplotlib.colors import Normalize

    return Normalize(*layout.norms[stage])


def draw_2d(ax, layout, rows, stage):
    """`x` against `y`, coloured by the score over the stage's trials."""
    x, y = layout.numeric
    good = [r for r in rows if is_scored(r, layout.color)]
    if good:
        ax.scatter(
            [r[x] for r in good],
            [r[y] for r in good],
            c=[r[layout.color] for r in good],
            cmap="viridis",
            norm=stage_norm(layout, stage),
            s=45,
            edgecolors="k",
            linewidths=0.3,
        )
    pruned = [r for r in rows if is_pruned(r, layout.color)]
    if pruned:
        _hollow(ax, [r[x] for r in pruned], [r[y] for r in pruned], "pruned")
    bad = [r for r in rows if r not in good and r not in pruned]
    if bad:
        _crosses(ax, [r[x] for r in bad], [r[y] for r in bad])
    best = best_trial(rows, layout.color)
    if best is not None:
        _star(ax, best[x], best[y])
    stage_ranges = stage_ranges_of(layout.ranges, stage)
    if x in stage_ranges and y in stage_ranges:
        _draw_searched_range(ax, stage_ranges[x], stage_ranges[y])
    ax.set_xscale("log")
    ax.set_yscale("log")


def draw_1d(ax, layout, rows, stage):
    """The score against the one searched column, a line per cell."""
    (x,) = layout.numeric
    for index, cell in enumerate(layout.cells):
        mine = sorted(
            (
                r
                for r in rows
                if layout.cell(r) == cell and is_scored(r, layout.color)
            ),
            key=lambda r: r[x],
        )
        if mine:
            ax.plot(
                [r[x] for r in mine],
                [r[layout.color] for r in mine],
                linewidth=1,
                markersize=7,
                markerfacecolor="none",
                label=layout.label(cell),
                **_style(index),
            )
    pruned = [r for r in rows if is_pruned(r, layout.color)]
    if pruned:
        _hollow(
            ax,
            [r[x] for r in pruned],
            [r[layout.color] for r in pruned],
            _PRUNED_SCORED,
        )
    bad = [
        r
        for r in rows
        if not is_scored(r, layout.color) and not is_pruned(r, layout.color)
    ]
    if bad:
        # At the foot of the panel: a diverged trial has no fair score.
        _crosses(
            ax, [r[x] for r in bad], [0.03] * len(bad), ax.get_xaxis_transform()
        )
    best = best_trial(rows, layout.color)
    if best is not None:
        _star(ax, best[x], best[layout.color])
    for edge in stage_ranges_of(layout.ranges, stage).get(x, ()):
        ax.axvline(edge, linestyle="--", color="gray", label="searched range")
    ax.set_xscale("log")


def draw_0d(ax, layout, rows, stage):
    """The score of each cell's trials, a row per cell."""
    for index, cell in enumerate(layout.cells):
        mine = [r for r in rows if layout.cell(r) == cell]
        good = [r for r in mine if is_scored(r, layout.color)]
        if good:
            style = _style(index)
            ax.scatter(
                [r[layout.color] for r in good],
                [index] * len(good),
                marker=style["marker"],
                facecolors="none",
                edgecolors=style["color"],
                s=60,
            )
            best = best_trial(good, layout.color)[layout.color]
            ax.annotate(
                f"{best:.4g}",
                (best, index),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize="small",
            )
        pruned = [r for r in mine if is_pruned(r, layout.color)]
        if pruned:
            _hollow(
                ax,
                [r[layout.color] for r in pruned],
                [index] * len(pruned),
                _PRUNED_SCORED,
            )
        bad = [r for r in mine if r not in good and r not in pruned]
        if bad:
            _crosses(
                ax,
                [0.03] * len(bad),
                [index] * len(bad),
                ax.get_yaxis_transform(),
            )
    best = best_trial(rows, layout.color)
    if best is not None:
        _star(ax, best[layout.color], layout.cells.index(layout.cell(best)))
    ax.set_yticks(
        range(len(layout.cells)), [layout.label(c) for c in layout.cells]
    )
    ax.set_ylim(-0.6, len(layout.cells) - 0.4)
    ax.margins(x=0.15)  # room for the scores written beside the markers


def _style(index):
    """The colour and marker of the `index`-th cell."""
    from matplotlib import colormaps

    return {
        "color": colormaps["tab10"](index % 10),
        "marker": _MARKERS[index % len(_MARKERS)],
    }


def _crosses(ax, xs, ys, transform=None):
    options = {} if transform is None else {"transform": transform}
    ax.scatter(
        xs,
        ys,
        marker="x",
        color="red",
        label="diverged / no score",
        clip_on=False,
        **options,
    )


def _hollow(ax, xs, ys, label):
    """Pruned trials: hollow gray circles (never coloured by score)."""
    ax.scatter(
        xs,
        ys,
        s=45,
        facecolors="none",
        edgecolors="gray",
        linewidths=1.2,
        label=label,
    )


def _star(ax, x, y):
    ax.scatter(
        [x],
        [y],
        marker="*",
        s=220,
        color="gold",
        edgecolors="k",
        linewidths=0.8,
        zorder=3,
        label="best trial",
    )


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
