import itertools

import pytest

from keras_training_kit.plotting import plot_search_scatter
from keras_training_kit.plotting.search_scatter import search_scatter_figure


def _rows(stages):
    rows = []
    for stage in range(1, stages + 1):
        for i, (lr, l2) in enumerate([(1e-4, 1e-5), (1e-2, 1e-3), (1.0, 1e-2)]):
            rows.append(
                dict(
                    stage=stage,
                    trial=str(i),
                    learning_rate=lr / stage,
                    l2=l2,
                    best_val_accuracy=0.3 * i + 0.01 * stage,
                    status="diverged" if i == 2 else "completed",
                )
            )
    return rows


def _legend(figure):
    (legend,) = figure.legends
    return [t.get_text() for t in legend.get_texts()]


def test_writes_the_figure_it_builds(tmp_path, saved_figures, drawn_png):
    path = plot_search_scatter(_rows(1), str(tmp_path / "sub" / "s.png"))
    drawn_png(path)
    (figure,) = saved_figures
    ax, colorbar = figure.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning_rate", "l2")
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert colorbar.get_ylabel() == "best_val_accuracy"


def test_two_stages_get_a_panel_and_a_colour_scale_each():
    figure = search_scatter_figure(_rows(2), title="coarse-to-fine")
    first, second, bar_1, bar_2 = figure.axes
    assert first.get_title() == "stage 1\nbest 0.31"
    assert second.get_title() == "stage 2\nbest 0.32"
    # Each stage's colours span its own scores: stage 2's close scores
    # still differ in colour.
    assert bar_1.get_ylabel() == "best_val_accuracy (stage 1)"
    assert bar_2.get_ylim() == pytest.approx((0.02, 0.32))
    assert figure.get_suptitle() == (
        "coarse-to-fine\nbest val_accuracy 0.32 at learning_rate=0.005, "
        "l2=0.001"
    )
    # The legend sits below the panels, not over the points.
    assert figure.legends and not first.get_legend()
    assert _legend(figure) == ["diverged / no score", "best trial"]


def _grid(lrs, l2=0.0):
    rows = []
    choices = itertools.product(lrs, ("adam", "nesterov"), ("constant", "one"))
    for trial, (lr, optimizer, schedule) in enumerate(choices):
        rows.append(
            dict(
                trial=trial,
                learning_rate=lr,
                l2=l2,
                optimizer=optimizer,
                schedule=schedule,
                # Every cell ties at 0.95 at lr=1e-3, none stacks hidden.
                best_val_accuracy=0.95 if lr == 1e-3 else 0.5 + trial / 100,
                status="completed",
            )
        )
    return rows


def test_choices_without_a_searched_number_get_a_row_each():
    figure = search_scatter_figure(_grid([1e-3]), ranges=[{}], title="grid")
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "optimizer=adam, schedule=constant",
        "optimizer=adam, schedule=one",
        "optimizer=nesterov, schedule=constant",
        "optimizer=nesterov, schedule=one",
    ]
    assert ax.get_xlabel() == "best_val_accuracy"
    # Each cell's best is written out.
    assert [t.get_text() for t in ax.texts] == ["0.95"] * 4
    assert figure.get_suptitle().endswith("held: learning_rate=0.001, l2=0")


def test_one_searched_number_is_a_line_per_cell():
    rows = _grid([1e-4, 1e-3, 1e-2])
    figure = search_scatter_figure(
        rows, ranges=[{"learning_rate": (1e-4, 1e-2)}]
    )
    (ax,) = figure.axes  # one panel, no colour bar
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        "learning_rate",
        "best_val_accuracy",
    )
    lines = [line for line in ax.get_lines() if line.get_label()[0] != "_"]
    cells = [line for line in lines if line.get_label() != "searched range"]
    assert [line.get_label() for line in cells] == [
        "optimizer=adam, schedule=constant",
        "optimizer=adam, schedule=one",
        "optimizer=nesterov, schedule=constant",
        "optimizer=nesterov, schedule=one",
    ]
    # Each cell a marker of its own: tied points stay visible.
    assert len({line.get_marker() for line in cells}) == 4
    assert all(len(line.get_xdata()) == 3 for line in cells)
    assert "optimizer=adam, schedule=constant" in _legend(figure)


def test_two_searched_numbers_with_choices_get_a_panel_per_cell():
    rows = _grid([1e-4, 1e-3])
    for i, row in enumerate(rows):
        row["l2"] = [1e-5, 1e-3][i % 2]
    figure = search_scatter_figure(rows)
    panels = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title().split("\n")[0] for ax in panels] == [
        "optimizer=adam, schedule=constant",
        "optimizer=adam, schedule=one",
        "optimizer=nesterov, schedule=constant",
        "optimizer=nesterov, schedule=one",
    ]
    assert all(ax.get_title().endswith("best 0.95") for ax in panels)


