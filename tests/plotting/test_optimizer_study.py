import numpy as np
import pytest

from keras_training_kit.babysitting import run_optimizer_study
from keras_training_kit.plotting import optimizer_study as plot_module
from keras_training_kit.plotting import plot_optimizer_study


def _figure_of(monkeypatch, **kwargs):
    figures = []
    save = plot_module.figure_lib.save
    monkeypatch.setattr(
        plot_module.figure_lib,
        "save",
        lambda fig, path: figures.append(fig) or save(fig, path),
    )
    path = plot_optimizer_study(**kwargs)
    return figures[0], path


def test_draws_contours_paths_and_log_loss_curves(tmp_path, monkeypatch):
    study = run_optimizer_study(["ravine", "saddle"], ["sgd", "adam"], steps=10)
    data = study.figure_data()
    data["losses"]["digits"] = {"sgd": [2.3, 2.0, 1.5], "adam": [2.3, 1.0, 0.5]}
    data["learning_rates"] = {"digits": {"sgd": 0.1, "adam": 0.0031416}}
    fig, path = _figure_of(
        monkeypatch, **data, path=str(tmp_path / "study.png")
    )
    assert (tmp_path / "study.png").stat().st_size > 10_000
    contour_ravine, loss_ravine, contour_saddle, loss_saddle, digits = fig.axes
    # Paths in one colour per optimizer, the same in every panel.
    lines = {line.get_label(): line for line in contour_ravine.get_lines()}
    np.testing.assert_allclose(
        lines["sgd"].get_xydata(), study.paths["ravine"]["sgd"]
    )
    assert lines["sgd"].get_color() != lines["adam"].get_color()
    curves = {line.get_label(): line for line in loss_saddle.get_lines()}
    assert curves["adam"].get_color() == lines["adam"].get_color()
    # Log-spaced contour levels, log-scale losses.
    (levels,) = {
        tuple(c.levels)
        for c in contour_ravine.collections
        if hasattr(c, "levels")
    }
    ratios = np.diff(np.log(levels))
    np.testing.assert_allclose(ratios, ratios[0])
    for ax in (loss_ravine, loss_saddle, digits):
        assert ax.get_yscale() == "log"
        assert ax.get_xlabel() and ax.get_ylabel()
    assert "ravine" in contour_ravine.get_title()
    labels = [t.get_text() for t in digits.get_legend().get_texts()]
    # Three digits, as in `OptimizerStudy.summary`'s table.
    assert labels == ["sgd (lr 0.1)", "adam (lr 0.00314)"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["sgd", "adam"]


def test_log_levels_span_near_zero_minimum_to_the_maximum():
    levels = plot_module._log_levels(np.array([[0.0, 1e-9], [0.5, 10.0]]))
    assert levels[0] == pytest.approx(1e-3) and levels[-1] == 10.0
    ratios = np.diff(np.log(levels))
    np.testing.assert_allclose(ratios, ratios[0])


def test_empty_losses_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="Received: losses={}"):
        plot_optimizer_study({}, str(tmp_path / "x.png"))


def test_colours_are_distinct_hues_and_exits_are_marked():
    import matplotlib.colors

    from keras_training_kit.plotting.optimizer_study import (
        optimizer_study_figure,
    )

    names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    hues = sorted(
        matplotlib.colors.rgb_to_hsv(
            matplotlib.colors.to_rgb(plot_module._colour(name, 0))
        )[0]
        for name in names
    )
    gaps = np.diff(hues + [hues[0] + 1])
    assert min(gaps) > 0.1  # no blue/cyan or red/orange pair
    xs = ys = np.linspace(-1, 1, 10)
    contour = {"x": xs, "y": ys, "values": np.add.outer(ys**2, xs**2) + 0.1}
    fig = optimizer_study_figure(
        {"bowl": {"sgd": [1.0, 0.5], "nesterov": [1.0, 2.0, 0.2]}},
        paths={
            "bowl": {
                "sgd": [[0.5, 0.5], [0.2, 0.2]],
                "nesterov": [[0.5, 0.5], [0.3, -1.6], [0.1, 0.1]],
            }
        },
        contours={"bowl": contour},
    )
    surface = fig.axes[0]
    (exit_mark,) = [
        line for line in surface.get_lines() if line.get_marker() == "v"
    ]
    assert exit_mark.get_xydata().tolist() == [[0.3, -1.0]]
    assert exit_mark.get_color() == plot_module._colour("nesterov", 0)
    notes = [text.get_text() for text in surface.texts]
    assert notes == ["left the panel (triangles on the border): nesterov"]
    assert surface.get_ylim() == (-1.0, 1.0)
