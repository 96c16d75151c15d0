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


def plot_activation_histograms(
    rows: dict,
    path: str,
    *,
    bins: int = 50,
    column_titles: list | None = None,
    title: str | None = None,
) -> str:
    """Draws a histogram grid: one row per configuration, one column per layer.

    The lecture's figure of activations across depth: each row is one
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
        path: str, where to write the PNG.
        bins: int, the bins used for raw values. Defaults to `50`.
        column_titles: list of str or `None`, one title per column; `None`
            gives `"layer 1"`, `"layer 2"`, ... Defaults to `None`.
        title: str or `None`, the figure title. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: if `rows` is empty, a row is empty, or `column_titles`
            does not have one title per column.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> plot_activation_histograms(
    ...     {"tanh": [np.tanh(rng.normal(size=100)) for _ in range(3)]},
    ...     "/tmp/histograms.png")
    '/tmp/histograms.png'
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
    fig = figure_lib.new_figure(
        figsize=(2.2 * num_columns + 2.0, 2.0 * len(rows) + 0.8)
    )
    draw_histograms(fig, rows, bins, column_titles)
    if title:
        fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return figure_lib.save(fig, path)


def draw_histograms(fig, rows: dict, bins: int, column_titles=None):
    """Draws `plot_activation_histograms`' grid into a (sub)figure."""
    num_columns = max(len(entries) for entries in rows.values())
    axes = fig.subplots(len(rows), num_columns, squeeze=False)
    for row, (name, entries) in enumerate(rows.items()):
        histograms = [_as_histogram(entry, bins) for entry in entries]
        low = min(float(edges[0]) for _, edges in histograms)
        high = max(float(edges[-1]) for _, edges in histograms)
        for column in range(num_columns):
            ax = axes[row][column]
            ax.tick_params(labelsize=9)
            ax.set_yticks([])
            if column >= len(entries):
                ax.set_axis_off()
                continue
            entry = entries[column]
            counts, edges = histograms[column]
            ax.stairs(counts, edges, fill=True, alpha=0.8)
            if high > low:
                ax.set_xlim(low, high)
            if isinstance(entry, dict):
                mean, std = entry.get("mean"), entry.get("std")
            else:
                mean, std = np.mean(entry), np.std(entry)
            lines = []
            if row == 0:
                lines.append(
                    column_titles[column]
                    if column_titles
                    else f"layer {column + 1}"
                )
            if mean is not None and std is not None:
                lines.append(f"mean {mean:.2g}, std {std:.2g}")
            ax.set_title("\n".join(lines), fontsize=9)
        axes[row][0].set_ylabel(
            name, fontsize=10, rotation=0, ha="right", va="center"
        )