def test_rows_from_a_csv_without_stage_or_score(tmp_path, saved_figures):
    rows = [
        dict(learning_rate=1e-3, l2=1e-4, best_val_accuracy=None),
        dict(learning_rate=1e-2, l2=1e-5, best_val_accuracy=None),
    ]
    plot_search_scatter(rows, str(tmp_path / "s.png"))
    ax, _ = saved_figures[0].axes
    (crosses,) = ax.collections
    assert crosses.get_offsets().tolist() == [[1e-3, 1e-4], [1e-2, 1e-5]]
    assert _legend(saved_figures[0]) == ["diverged / no score"]


def test_rejects_rows_without_points(tmp_path):
    with pytest.raises(ValueError, match="positive `learning_rate`. Received"):
        plot_search_scatter(
            [dict(learning_rate=0.0, l2=1e-3)],
            str(tmp_path / "x.png"),
            ranges=[{"learning_rate": (1e-3, 1e-1)}],
        )
    with pytest.raises(
        ValueError, match=r"must hold a trial. Received: rows=\[\]"
    ):
        search_scatter_figure([])


def test_best_trial_and_searched_ranges_are_marked():
    rows = [
        dict(stage=1, learning_rate=1e-3, l2=1e-4, best_val_accuracy=0.5),
        dict(
            stage=1,
            learning_rate=1e-2,
            l2=1e-3,
            best_val_accuracy=0.9,
            status="diverged",
        ),
        dict(stage=2, learning_rate=2e-3, l2=2e-4, best_val_accuracy=0.7),
    ]
    ranges = [
        {"learning_rate": (1e-4, 1e-1), "l2": (1e-5, 1e-2)},
        {"learning_rate": (1e-3, 1e-2), "l2": (1e-4, 1e-3)},
    ]
    figure = search_scatter_figure(rows, ranges=ranges)
    first, second = figure.axes[:2]
    # The diverged trial's higher accuracy does not make it best.
    assert second.get_title() == "stage 2\nbest 0.7"
    assert figure.get_suptitle().startswith(
        "best val_accuracy 0.7 at learning_rate=0.002, l2=0.0002"
    )
    assert "searched range" in _legend(figure)
    box = [p for p in first.patches if p.get_linestyle() == "--"][0]
    assert box.get_x() == 1e-4 and box.get_width() == 1e-1 - 1e-4


def _pruned_rows():
    rows = _rows(1)  # scores 0.01, 0.31 and a diverged trial
    rows += [
        dict(
            trial=str(3 + i),
            learning_rate=lr,
            l2=1e-4,
            # The highest score of all, over fewer epochs: never best.
            best_val_accuracy=score,
            epochs_run=1,
            status="pruned",
        )
        for i, (lr, score) in enumerate([(3e-3, 0.95), (3e-4, 0.005)])
    ]
    return rows


def test_pruned_trials_are_hollow_gray_and_never_best():
    figure = search_scatter_figure(_pruned_rows())
    ax, colorbar = figure.axes
    assert ax.get_title() == "best 0.31"
    assert figure.get_suptitle().startswith("best val_accuracy 0.31 at")
    assert _legend(figure) == ["pruned", "diverged / no score", "best trial"]
    (hollow,) = [c for c in ax.collections if c.get_label() == "pruned"]
    assert hollow.get_offsets().tolist() == [[3e-3, 1e-4], [3e-4, 1e-4]]
    assert hollow.get_facecolors().size == 0  # no fill
    assert hollow.get_edgecolors()[0][:3].tolist() == pytest.approx(
        [128 / 255] * 3
    )
    (star,) = [c for c in ax.collections if c.get_label() == "best trial"]
    assert star.get_offsets().tolist() == [[1e-2, 1e-3]]
    # The colours span the trials that trained all their epochs.
    assert colorbar.get_ylim() == pytest.approx((0.01, 0.31))


def test_pruned_trials_are_drawn_at_the_score_they_stopped_at():
    rows = [r for r in _pruned_rows() if r["status"] != "diverged"]
    figure = search_scatter_figure(
        rows, ranges=[{"learning_rate": (1e-4, 1e-1)}]
    )
    (ax,) = figure.axes
    (line,) = [x for x in ax.get_lines() if x.get_label() == "trials"]
    assert line.get_ydata().tolist() == [0.01, 0.31]  # pruned left out
    label = "pruned (score when stopped)"
    (hollow,) = [c for c in ax.collections if c.get_label() == label]
    assert hollow.get_offsets().tolist() == [[3e-3, 0.95], [3e-4, 0.005]]
    assert label in _legend(figure) and ax.get_title() == "best 0.31"


def test_pruned_trials_of_a_cell_are_not_its_best():
    rows = _grid([1e-3])
    rows[0].update(best_val_accuracy=0.99, status="pruned")
    figure = search_scatter_figure(rows, ranges=[{}])
    (ax,) = figure.axes
    # Cell 0 (adam, constant) has no trial that trained all its epochs.
    assert [t.get_text() for t in ax.texts] == ["0.95"] * 3
    label = "pruned (score when stopped)"
    (hollow,) = [c for c in ax.collections if c.get_label() == label]
    assert hollow.get_offsets().tolist() == [[0.99, 0]]
