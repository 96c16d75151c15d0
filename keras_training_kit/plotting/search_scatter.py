"""The search figure: each trial's score over what the search varied.

Learning rate and L2 are drawn on log axes when they were searched; the
choices (optimizer, schedule, dropout, ...) get a panel or a marker each.
"""

from keras_training_kit.plotting import figure as figure_lib
from keras_training_kit.plotting.search_panels import Layout
from keras_training_kit.plotting.search_panels import best_trial
from keras_training_kit.plotting.search_panels import draw_0d
from keras_training_kit.plotting.search_panels import draw_1d
from keras_training_kit.plotting.search_panels import draw_2d
from keras_training_kit.plotting.search_panels import is_number
from keras_training_kit.plotting.search_panels import is_scored
from keras_training_kit.plotting.search_panels import stage_norm
from keras_training_kit.plotting.search_panels import stage_of
from keras_training_kit.plotting.search_panels import text

# Columns of a results table that are not hyperparameters.
_NOT_HYPERPARAMETERS = ("stage", "trial", "epochs_run", "status")
_MAX_COLUMNS = 4


def plot_search_scatter(
    rows: list,
    path: str,
    x: str = "learning_rate",
    y: str = "l2",
    color: str = "best_val_accuracy",
    title: str | None = None,
    ranges: list | None = None,
) -> str:
    """Draws `search_scatter_figure(rows, ...)` and saves it as a PNG at `path`.

    Args:
        rows: list of dicts, see `search_scatter_figure`.
        path: str, where to write the PNG.
        x: str, see `search_scatter_figure`. Defaults to `"learning_rate"`.
        y: str, see `search_scatter_figure`. Defaults to `"l2"`.
        color: str, see `search_scatter_figure`. Defaults to
            `"best_val_accuracy"`.
        title: str or `None`, the figure title. Defaults to `None`.
        ranges: list or `None`, see `search_scatter_figure`. Defaults to `None`.

    Returns:
        The path written.

    Example:

    >>> plot_search_scatter(
    ...     [{"learning_rate": 1e-3, "l2": 1e-4, "best_val_accuracy": 0.9},
    ...      {"learning_rate": 1e-2, "l2": 1e-5, "best_val_accuracy": 0.8}],
    ...     "/tmp/search.png")
    '/tmp/search.png'
    """
    figure = search_scatter_figure(
        rows, x=x, y=y, color=color, title=title, ranges=ranges
    )
    return figure_lib.save(figure, path)


