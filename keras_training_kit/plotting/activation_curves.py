"""Activation statistics over training: a panel per metric, a line per layer."""

import math

from keras_training_kit.plotting import figure as figure_lib

_DEFAULT_METRICS = (
    "mean",
    "std",
    "dead_fraction",
    "saturated_fraction",
    "update_ratio",
)
_LOG_SCALE = ("std", "update_ratio")
# What each panel's y-axis measures; the panel title is the metric's name.
_Y_LABELS = {
    "mean": "mean activation",
    "std": "activation std",
    "dead_fraction": "fraction of units",
    "saturated_fraction": "fraction of units",
    "update_ratio": "step / weight norm",
    "gradient_norm": "kernel gradient norm",
    "backprop_std": "std of dloss/doutput",
    "noise_scale": "examples",
}


def activation_curves_figure(
    steps: list,
    history: dict,
    metrics: tuple | None = None,
    title: str | None = None,
    log_scale: tuple | None = None,
):
    """Draws per-layer statistics against the training step.

    One panel per metric (two rows from four metrics on), one line per
    layer in the same colour in every panel, one legend beside the panels.
    A NaN (or, on a log scale, a value of 0 or below) leaves a gap in its
    line, marked by a gray cross on the x-axis.

    Args:
        steps: list of int, the sampled training steps.
        history: dict `{layer: {metric: [value per step]}}`, as in
            `keras_training_kit.callbacks.ActivationStatistics.history` or
            its `read_csv`.
        metrics: tuple of metric names, one panel each, or `None` for those
            of `"mean"`, `"std"`, `"dead_fraction"`, `"saturated_fraction"`
            and `"update_ratio"` present in `history`. Defaults to `None`.
        title: str or `None`, the figure title. Defaults to `None`.
        log_scale: tuple of the metrics drawn on a log scale, or `None`
            for `std` and `update_ratio`. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `history` is empty or no metric is present.

    Example:

    >>> fig = activation_curves_figure(
    ...     [0, 10], {"dense": {"mean": [0.1, 0.2], "std": [1.0, 0.9]}})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['mean activation', 'activation std (log scale)']
    """
    if not isinstance(history, dict) or not history:
        raise ValueError(
            "`history` must be a non-empty dict {layer: {metric: values}}. "
            f"Received: history={history!r}"
        )
    present = {m for record in history.values() for m in record}
    panels = [m for m in (metrics or _DEFAULT_METRICS) if m in present]
    if not panels:
        raise ValueError(
            f"`metrics` names no metric of `history` ({sorted(present)}). "
            f"Received: metrics={metrics!r}"
        )
    logarithmic = _LOG_SCALE if log_scale is None else tuple(log_scale)
    columns = len(panels) if len(panels) <= 3 else math.ceil(len(panels) / 2)
    rows = math.ceil(len(panels) / columns)
    fig = figure_lib.new_figure(
        figsize=(3.9 * columns + 1.8, 3.0 * rows + 0.5), layout="constrained"
    )
    grid = fig.subplots(rows, columns, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(panels) :]:
        ax.set_axis_off()
    for ax, metric in zip(axes, panels):
        _draw_metric(ax, steps, history, metric, metric in logarithmic)
    _legend(fig, axes, history)
    if title:
        fig.suptitle(title)
    return fig


def plot_activation_curves(
    steps: list,
    history: dict,
    path: str,
    metrics: tuple | None = None,
    title: str | None = None,
    log_scale: tuple | None = None,
) -> str:
    """Draws `activation_curves_figure` to a PNG.

    Args:
        steps: list of int, the sampled training steps.
        history: dict `{layer: {metric: [value per step]}}`.
        path: str, where to write the PNG.
        metrics: tuple of metric names or `None`. Defaults to `None`.
        title: str or `None`, the figure title. Defaults to `None`.
        log_scale: tuple of the metrics drawn on a log scale, or `None`
            for `std` and `update_ratio`. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: if `history` is empty or no metric is present.

    Example:

    >>> plot_activation_curves(
    ...     [0, 10], {"dense": {"mean": [0.1, 0.2], "std": [1.0, 0.9]}},
    ...     "/tmp/activation_curves.png")
    '/tmp/activation_curves.png'
    """
    return figure_lib.save(
        activation_curves_figure(steps, history, metrics, title, log_scale),
        path,
    )


def _draw_metric(ax, steps, history, metric, logarithmic):
    """Draws one metric's line per layer, gaps where a value is missing."""
    for index, (layer, record) in enumerate(history.items()):
        if metric not in record:
            continue
        values = [
            v if _drawable(v, logarithmic) else math.nan for v in record[metric]
        ]
        # One colour per layer across panels, whichever metrics it has.
        if any(math.isfinite(v) for v in values):
            ax.plot(
                steps[: len(values)],
                values,
                marker=".",
                label=layer,
                color=f"C{index % 10}",
            )
        figure_lib.mark_missing(
            ax,
            steps,
            values,
            "no value (NaN or <= 0)" if logarithmic else "no value (NaN)",
        )
    if logarithmic:
        ax.set_yscale("log")
        figure_lib.tidy_log_axis(ax)
    label = _Y_LABELS.get(metric, metric.replace("_", " "))
    ax.set_ylabel(label + (" (log scale)" if logarithmic else ""))
    ax.set_xlabel("training step")
    ax.set_title(metric.replace("_", " "))
    ax.grid(alpha=0.3)


def _drawable(value, logarithmic):
    return (
        value is not None
        and math.isfinite(value)
        and (value > 0 or not logarithmic)
    )


def _legend(fig, axes, history):
    """One legend: every layer drawn in any panel in `history`'s order
    (a layer without a kernel has no gradient norm but has a backprop
    std), then the missing-value mark."""
    drawn = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            drawn.setdefault(label, handle)
    labels = [layer for layer in history if layer in drawn]
    labels += [label for label in drawn if label not in history]
    if labels:
        fig.legend(
            [drawn[label] for label in labels],
            labels,
            loc="outside right upper",
            fontsize=9,
        )
