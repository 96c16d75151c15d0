"""The figures of an activation-statistics history."""

import numpy as np
import pytest

from keras_training_kit.plotting.activation_figures import (
    activation_histogram_rows,
)
from keras_training_kit.plotting.activation_figures import (
    save_activation_figures,
)


def _history(samples):
    return {
        name: {
            "mean": [0.1 * i for i in range(samples)],
            "std": [1.0] * samples,
            "dead_fraction": [0.0] * samples,
            "histogram_min": [-float(i + 1) for i in range(samples)],
            "histogram_max": [float(i + 1) for i in range(samples)],
            "histogram": [np.array([i, 1, 2, 3]) for i in range(samples)],
        }
        for name in ("a", "b")
    }


def test_rows_are_the_first_a_middle_and_the_last_sample():
    steps = [0, 10, 20, 30, 40]
    rows = activation_histogram_rows(steps, _history(5))
    assert list(rows) == ["step 0", "step 20", "step 40"]
    assert rows["step 20"][1] == {
        "counts": [2, 1, 2, 3],
        "edges": [-3.0, -1.5, 0.0, 1.5, 3.0],
        "mean": 0.2,
        "std": 1.0,
    }
    assert list(activation_histogram_rows(steps, _history(5), [10])) == [
        "step 10"
    ]
    with pytest.raises(ValueError, match="step=15"):
        activation_histogram_rows(steps, _history(5), [15])


def test_save_writes_both_pngs(tmp_path):
    paths = save_activation_figures([0, 10], _history(2), str(tmp_path))
    assert [p.rsplit("/", 1)[-1] for p in paths] == [
        "activation_histograms.png",
        "activation_curves.png",
    ]
    for path in paths:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
