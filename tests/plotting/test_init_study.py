"""`init_study_figure`: the histogram grid and the std-by-depth curves."""

import numpy as np
import pytest

from keras_training_kit.plotting import plot_init_study
from keras_training_kit.plotting.init_study import init_study_figure


def _study(depth=10):
    rows = []
    for name, scale in (("small", 0.1), ("unit", 1.0), ("also unit", 1.0)):
        layers = []
        for i in range(depth):
            std = scale ** (i + 1)
            counts, edges = np.histogram(np.linspace(-std, std, 50), bins=5)
            layers.append(
                {
                    "histogram": {
                        "counts": counts.tolist(),
                        "edges": edges.tolist(),
                    },
                    "mean": 0.0,
                    "std": std,
                    "backprop_std": std,
                }
            )
        rows.append({"description": name, "layers": layers})
    return {"rows": rows}


def test_grid_is_thinned_and_curves_are_labelled(tmp_path, saved_figures):
    plot_init_study(_study(), str(tmp_path / "init.png"))
    fig = saved_figures[0]
    *grid, forward, backward = fig.axes
    assert len(grid) == 3 * 6  # three rows, six of the ten layers
    assert [ax.get_title().splitlines()[0] for ax in grid[:6]] == [
        f"layer {i}" for i in (1, 3, 5, 6, 8, 10)
    ]
    assert forward.get_ylabel() == "activation std (log scale)"
    assert backward.get_ylabel() == "gradient std (log scale)"
    assert forward.get_yscale() == backward.get_yscale() == "log"
    assert forward.get_xlabel() == backward.get_xlabel() == "layer"
    # Lines on top of each other ("unit" and "also unit") stay visible.
    unit, also = forward.get_lines()[1:]
    np.testing.assert_array_equal(unit.get_ydata(), also.get_ydata())
    assert unit.get_marker() != also.get_marker()
    assert unit.get_markersize() > also.get_markersize()
    (legend,) = fig.subfigs[1].legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "small",
        "unit",
        "also unit",
    ]
    width, height = fig.get_size_inches() * 100
    assert width < 1600 and height < 1600


def test_text_is_readable():
    fig = init_study_figure(_study(depth=3), max_columns=2)
    assert len(fig.axes) == 3 * 2 + 2
    assert min(ax.title.get_fontsize() for ax in fig.axes) >= 9


def test_no_rows_is_an_error():
    with pytest.raises(ValueError, match="at least one row"):
        init_study_figure({"rows": []})