def search_scatter_figure(
    rows: list,
    x: str = "learning_rate",
    y: str = "l2",
    color: str = "best_val_accuracy",
    title: str | None = None,
    ranges: list | None = None,
):
    """Returns the figure of a search: each trial's score over its values.

    `x` and `y` (log scale) count as searched when `ranges` holds them, or
    without `ranges` when the rows hold more than one value of them; a
    fixed one is named in the title. Every other column that varies over
    the rows (`optimizer`, `schedule`, `dropout`, ...) is a choice, and each
    combination of choices a cell. The figure has one panel per `stage`
    (coarse-to-fine) and:

    - two searched: `x` against `y` coloured by `color` (each stage its own
      colour bar), a panel per cell, the searched ranges as dashed boxes;
    - one searched: `color` against it, one marker and colour per cell;
    - none: `color` per cell, one row each.

    The best trial of each panel is a gold star and the best score of each
    panel (and cell) is written out; diverged trials and trials without a
    score are red crosses. Trials a pruner stopped (`status` `"pruned"`)
    are hollow gray circles, at the score they had when stopped where the
    score is an axis; they are never best and never set a colour scale.
    The legend sits below the panels.

    Args:
        rows: list of dicts, as `keras_training_kit.tuning.results_table`
            returns them or its CSV reads back: `x`, `y`, `color`, the
            choices, and optionally `"stage"` and `"status"`.
        x: str, a log-scale column. Defaults to `"learning_rate"`.
        y: str, another log-scale column. Defaults to `"l2"`.
        color: str, the score. Defaults to `"best_val_accuracy"` (the
            highest is best; for a name holding `"loss"`, the lowest).
        title: str or `None`, the figure title. Defaults to `None`.
        ranges: list of `{name: (min, max)}` per stage (as in
            `SearchResult.ranges`) or `None`. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: when `rows` is empty or no row has positive values of
            the searched `x` and `y`.

    Example:

    >>> figure = search_scatter_figure(
    ...     [{"learning_rate": 1e-3, "optimizer": "adam",
    ...       "best_val_accuracy": 0.9},
    ...      {"learning_rate": 1e-2, "optimizer": "sgd",
    ...       "best_val_accuracy": 0.8}],
    ...     ranges=[{"learning_rate": (1e-3, 1e-2)}])
    >>> figure.axes[0].get_xscale(), figure.axes[0].get_ylabel()
    ('log', 'best_val_accuracy')
    """
    numeric = _searched_numbers(rows, (x, y), ranges)
    points = [
        r
        for r in rows
        if all(is_number(r.get(k)) and r[k] > 0 for k in numeric)
    ]
    if not points:
        names = " and ".join(f"`{k}`" for k in numeric)
        wanted = f"trials with positive {names}" if numeric else "a trial"
        raise ValueError(
            f"`rows` must hold {wanted}. Received: rows={rows[:3]!r}"
        )
    columns = _choice_columns(points, exclude=(x, y, color))
    stages = sorted({stage_of(r) for r in points})
    layout = Layout(
        numeric=numeric,
        color=color,
        columns=columns,
        cells=_cells(points, columns),
        ranges=list(ranges or []),
        norms=_score_ranges(points, color, stages),
    )
    figure, panels = _new_panels(
        stages,
        layout.cells if len(numeric) == 2 else [None],
        _axis_labels(layout),
    )
    draw = {2: draw_2d, 1: draw_1d, 0: draw_0d}[len(numeric)]
    for ax, stage, cell in panels:
        mine = [r for r in points if stage_of(r) == stage]
        if cell is not None and columns:
            mine = [r for r in mine if layout.cell(r) == cell]
        draw(ax, layout, mine, stage)
        ax.set_title(_panel_title(layout, mine, stage, stages, cell))
    _finish(figure, layout, panels, points, title, (x, y))
    return figure


def _searched_numbers(rows, names, ranges):
    """The `names` searched (see `search_scatter_figure`), in order."""
    if ranges:
        searched = {
            name
            for stage_ranges in ranges
            for name, (low, high) in stage_ranges.items()
            if low < high
        }
        return [n for n in dict.fromkeys(names) if n in searched]
    return [
        n
        for n in dict.fromkeys(names)
        if len({r[n] for r in rows if is_number(r.get(n)) and r[n] > 0}) > 1
    ]


def _choice_columns(rows, exclude):
    """The columns of hyperparameters other than `exclude` that vary."""
    columns = []
    for row in rows:
        for key in row:
            if not (
                key in columns
                or key in exclude
                or key in _NOT_HYPERPARAMETERS
                or key.startswith("best_")
            ):
                columns.append(key)
    return [k for k in columns if len({r.get(k) for r in rows}) > 1]


def _cells(rows, columns):
    """The combinations of `columns`' values in `rows`, sorted."""
    cells = {tuple(r.get(k) for k in columns) for r in rows}
    return sorted(cells, key=lambda cell: [_sort_key(v) for v in cell])


def _sort_key(value):
    if is_number(value):
        return (0, value, "")
    return (1, 0, str(value))


def _score_ranges(rows, color, stages):
    """`{stage: (min, max)}` of each stage's scores (`(0, 1)` for none)."""
    ranges = {}
    for stage in stages:
        scores = [
            r[color]
            for r in rows
            if stage_of(r) == stage and is_scored(r, color)
        ]
        ranges[stage] = (min(scores), max(scores)) if scores else (0.0, 1.0)
    return ranges


