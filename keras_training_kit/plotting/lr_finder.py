"""The learning-rate range test figure: loss vs learning rate on a log axis."""

import math

import numpy as np

from keras_training_kit.plotting import figure as figure_lib

# One colour and marker per rule of `keras_training_kit.tuning.SUGGESTIONS`
# (spelled out: the plotting package does not import the tuning one), the
# same in every figure; other names take the spare styles in turn.
_RULE_STYLES = {
    "valley": ("tab:green", "o"),
    "steep": ("tab:red", "s"),
    "minimum": ("tab:purple", "^"),
    "slide": ("tab:brown", "D"),
}
_SPARE_STYLES = (("tab:pink", "v"), ("tab:olive", "P"), ("tab:cyan", "X"))


def _nearest(learning_rates, rate):
    return min(
        range(len(learning_rates)),
        key=lambda i: abs(math.log(learning_rates[i] / rate)),
    )


def _on_curve(learning_rates, values, rate):
    """The curve's height at `rate`, interpolated in log learning rate."""
    rates = np.asarray(learning_rates, dtype="float64")
    values = np.asarray(values, dtype="float64")
    finite = np.isfinite(values) & (rates > 0)
    if not finite.any():
        return math.nan
    return float(
        np.interp(math.log(rate), np.log(rates[finite]), values[finite])
    )


def lr_finder_figure(
    learning_rates: list,
    losses: list,
    smoothed_losses: list | None = None,
    suggested_learning_rate: float | None = None,
    title: str | None = None,
    suggestions: dict | None = None,
    default_suggestion: str | None = None,
) -> str:
    """Draws per-batch loss (and its smoothed curve) against the learning rate.

    The x-axis is logarithmic. Each suggestion is a dashed vertical line and
    a marker on the (smoothed) curve, interpolated in log learning rate, one
    colour and marker shape per rule;
    the legend, outside the axes on the right, names each rule and its
    learning rate ("valley 3.2e-03").

    Args:
        learning_rates: sequence of floats, the learning rate of each step.
        losses: sequence of floats, the loss of each step's batch.
        smoothed_losses: sequence of floats or `None`, the smoothed losses.
            Defaults to `None`.
        suggested_learning_rate: float or `None`, one learning rate marked by
            a red vertical line. Defaults to `None`.
        title: str or `None`. Defaults to `None`.
        suggestions: dict or `None`, from rule name to learning rate (such
            as `LRFinderResult.suggestions`), each marked; `None` values are
            left out. Defaults to `None`.
        default_suggestion: str or `None`, the key of `suggestions` to
            label "(default)" and draw bolder. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: when `learning_rates` and `losses` differ in length or
            are empty, or `default_suggestion` is not a key of
            `suggestions`.

    Example:

    >>> fig = lr_finder_figure([1e-4, 1e-3, 1e-2], [2.3, 1.9, 3.0],
    ...                        suggestions={"valley": 1e-3},
    ...                        default_suggestion="valley")
    >>> fig.axes[0].get_legend().get_texts()[-1].get_text()
    'valley 1.0e-03 (default)'
    """
    _check_arguments(learning_rates, losses, suggestions, default_suggestion)
    suggestions = dict(suggestions or {})
    fig = figure_lib.new_figure(figsize=(7.5, 4))
    ax = fig.subplots()
    ax.plot(learning_rates, losses, alpha=0.35, label="batch loss")
    if smoothed_losses is not None:
        ax.plot(learning_rates, smoothed_losses, label="smoothed")
    if suggested_learning_rate:
        _mark_suggested_rate(
            ax, learning_rates, smoothed_losses, suggested_learning_rate
        )
    reference = smoothed_losses if smoothed_losses is not None else losses
    _limit_to_useful_losses(ax, losses, reference)
    _mark_suggestions(
        ax, learning_rates, reference, suggestions, default_suggestion
    )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    # Outside the axes, so it never hides the curve.
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    if title:
        ax.set_title(title)
    return fig


def plot_lr_finder(
    learning_rates: list, losses: list, path: str, *args, **kwargs
) -> str:
    """Draws `lr_finder_figure` to a PNG.

    Args:
        learning_rates: sequence of floats, the learning rate of each step.
        losses: sequence of floats, the loss of each step's batch.
        path: str, where to write the PNG.
        *args: the further arguments of `lr_finder_figure`, in its order
            (`smoothed_losses`, `suggested_learning_rate`, `title`,
            `suggestions`, `default_suggestion`).
        **kwargs: the same, by name.

    Returns:
        The path written.

    Raises:
        ValueError: see `lr_finder_figure`.

    Example:

    >>> plot_lr_finder([1e-4, 1e-3, 1e-2], [2.3, 1.9, 3.0], "/tmp/lr.png",
    ...                suggestions={"valley": 1e-3, "minimum": 1e-4},
    ...                default_suggestion="valley")
    '/tmp/lr.png'
    """
    return figure_lib.save(
        lr_finder_figure(learning_rates, losses, *args, **kwargs), path
    )


def _check_arguments(learning_rates, losses, suggestions, default_suggestion):
    """Raises the `ValueError`s of `plot_lr_finder`."""
    if not len(learning_rates) or len(learning_rates) != len(losses):
        raise ValueError(
            "`learning_rates` and `losses` must be non-empty and of the same "
            f"length. Received: len(learning_rates)={len(learning_rates)}, "
            f"len(losses)={len(losses)}"
        )
    suggestions = dict(suggestions or {})
    if default_suggestion is not None and default_suggestion not in suggestions:
        raise ValueError(
            "`default_suggestion` must be a key of `suggestions` "
            f"({', '.join(map(repr, suggestions)) or 'none given'}). "
            f"Received: default_suggestion={default_suggestion!r}"
        )


def _mark_suggested_rate(ax, learning_rates, smoothed_losses, rate):
    """Marks one learning rate with a red line (and point on the smoothed
    curve)."""
    ax.axvline(
        rate,
        color="red",
        linestyle="--",
        label=f"suggested {rate:.2g}",
    )
    if smoothed_losses is not None:
        index = _nearest(learning_rates, rate)
        ax.plot(
            [learning_rates[index]], [smoothed_losses[index]], "o", color="red"
        )


def _limit_to_useful_losses(ax, losses, reference):
    """Shows the losses from the lowest to 1.5x the starting loss.

    The exploding end of the sweep would set the scale and flatten the
    useful part.
    """
    finite = [v for v in list(losses) + list(reference) if math.isfinite(v)]
    start = next((v for v in reference if math.isfinite(v)), None)
    if finite and start is not None:
        low, high = min(finite), min(max(finite), 1.5 * start)
        if high > low:
            pad = 0.05 * (high - low)
            ax.set_ylim(low - pad, high + pad)


def _mark_suggestions(ax, learning_rates, reference, suggestions, default):
    """Marks each rule's learning rate with a dashed line and a marker on
    the `reference` curve, bolder for the `default` rule."""
    spare = iter(_SPARE_STYLES * len(suggestions))
    for name, rate in suggestions.items():
        colour, marker = _RULE_STYLES.get(name) or next(spare)
        if rate is None:
            continue
        is_default = name == default
        ax.axvline(
            rate,
            color=colour,
            linestyle="--",
            linewidth=1.6 if is_default else 0.9,
            alpha=0.8,
        )
        ax.plot(
            [rate],
            [_on_curve(learning_rates, reference, rate)],
            marker,
            color=colour,
            markersize=9 if is_default else 7,
            markeredgecolor="black",
            label=f"{name} {rate:.1e}" + (" (default)" if is_default else ""),
        )
