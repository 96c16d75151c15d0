"""Activation histogram grids: a row per configuration, a panel per layer."""

import numpy as np

from keras_training_kit.plotting import figure as figure_lib


def histogram(values, bins: int = 50, value_range: tuple | None = None) -> dict:
    """Returns `{"counts": [...], "edges": [...]}` of `values` (plain lists).

    The form `plot_activation_histograms` accepts and JSON can store, so a
    figure can be redrawn from saved data without the activations.

    Args:
        values: array-like of any shape; flattened.
        bins: int, the number of bins. Defaults to `50`.
        value_range: `(low, high)` or `None` for the values' own range.
            Defaults to `None`.

    Returns:
        A dict with `bins` counts and `bins + 1` edges.

    Example:

    >>> histogram([0.0, 0.5, 1.0], bins=2)["counts"]
    [1, 2]
    """
    counts, edges = np.histogram(np.ravel(values), bins=bins, range=value_range)
    return {"counts": counts.tolist(), "edges": edges.tolist()}


def _as_histogram(entry, bins):
    if isinstance(entry, dict):
        if "counts" not in entry or "edges" not in entry:
            raise ValueError(
                "A histogram dict needs 'counts' and 'edges'. Received keys: "
                f"{sorted(entry)}"
            )
        return np.asarray(entry["counts"], float), np.asarray(
            entry["edges"], float
        )
    counts, edges = np.histogram(np.ravel(entry), bins=bins)
    return counts.astype(float), edges


def activation_histograms_figure(
    rows: dict,
    *,
    bins: int = 50,
    column_titles: list | None = None,
    title: str | None = None,
    max_columns: int | None = None,
):
    """Draws a histogram grid: one row per configuration, one column per layer.

    CS231n's figure of activations across depth: each row is one
    configuration (an initialization, an activation, a training epoch) and
    each panel the distribution of one layer's activations, titled with
    its mean and standard deviation when the raw values are given. The
    panels of a row share one x range, so a distribution that collapses
    towards zero with depth is seen shrinking to a spike.

    Args:
        rows: dict mapping a row name to a list with one entry per layer;
            an entry is either an array of activation values or a histogram
            `{"counts": [...], "edges": [...]}` (see `histogram`), with
            optional `"mean"` and `"std"` keys shown in the panel title.
        bins: int, the bins used for raw values. Defaults to `50`.
        column_titles: list of str or `None`, one title per column; `None`
            gives `"layer 1"`, `"layer 2"`, ... Defaults to `None`.
        title: str or `None`, the figure title. Defaults to `None`.
        max_columns: int or `None`: with more layers, this many evenly
            spaced ones (the first and the last among them) are drawn, so
            the text stays readable. Defaults to `None` (every layer).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `rows` is empty, a row is empty, or `column_titles`
            does not have one title per column.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> fig = activation_histograms_figure(
    ...     {"tanh": [np.tanh(rng.normal(size=100)) for _ in range(8)]},
    ...     max_columns=4)
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['layer 1', 'layer 3', 'layer 6', 'layer 8']
    """
    if (
        not isinstance(rows, dict)
        or not rows
        or not all(len(entries) for entries in rows.values())
    ):
        raise ValueError(
            "`rows` must be a non-empty dict mapping row names to non-empty "
            f"per-layer lists. Received: rows={rows!r:.200}"
        )
    num_columns = max(len(entries) for entries in rows.values())
    if column_titles is not None and len(column_titles) != num_columns:
        raise ValueError(
            f"`column_titles` must have one title per column ({num_columns}). "
            f"Received: column_titles={column_titles!r}"
        )
    shown = len(_columns(num_columns, max_columns))
    fig = figure_lib.new_figure(
        figsize=(2.0 * shown + 1.8, 1.9 * len(rows) + 1.0),
        layout="constrained",
    )
    draw_histograms(fig, rows, bins, column_titles, max_columns)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def plot_activation_histograms(
    rows: dict,
    path: str,
    *,
    bins: int = 50,
    column_titles: list | None = None,
    title: str | None = None,
    max_columns: int | None = None,
) -> str:
    """Draws `activation_histograms_figure` to a PNG.

    Args:
        rows: dict mapping a row name to a list with one entry per layer
            (values or a `histogram` dict).
        path: str, where to write the PNG.
        bins: int, the bins used for raw values. Defaults to `50`.
        column_titles: list of str or `None`, one title per column.
            Defaults to `None`.
        title: str or `None`, the figure title. Defaults to `None`.
        max_columns: int or `None`, the most layers drawn. Defaults to
            `None` (every layer).

    Returns:
        The path written.

    Raises:
        ValueError: see `activation_histograms_figure`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> plot_activation_histograms(
    ...     {"tanh": [np.tanh(rng.normal(size=100)) for _ in range(3)]},
    ...     "/tmp/histograms.png")
    '/tmp/histograms.png'
    """
    return figure_lib.save(
        activation_histograms_figure(
            rows,
            bins=bins,
            column_titles=column_titles,
            title=title,
            max_columns=max_columns,
        ),
        path,
    )


def _columns(num_columns, max_columns):
    """The indices of the layers drawn: all, or `max_columns` spread out."""
    if not max_columns or num_columns <= max_columns:
        return list(range(num_columns))
    spread = np.linspace(0, num_columns - 1, max_columns)
    return sorted({int(round(i)) for i in spread})


def draw_histograms(
    fig, rows: dict, bins: int, column_titles=None, max_columns=None
):
    """Draws `activation_histograms_figure`'s grid into a (sub)figure."""
    from matplotlib.ticker import MaxNLocator

    columns = _columns(max(len(e) for e in rows.values()), max_columns)
    axes = fig.subplots(len(rows), len(columns), squeeze=False)
    for row, (name, entries) in enumerate(rows.items()):
        histograms = [_as_histogram(entry, bins) for entry in entries]
        low = min(float(edges[0]) for _, edges in histograms)
        high = max(float(edges[-1]) for _, edges in histograms)
        for ax, column in zip(axes[row], columns):
            ax.tick_params(labelsize=9)
            ax.set_yticks([])
            # Three ticks inside a padded range: neighbours' edge labels
            # never meet ("1.0-1.0").
            ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
            if column >= len(entries):
                ax.set_axis_off()
                continue
            counts, edges = histograms[column]
            # The outline keeps a collapsed layer's one-bin spike visible.
            ax.stairs(counts, edges, fill=True, alpha=0.8, linewidth=1.0)
            ax.stairs(counts, edges, color="C0", linewidth=1.0)
            if high > low:
                pad = 0.06 * (high - low)
                ax.set_xlim(low - pad, high + pad)
            title = [column_titles[column]] if column_titles else []
            title = title or [f"layer {column + 1}"]
            ax.set_title(
                "\n".join(title * (row == 0) + _moments(entries[column])),
                fontsize=9,
            )
            if row == len(rows) - 1:
                ax.set_xlabel("activation", fontsize=9)
        axes[row][0].set_ylabel(
            name, fontsize=10, rotation=0, ha="right", va="center"
        )


def _moments(entry):
    """The panel's "mean .., std .." line, or none without them."""
    if isinstance(entry, dict):
        mean, std = entry.get("mean"), entry.get("std")
    else:
        mean, std = np.mean(entry), np.std(entry)
    if mean is None or std is None:
        return []
    # Two decimals: a mean of 3e-5 next to a std of 0.2 is zero.
    return [f"mean {round(float(mean), 2) + 0.0:.2f}, std {std:.2g}"]
