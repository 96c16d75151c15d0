"""Training curves: loss and accuracy, train vs validation; learning rate."""

import math

from keras_training_kit.plotting import figure as figure_lib

_EVENT_COLOURS = ("tab:purple", "tab:brown", "tab:pink", "tab:olive")


def training_curves_figure(
    history: dict,
    title: str | None = None,
    *,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    schedule: str | None = None,
    test_accuracy: float | None = None,
    num_classes: int | None = None,
    events: dict | None = None,
):
    """Draws loss and accuracy per epoch, train vs validation.

    The loss is on a log scale spanning at least a decade, so late epochs
    stay readable and a flat (chance-level) run looks flat; the accuracy
    axis runs from 0 to 1. A `"learning_rate"` entry that changes gets a
    third panel (on a log scale when it spans 10x or more); a constant one
    is named in the title instead. With `num_classes`, dashed gray lines
    mark chance level (loss ln C, accuracy 1/C). Each event (such as a
    plateau's learning-rate cut or early stopping) is a dotted vertical
    line on every panel. NaN or infinite values leave a gap marked with
    gray crosses on the axis.

    Args:
        history: dict mapping metric names (`"loss"`, `"val_loss"`,
            `"accuracy"`, `"val_accuracy"`, ...) to per-epoch lists, as in
            `keras.callbacks.History.history` or a `CSVLogger` file. An
            optional `"epoch"` list (counted from 0) gives the x values.
        title: str or `None`, the first line of the title. Defaults to
            `None`.
        optimizer: str or `None`, the optimizer's name for the title.
            Defaults to `None`.
        learning_rate: float or `None`, the (peak) learning rate for the
            title; `None` takes a constant `history["learning_rate"]`.
            Defaults to `None`.
        schedule: str or `None`, the learning-rate schedule's name for
            the title. Defaults to `None`.
        test_accuracy: float or `None`, the test accuracy for the title.
            Defaults to `None`.
        num_classes: int or `None`, the number of classes, for the chance
            lines. Defaults to `None`.
        events: dict or `None`, mapping a label to an epoch or a list of
            epochs (counted from 1 like the x-axis; `6.5` is between the
            6th and 7th epoch). Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:

    >>> fig = training_curves_figure(
    ...     {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8]}, "mlp on digits",
    ...     optimizer="adam", learning_rate=1e-3, test_accuracy=0.81)
    >>> fig.get_suptitle().splitlines()[1]
    'adam, lr 0.001; test accuracy 0.810'
    """
    panels = [m for m in ("loss", "accuracy") if m in history] or [
        k
        for k in history
        if k not in ("epoch", "learning_rate") and not k.startswith("val_")
    ][:2]
    rates = [float(r) for r in history.get("learning_rate", [])]
    constant_rate = bool(rates) and max(rates) <= min(rates) * (1 + 1e-6)
    if rates and not constant_rate:
        panels.append("learning_rate")
    fig = figure_lib.new_figure(
        figsize=(4.2 * max(len(panels), 1) + 2.2, 3.6), layout="constrained"
    )
    axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
    epochs = [e + 1 for e in history.get("epoch", range(_length(history)))]
    for ax, metric in zip(axes, panels):
        _draw_panel(ax, metric, epochs, history, num_classes)
    # After the data: the legend lists the events last.
    for ax in axes:
        for index, (label, at) in enumerate((events or {}).items()):
            for epoch in at if isinstance(at, (list, tuple)) else [at]:
                ax.axvline(
                    epoch,
                    color=_EVENT_COLOURS[index % len(_EVENT_COLOURS)],
                    linestyle=":",
                    linewidth=1.6,
                    label=label,
                )
    if learning_rate is None and constant_rate:
        learning_rate = rates[0]
    _legend(fig, axes, events or {})
    lines = [title] if title else []
    details = _details(optimizer, learning_rate, schedule)
    details += _accuracy_note(test_accuracy, num_classes)
    if details:
        lines.append("; ".join(details))
    if lines:
        fig.suptitle("\n".join(lines))
    return fig


