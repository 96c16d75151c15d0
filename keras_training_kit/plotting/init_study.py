"""The initialization study's figure: activations and gradients by layer."""

import numpy as np

from keras_training_kit.plotting import figure as figure_lib
from keras_training_kit.plotting.activation_histograms import draw_histograms

# Rows sharing a curve (tanh with W = randn and He/LSUV all keep std ~1)
# stay visible: each row has its marker, line style and marker size.
_STYLES = (
    ("o", "-", 9),
    ("s", "--", 7.5),
    ("^", "-.", 6.5),
    ("D", ":", 5.5),
    ("v", "-", 5),
    ("P", "--", 4.5),
)


def init_study_figure(study: dict, max_columns: int = 6):
    """Draws `run_init_study`'s result both ways in one figure.

    Top: CS231n's histogram grid, one row per configuration and one
    panel per layer (at most `max_columns` evenly spaced layers, the first
    and the last among them), titled with the activations' mean and std.
    Bottom, every layer: the std of the activations (forward) and of the
    back-propagated gradient (backward, a unit-normal gradient fed in at
    the last layer) against depth, one line per configuration, on log
    scales, so a collapse or an explosion is a straight slope. Each
    configuration has its own marker and line style, so lines lying on
    top of each other stay visible.

    Args:
        study: dict, as `run_init_study` returns it (or its saved JSON).
        max_columns: int, the most layers in the histogram grid. Defaults
            to `6`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `study` has no rows.

    Example:

    >>> from keras_training_kit.babysitting import run_init_study
    >>> study = run_init_study(["tanh-xavier"], num_examples=20,
    ...                        input_dim=10, depth=3, width=10)
    >>> fig = init_study_figure(study)
    >>> fig.axes[-1].get_ylabel()
    'gradient std (log scale)'
    """
    rows = study.get("rows") if isinstance(study, dict) else None
    if not rows:
        raise ValueError(
            "`study` must be `run_init_study`'s dict with at least one row. "
            f"Received: study={study!r:.200}"
        )
    grid = {
        row["description"]: [
            {**layer["histogram"], "mean": layer["mean"], "std": layer["std"]}
            for layer in row["layers"]
        ]
        for row in rows
    }
    columns = min(max(len(row["layers"]) for row in rows), max_columns)
    fig = figure_lib.new_figure(
        figsize=(2.0 * columns + 3.0, 1.75 * len(rows) + 4.8),
        layout="constrained",
    )
    top, bottom = fig.subfigures(
        2, 1, height_ratios=[1.75 * len(rows) + 0.6, 4.2]
    )
    draw_histograms(top, grid, bins=50, max_columns=max_columns)
    top.suptitle(
        "Forward: activations per layer (input randn, no bias)", fontsize=13
    )
    _draw_depth_curves(bottom, rows)
    return fig


def plot_init_study(study: dict, path: str, max_columns: int = 6) -> str:
    """Draws `init_study_figure` to a PNG.

    Args:
        study: dict, as `run_init_study` returns it (or its saved JSON).
        path: str, where to write the PNG.
        max_columns: int, the most layers in the histogram grid. Defaults
            to `6`.

    Returns:
        The path written.

    Raises:
        ValueError: if `study` has no rows.

    Example:

    >>> from keras_training_kit.babysitting import run_init_study
    >>> study = run_init_study(["tanh-xavier"], num_examples=20,
    ...                        input_dim=10, depth=3, width=10)
    >>> plot_init_study(study, "/tmp/init_study.png")
    '/tmp/init_study.png'
    """
    return figure_lib.save(init_study_figure(study, max_columns), path)


def _draw_depth_curves(subfigure, rows):
    """Draws the forward and backward std against depth, one line per row."""
    from matplotlib.ticker import MaxNLocator

    axes = subfigure.subplots(1, 2)
    for ax, key, title, label in (
        (axes[0], "std", "forward: activation std", "activation std"),
        (
            axes[1],
            "backprop_std",
            "backward: gradient std (std 1 fed in at the last layer)",
            "gradient std",
        ),
    ):
        for index, row in enumerate(rows):
            values = [layer.get(key) for layer in row["layers"]]
            if any(v is None for v in values):
                continue
            marker, linestyle, size = _STYLES[index % len(_STYLES)]
            ax.plot(
                np.arange(1, len(values) + 1),
                values,
                marker=marker,
                linestyle=linestyle,
                markersize=size,
                markerfacecolor="none" if index % 2 else None,
                color=f"C{index % 10}",
                label=row["description"],
            )
        ax.set_yscale("log")
        figure_lib.tidy_log_axis(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer")
        ax.set_ylabel(f"{label} (log scale)")
        ax.set_title(title, fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
    axes[1].invert_xaxis()
    subfigure.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=min(len(rows), 3),
        fontsize=10,
    )
    subfigure.suptitle(
        "Both ways: forward activations (left to right), back-propagated "
        "gradients (right to left)",
        fontsize=13,
    )
