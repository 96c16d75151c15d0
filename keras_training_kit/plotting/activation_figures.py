"""The figures of an activation-statistics history: histograms and curves."""

import os

import numpy as np

from keras_training_kit.plotting.activation_curves import plot_activation_curves
from keras_training_kit.plotting.activation_histograms import (
    plot_activation_histograms,
)


def activation_histogram_rows(
    steps: list, history: dict, which: list | None = None
) -> dict:
    """Turns an activation-statistics history into histogram-grid rows.

    Args:
        steps: list of sampled steps (`ActivationStatistics.steps`).
        history: `ActivationStatistics.history` or `read_csv`'s history.
        which: list of steps to draw, or `None` for the first, a middle and
            the last sample. Defaults to `None`.

    Returns:
        `{"step s": [{"counts": [...], "edges": [...]} per layer]}`, the
        input of `plot_activation_histograms`, with the layer's `"mean"`
        and `"std"` when `history` holds them.

    Raises:
        ValueError: if a step in `which` was not sampled.

    Example:

    >>> history = {"dense": {"histogram": [[1, 2]], "histogram_min": [0.0],
    ...                      "histogram_max": [1.0]}}
    >>> activation_histogram_rows([0], history)
    {'step 0': [{'counts': [1, 2], 'edges': [0.0, 0.5, 1.0]}]}
    """
    if which is None:
        which = (
            sorted({steps[0], steps[len(steps) // 2], steps[-1]})
            if steps
            else []
        )
    rows = {}
    for step in which:
        if step not in steps:
            raise ValueError(
                f"`steps` must list sampled steps {steps}. "
                f"Received: step={step}"
            )
        i = steps.index(step)
        entries = []
        for record in history.values():
            counts = np.asarray(record["histogram"][i])
            low, high = record["histogram_min"][i], record["histogram_max"][i]
            entry = {
                "counts": counts.tolist(),
                "edges": np.linspace(low, high, len(counts) + 1).tolist(),
            }
            # The panel titles show them.
            if "mean" in record and "std" in record:
                entry.update(mean=record["mean"][i], std=record["std"][i])
            entries.append(entry)
        rows[f"step {step}"] = entries
    return rows


def save_activation_figures(steps: list, history: dict, directory: str) -> list:
    """Draws `activation_histograms.png` and `activation_curves.png`.

    The histogram grid has one row per sampled step (the first, a middle
    and the last) and one panel per layer; the curves show mean, std,
    dead/saturated fraction and update ratio per layer over training.

    Args:
        steps: list of sampled steps.
        history: the per-layer history (`ActivationStatistics.history` or
            `ActivationStatistics.read_csv(path)[1]`).
        directory: str, the output folder.

    Returns:
        The list of paths written.
    """
    return [
        plot_activation_histograms(
            activation_histogram_rows(steps, history),
            os.path.join(directory, "activation_histograms.png"),
            column_titles=list(history),
            title="Activation histograms per layer (probe batch)",
            max_columns=8,
        ),
        plot_activation_curves(
            steps,
            history,
            os.path.join(directory, "activation_curves.png"),
            title="Activations over training (probe batch)",
        ),
    ]
