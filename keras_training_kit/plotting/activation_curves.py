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


def plot_activation_curves(
    steps: list,
    history: dict,
    path: str,
    metrics: tuple | None = None,
    title: str | None = None,
    log_scale: tuple | None = None,
) -> str:
    """Draws per-layer activation statistics against the training step.

    Args:
        steps: list of int, the sampled training steps.
        history: dict `{layer: {metric: [value per step]}}`, as in
            `keras_training_kit.callbacks.ActivationStatistics.history` or
            its `read_csv`.
        path: str, where to write the PNG.
        metrics: tuple of metric names, one panel each, or `None` for those
            of `"mean"`, `"std"`, `"dead_fraction"`, `"saturated_fraction"`
            and `"update_ratio"` present in `history`. `std` and
            `update_ratio` use a log scale. Defaults to `None`.
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
    fig = figure_lib.new_figure(figsize=(4 * len(panels), 3.2))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, metric in zip(axes[0], panels):
        # One color per layer across panels, whichever metrics it has.
        for index, (layer, record) in enumerate(history.items()):
            if metric not in record:
                continue
            points = [
                (s, v)
                for s, v in zip(steps, record[metric])
                if math.isfinite(v)
            ]
            if metric in logarithmic:
                points = [(s, v) for s, v in points if v > 0]
            if points:
                ax.plot(
                    *zip(*points),
                    marker=".",
                    label=layer,
                    color=f"C{index % 10}",
                )
        if metric in logarithmic:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(metric.replace("_", " "))
        ax.grid(alpha=0.3)
    # Every layer drawn in any panel (a layer without a kernel has no
    # gradient norm but does have a backprop std), in `history`'s order.
    drawn = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            drawn.setdefault(label, handle)
    labels = [layer for layer in history if layer in drawn]
    handles = [drawn[layer] for layer in labels]
    if handles:
        fig.legend(
            handles,
            labels,
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            fontsize=7,
        )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return figure_lib.save(fig, path)
