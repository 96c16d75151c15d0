"""`figure`: figures outside pyplot, saved atomically."""

import copy
import os

import matplotlib
import matplotlib.figure
import matplotlib.image
import numpy as np
import pytest

from keras_training_kit import plotting
from keras_training_kit.plotting import figure as figure_lib


def _draw_every_plot(folder):
    rng = np.random.default_rng(0)
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    plotting.plot_training_curves(history, f"{folder}/curves.png")
    plotting.plot_lr_finder([1e-3, 1e-2], [2.0, 1.0], f"{folder}/lr.png")
    plotting.plot_search_scatter(
        [{"learning_rate": 1e-3, "l2": 1e-4, "best_val_accuracy": 0.9}],
        f"{folder}/search.png",
    )
    plotting.plot_activation_histograms(
        {"a": [rng.normal(size=50)]}, f"{folder}/hist.png"
    )
    plotting.plot_activation_curves(
        [0, 1], {"d": {"mean": [0.0, 1.0]}}, f"{folder}/curves2.png"
    )
    plotting.plot_whitening_stages(
        {"x": rng.normal(size=(10, 2))}, f"{folder}/stages.png"
    )
    plotting.plot_image_rows({"x": rng.random((2, 4, 4))}, f"{folder}/rows.png")
    images = rng.random((1, 4, 4, 1))
    plotting.plot_augmentation_grid(images, images[None], f"{folder}/grid.png")
    return sorted(os.listdir(folder))


@pytest.fixture
def svg_backend():
    """A user's own backend (not Agg), restored after the test."""
    import matplotlib.pyplot as plt

    previous = matplotlib.get_backend()
    plt.close("all")
    matplotlib.use("svg")
    yield plt
    plt.close("all")
    matplotlib.use(previous)


def test_plots_leave_backend_rcparams_and_pyplot_alone(tmp_path, svg_backend):
    plt = svg_backend
    user_figure = plt.figure()
    rc_params = copy.deepcopy(dict(matplotlib.rcParams))
    written = _draw_every_plot(tmp_path)
    assert len(written) == 8
    assert matplotlib.get_backend() == "svg"
    assert dict(matplotlib.rcParams) == rc_params
    # Only the user's figure is open, and it is still the current one.
    assert plt.get_fignums() == [user_figure.number]
    assert plt.gcf() is user_figure


def test_new_figure_is_unknown_to_pyplot(svg_backend):
    fig = figure_lib.new_figure((4, 3))
    assert isinstance(fig, matplotlib.figure.Figure)
    assert tuple(fig.get_size_inches()) == (4, 3)
    assert svg_backend.get_fignums() == []


def test_save_writes_through_a_temporary_file(tmp_path, monkeypatch):
    fig = figure_lib.new_figure((2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    path = tmp_path / "sub" / "line.png"
    renames = []
    replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda a, b: (renames.append((a, b)), replace(a, b))
    )
    assert figure_lib.save(fig, path) == str(path)
    assert [os.path.basename(b) for _, b in renames] == ["line.png"]
    assert os.path.basename(renames[0][0]).startswith(".line.tmp")
    assert os.listdir(path.parent) == ["line.png"]
    assert matplotlib.image.imread(path).shape[2] == 4


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    fig = figure_lib.new_figure((2, 2))

    def half_written(temporary, **kwargs):
        with open(temporary, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", half_written)
    with pytest.raises(OSError, match="disk full"):
        figure_lib.save(fig, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["plot.png"]
