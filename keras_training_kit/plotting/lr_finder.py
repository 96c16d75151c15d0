"""The learning-rate range test figure: loss vs learning rate on a log axis."""

import math

from keras_training_kit.plotting import figure as figure_lib


def plot_lr_finder(
    learning_rates: list,
    losses: list,
    path: str,
    smoothed_losses: list | None = None,
    suggested_learning_rate: float | None = None,
    title: str | None = None,
) -> str:
    """Draws per-batch loss (and its smoothed curve) against the learning rate.

    Args:
        learning_rates: sequence of floats, the learning rate of each step.
        losses: sequence of floats, the loss of each step's batch.
        path: str, where to write the PNG.
        smoothed_losses: sequence of floats or `None`, the smoothed losses.
            Defaults to `None`.
        suggested_learning_rate: float or `None`, marked by a vertical line.
            Defaults to `None`.
        title: str or `None`. Defaults to `None`.

    Returns:
        The path written.

    Raises:
        ValueError: when `learning_rates` and `losses` differ in length or
            are empty.

    Example:

    >>> plot_lr_finder([1e-4, 1e-3, 1e-2], [2.3, 1.9, 3.0], "/tmp/lr.png")
    '/tmp/lr.png'
    """
    if not len(learning_rates) or len(learning_rates) != len(losses):
        raise ValueError(
            "`learning_rates` and `losses` must be non-empty and of the same "
            f"length. Received: len(learning_rates)={len(learning_rates)}, "
            f"len(losses)={len(losses)}"
        )
    fig = figure_lib.new_figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(learning_rates, losses, alpha=0.35, label="batch loss")
    if smoothed_losses is not None:
        ax.plot(learning_rates, smoothed_losses, label="smoothed")
    if suggested_learning_rate:
        ax.axvline(
            suggested_learning_rate,
            color="red",
            linestyle="--",
            label=f"suggested {suggested_learning_rate:.2g}",
        )
    # The exploding end of the sweep would set the scale and flatten the
    # useful part: show from the lowest loss to 1.5x the starting loss.
    reference = smoothed_losses if smoothed_losses is not None else losses
    finite = [v for v in list(losses) + list(reference) if math.isfinite(v)]
    start = next((v for v in reference if math.isfinite(v)), None)
    if finite and start is not None:
        low, high = min(finite), min(max(finite), 1.5 * start)
        if high > low:
            pad = 0.05 * (high - low)
            ax.set_ylim(low - pad, high + pad)
    if suggested_learning_rate and smoothed_losses is not None:
        index = min(
            range(len(learning_rates)),
            key=lambda i: abs(
                math.log(learning_rates[i] / suggested_learning_rate)
            ),
        )
        ax.plot(
            [learning_rates[index]], [smoothed_losses[index]], "o", color="red"
        )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    return figure_lib.save(fig, path)
