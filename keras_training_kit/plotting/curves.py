"""Training curves: loss and accuracy, train vs validation; learning rate."""

from keras_training_kit.plotting import figure as figure_lib


def plot_training_curves(
    history: dict, path: str, title: str | None = None
) -> str:
    """Draws loss and accuracy per epoch, train vs validation, to a PNG.

    A `"learning_rate"` entry (as `ktk train` logs it) gets a third panel,
    on a log scale when it spans more than 30x, so a schedule's shape sits
    next to the loss it produced.

    Args:
        history: dict mapping metric names (`"loss"`, `"val_loss"`,
            `"accuracy"`, `"val_accuracy"`, ...) to per-epoch lists, as in
            `keras.callbacks.History.history` or a `CSVLogger` file. An
            optional `"epoch"` list gives the x values.
        path: str, where to write the PNG.
        title: str or `None`, the figure title.

    Returns:
        The path written.

    Example:

    >>> plot_training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
    ...                      "/tmp/curves.png")
    '/tmp/curves.png'
    """
    from matplotlib.ticker import MaxNLocator
    from matplotlib.ticker import NullFormatter

    panels = [m for m in ("loss", "accuracy") if m in history]
    panels = (
        panels
        or [
            k
            for k in history
            if k not in ("epoch", "learning_rate") and not k.startswith("val_")
        ][:2]
    )
    if "learning_rate" in history:
        panels.append("learning_rate")
    fig = figure_lib.new_figure(figsize=(5 * max(len(panels), 1), 3.5))
    axes = fig.subplots(1, max(len(panels), 1))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    for ax, metric in zip(axes, panels):
        values = list(history[metric])
        epochs = list(history.get("epoch", range(len(values))))
        epochs = [e + 1 for e in epochs]
        # Markers keep a one-epoch run visible; epochs are whole numbers.
        ax.plot(epochs, values, marker="o", label="train")
        if f"val_{metric}" in history:
            ax.plot(
                epochs,
                list(history[f"val_{metric}"]),
                marker="o",
                label="validation",
            )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if epochs:
            # Whole epochs, and room around a single one.
            ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
            if len(epochs) <= 12:
                ax.set_xticks(epochs)
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        if metric == "learning_rate":
            ax.lines[0].set_label("at the start of the epoch")
            ax.lines[0].set_color("tab:green")
            # A log scale once the rate spans decades (one-cycle, decays).
            if min(values) > 0 and max(values) > 30 * min(values):
                ax.set_yscale("log")
                ax.yaxis.set_minor_formatter(NullFormatter())
            else:
                ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        ax.legend()
    if title:
        fig.suptitle(title)
    return figure_lib.save(fig, path)