def _axis_labels(layout):
    """`(x label, y label or None)` of the panels."""
    if len(layout.numeric) == 2:
        return tuple(layout.numeric)
    if layout.numeric:
        return layout.numeric[0], layout.color
    return layout.color, None


def _new_panels(stages, cells, labels):
    """Returns the figure and its panels `[(ax, stage, cell)]`: one per
    stage and cell, each stage starting a row, at most `_MAX_COLUMNS`
    panels a row; the outer ones carry the axis `labels`."""
    if len(cells) > 1:
        ncols = min(len(cells), _MAX_COLUMNS)
        rows_per_stage = -(-len(cells) // ncols)
        slots = [
            (s * rows_per_stage + c // ncols, c % ncols, stage, cell)
            for s, stage in enumerate(stages)
            for c, cell in enumerate(cells)
        ]
    else:
        ncols = min(len(stages), _MAX_COLUMNS)
        slots = [
            (i // ncols, i % ncols, st, cells[0]) for i, st in enumerate(stages)
        ]
    nrows = slots[-1][0] + 1
    figure = figure_lib.new_figure(
        figsize=(4.2 * ncols + 1.5, 3.2 * nrows + 1.3), layout="constrained"
    )
    axes = figure.subplots(
        nrows, ncols, squeeze=False, sharex=True, sharey=True
    )
    used = {(r, c) for r, c, _, _ in slots}
    for r in range(nrows):
        for c in range(ncols):
            if (r, c) not in used:
                figure.delaxes(axes[r][c])
                continue
            if (r + 1, c) not in used:
                # The lowest panel of its column shows the x axis.
                axes[r][c].tick_params(labelbottom=True)
                axes[r][c].set_xlabel(labels[0])
            if c == 0 and labels[1]:
                axes[r][c].set_ylabel(labels[1])
    return figure, [(axes[r][c], stage, cell) for r, c, stage, cell in slots]


def _finish(figure, layout, panels, points, title, names):
    """Axis labels, colour bars, the legend below and the title."""
    handles = {}
    for ax, _, _ in panels:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if handles:
        figure.legend(
            handles.values(),
            handles.keys(),
            loc="outside lower center",
            ncols=min(len(handles), 3),
            fontsize="small",
            frameon=False,
        )
    if len(layout.numeric) == 2:
        _colour_bars(figure, layout, panels)
    summary = _summary(layout, points, names)
    figure.suptitle("\n".join(t for t in (title, summary) if t))


def _colour_bars(figure, layout, panels):
    """One colour bar per stage, beside its panels."""
    from matplotlib.cm import ScalarMappable

    stages = list(dict.fromkeys(stage for _, stage, _ in panels))
    for stage in stages:
        label = layout.color
        if len(stages) > 1:
            label += f" (stage {stage})"
        figure.colorbar(
            ScalarMappable(stage_norm(layout, stage), "viridis"),
            ax=[ax for ax, s, _ in panels if s == stage],
            label=label,
        )


def _summary(layout, points, names):
    """The best trial and the values held fixed, as one line."""
    parts = []
    best = best_trial(points, layout.color)
    if best is not None:
        values = ", ".join(
            f"{k}={text(best.get(k))}" for k in layout.numeric + layout.columns
        )
        score = layout.color.removeprefix("best_")
        parts.append(
            f"best {score} {best[layout.color]:.4g}"
            + (f" at {values}" if values else "")
        )
    held = []
    for name in dict.fromkeys(names):
        values = {r[name] for r in points if is_number(r.get(name))}
        if name not in layout.numeric and len(values) == 1:
            held.append(f"{name}={text(float(values.pop()))}")
    if held:
        parts.append("held: " + ", ".join(held))
    return "; ".join(parts)


def _panel_title(layout, rows, stage, stages, cell):
    parts = [f"stage {stage}"] if len(stages) > 1 else []
    if cell is not None and layout.columns:
        parts.append(layout.label(cell))
    best = best_trial(rows, layout.color)
    if best is not None:
        parts.append(f"best {best[layout.color]:.4g}")
    return "\n".join(parts)
