"""The initialization study's figure: activations and gradients by layer."""

import numpy as np

from keras_training_kit.plotting import figure as figure_lib
from keras_training_kit.plotting.activation_histograms import draw_histograms


def plot_init_study(study: dict, path: str) -> str:
    """Draws `run_init_study`'s result both ways in one PNG.

    Top: the lecture's histogram grid, one row per configuration and one
    panel per layer (the activations, with their mean and std). Bottom,
    the gradient row: the std of the activations (forward) and of the
    back-propagated gradient (backward, a unit-normal gradient fed in at
    the last layer) against depth, one line per configuration, on log
    scales, so a collapse or an explosion is a straight slope.

    Args:
        study: dict, as `run_init_study` returns it (or its saved JSON).
        path: str, where to write the PNG.

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
    columns = max(len(row["layers"]) for row in rows)
    fig = figure_lib.new_figure(
        figsize=(2.2 * columns + 2.0, 2.0 * len(rows) + 4.6),
        layout="constrained",
    )
    top, bottom = fig.subfigures(
        2, 1, height_ratios=[2.0 * len(rows) + 0.6, 4.0]
    )
    draw_histograms(top, grid, bins=50)
    top.suptitle(
        "Forward: activations per layer (input randn, no bias)", fontsize=13
    )
    axes = bottom.subplots(1, 2)
    for ax, key, label in (
        (axes[0], "std", "forward: activation std"),
        (
            axes[1],
            "backprop_std",
            "backward: gradient std (std 1 fed in at the last layer)",
        ),
    ):
        for row in rows:
            values = [layer.get(key) for layer in row["layers"]]
            if any(v is None for v in values):
                continue
            depth = np.arange(1, len(values) + 1)
            ax.plot(depth, values, marker="o", label=row["description"])
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_title(label, fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
    axes[1].invert_xaxis()
    axes[1].legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))
    bottom.suptitle(
        "Both ways: forward activations (left to right), back-propagated "
        "gradients (right to left)",
        fontsize=13,
    )
    return figure_lib.save(fig, path)
