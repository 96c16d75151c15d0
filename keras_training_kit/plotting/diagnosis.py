"""The `diagnose` figure: per-layer activation and gradient scales."""

import math

from keras_training_kit.plotting import figure as figure_lib

_DECADES = 4.0


def diagnosis_figure(report: dict, title: str | None = None):
    """Draws a diagnosis' per-layer scales, forward and backward.

    Left: per layer (input side first), the activations' std and the
    backpropagated gradient's std, on a log scale, so a signal that dies
    in either direction is a falling line. Right: each kernel's update
    ratio (the optimizer's next step over the weight norm) against the
    healthy band of `diagnostics.BANDS`, red where it is outside. The names
    of layers with any finding are red.

    Args:
        report: dict, `Diagnosis.to_dict()` (or the `report.json` it
            wrote).
        title: str or `None`, the figure's title. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:

    >>> row = dict(layer="dense", activation_std=1.0, backprop_std=0.1,
    ...            update_ratio=1e-3)
    >>> fig = diagnosis_figure({"layers": [row], "findings": []}, "mlp")
    >>> fig.get_suptitle().splitlines()[0]
    'mlp'
    """
    rows = report["layers"]
    names = [row["layer"] for row in rows]
    findings = report.get("findings", [])
    flagged = {f["layer"] for f in findings if f["layer"]}
    kernels = [i for i, row in enumerate(rows) if row.get("update_ratio")]
    figure = figure_lib.new_figure(
        (max(9.0, 0.45 * len(rows) + 0.45 * len(kernels) + 4), 4.8)
    )
    scales, updates = figure.subplots(1, 2, width_ratios=(3, 2))
    _plot_scales(scales, rows)
    _plot_update_ratios(updates, rows, findings)
    _label_layers(scales, names, flagged)
    _label_layers(updates, [names[i] for i in kernels], flagged)
    figure.suptitle(
        ((title + "\n") if title else "") + _subtitle(report), fontsize=10
    )
    figure.tight_layout()
    return figure


def plot_diagnosis(report: dict, path: str, title: str | None = None) -> str:
    """Draws `diagnosis_figure` to a PNG.

    Args:
        report: dict, `Diagnosis.to_dict()` (or the `report.json` it
            wrote).
        path: str, the PNG to write.
        title: str or `None`, the figure's title. Defaults to `None`.

    Returns:
        The path written.

    Example:

    >>> import os, tempfile
    >>> row = dict(layer="dense", activation_std=1.0, backprop_std=0.1,
    ...            update_ratio=1e-3)
    >>> path = os.path.join(tempfile.mkdtemp(), "diagnosis.png")
    >>> plot_diagnosis({"layers": [row], "findings": []}, path) == path
    True
    """
    return figure_lib.save(diagnosis_figure(report, title), path)


def _positive(rows, key):
    """Returns `(indices, values)` of the rows whose `key` is above 0."""
    points = [
        (i, row[key])
        for i, row in enumerate(rows)
        if row.get(key) is not None and row[key] > 0
    ]
    return [p for p, _ in points], [v for _, v in points]


def _plot_scales(axes, rows):
    """Draws the activations' and gradients' std per layer, log scale."""
    drawn = []
    for key, label, style in (
        ("activation_std", "activations (forward)", "o-"),
        ("backprop_std", "gradient w.r.t. the output (backward)", "s--"),
    ):
        xs, ys = _positive(rows, key)
        if xs:
            axes.plot(xs, ys, style, label=label)
            drawn += ys
    axes.set_yscale("log")
    if drawn:
        # At least `_DECADES` decades, so that a healthy network's factor
        # of 2 between layers reads as flat next to a broken one's 1e5.
        low, high = math.log10(min(drawn)), math.log10(max(drawn))
        pad = max(0.0, _DECADES - (high - low)) / 2 + 0.2
        axes.set_ylim(10 ** (low - pad), 10 ** (high + pad))
    axes.set_ylabel("standard deviation (log)")
    axes.set_title("signal scale per layer")
    axes.legend(fontsize=8)


def _plot_update_ratios(axes, rows, findings):
    """Draws the kernels' update ratios as bars against the healthy band,
    red for a layer with an update-ratio finding."""
    from keras_training_kit.diagnostics.rules import BANDS

    xs, ys = _positive(rows, "update_ratio")
    low, high = BANDS["update_ratio"]
    axes.axhspan(low, high, color="tab:green", alpha=0.12)
    axes.axhline(1e-3, color="tab:green", lw=0.8, ls=":")
    steps = {
        f["layer"] for f in findings if f["kind"].startswith("update_ratio")
    }
    colors = [
        "tab:red" if rows[i]["layer"] in steps else "tab:blue" for i in xs
    ]
    if xs:
        axes.bar(range(len(xs)), ys, color=colors)
        axes.set_yscale("log")
        axes.set_ylim(min(min(ys), low) / 3, max(max(ys), high) * 3)
    axes.set_ylabel("next step / weight norm (log)")
    axes.set_title("kernels' update ratio (green: healthy band)")


def _label_layers(axes, labels, flagged):
    """Names the layers along the x-axis, red for those in `flagged`."""
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axes.set_xlim(-0.5, max(len(labels), 1) - 0.5)
    for tick, name in zip(axes.get_xticklabels(), labels):
        if name in flagged:
            tick.set_color("tab:red")


def _subtitle(report):
    """Returns the figure's summary line: losses, noise scale, findings."""
    loss = report.get("initial_loss")
    expected = report.get("expected_loss")
    subtitle = []
    if report.get("trained") and report.get("loss") is not None:
        subtitle.append(
            f"loss {report['loss']:.3g} (trained {report.get('step')} steps)"
        )
    elif loss is not None:
        subtitle.append(f"initial loss {loss:.3g}")
        if expected:
            subtitle.append(f"ln C = {expected:.3g}")
    noise = report.get("noise_scale")
    if noise is not None and math.isfinite(noise):
        subtitle.append(f"noise scale {noise:.3g} examples")
    kinds = sorted({f["kind"] for f in report.get("findings", [])})
    subtitle.append("findings: " + (", ".join(kinds) if kinds else "none"))
    return "; ".join(subtitle)