def plot_training_curves(
    history: dict, path: str, title: str | None = None, **kwargs
) -> str:
    """Draws `training_curves_figure` to a PNG.

    Args:
        history: dict of per-epoch lists, see `training_curves_figure`.
        path: str, where to write the PNG.
        title: str or `None`, the figure title. Defaults to `None`.
        **kwargs: the keyword arguments of `training_curves_figure`
            (`optimizer`, `learning_rate`, `schedule`, `test_accuracy`,
            `num_classes`, `events`).

    Returns:
        The path written.

    Example:

    >>> plot_training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
    ...                      "/tmp/curves.png")
    '/tmp/curves.png'
    """
    return figure_lib.save(
        training_curves_figure(history, title, **kwargs), path
    )


def _length(history):
    return max((len(v) for v in history.values()), default=0)


def _draw_panel(ax, metric, epochs, history, num_classes):
    """Draws one metric, train and validation, with its chance line."""
    from matplotlib.ticker import MaxNLocator

    values = [float(v) for v in history[metric]]
    if metric == "learning_rate":
        series = [("learning rate at the epoch's start", values, "tab:green")]
    else:
        series = [("train", values, "tab:blue")]
        if f"val_{metric}" in history:
            validation = [float(v) for v in history[f"val_{metric}"]]
            series.append(("validation", validation, "tab:orange"))
    for label, ys, colour in series:
        # Markers keep a one-epoch run visible; NaN leaves a gap.
        ax.plot(epochs, ys, marker="o", label=label, color=colour)
        figure_lib.mark_missing(ax, epochs, ys)
    chance = _chance(metric, num_classes)
    if chance is not None:
        ax.axhline(chance[0], color="0.5", linestyle="--", label=chance[1])
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if epochs:
        ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        if len(epochs) <= 12:
            ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    finite = [v for _, ys, _ in series for v in ys if math.isfinite(v)]
    finite += [chance[0]] if chance else []
    _scale(ax, metric, finite)


def _scale(ax, metric, values):
    """Sets the panel's scale, limits and y label."""
    from matplotlib.ticker import FuncFormatter

    label = metric.replace("_", " ")
    positive = [v for v in values if v > 0]
    if metric == "accuracy":
        ax.set_ylim(-0.02, 1.02)
    elif metric in ("loss", "learning_rate") and positive:
        low, high = min(positive), max(positive)
        if metric == "loss" or high >= 10 * low:
            # At least a decade: noise around a flat loss stays flat.
            pad = max(0.0, 1.0 - math.log10(high / low)) / 2 + 0.05
            ax.set_yscale("log")
            ax.set_ylim(low / 10**pad, high * 10**pad)
            figure_lib.tidy_log_axis(ax)
            label += " (log scale)"
        else:
            # Plain numbers: no `1e-3` offset above the axis.
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel(label)


def _chance(metric, num_classes):
    """`(value, label)` of chance level for `metric`, or `None`."""
    if not num_classes or num_classes < 2:
        return None
    # One label for both lines: one legend entry.
    label = f"chance level (loss ln {num_classes}, accuracy 1/{num_classes})"
    if metric == "loss":
        return math.log(num_classes), label
    if metric == "accuracy":
        return 1 / num_classes, label
    return None


def _legend(fig, axes, events):
    """One legend beside the panels, each label once, the events last."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    labels = [label for label in entries if label not in events]
    labels += [label for label in entries if label in events]
    if labels:
        fig.legend(
            [entries[label] for label in labels],
            labels,
            loc="outside right upper",
        )


def _details(optimizer, learning_rate, schedule):
    details = []
    setup = [optimizer] if optimizer else []
    if learning_rate is not None:
        setup.append(f"lr {learning_rate:.3g}")
    if schedule:
        setup.append(f"{schedule} schedule")
    if setup:
        details.append(", ".join(setup))
    return details


def _accuracy_note(test_accuracy, num_classes):
    if test_accuracy is None:
        return []
    note = f"test accuracy {test_accuracy:.3f}"
    if num_classes:
        note += f" (chance {1 / num_classes:.3g})"
    return [note]
