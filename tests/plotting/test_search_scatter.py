import pytest

from keras_training_kit.plotting import plot_search_scatter


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
                    best_val_accuracy=0.3 * i,
                    status="diverged" if i == 2 else "completed",
                )
            )
    return rows


def test_writes_a_png_with_one_panel_per_stage(
    tmp_path, saved_figures, drawn_png
):
    one = plot_search_scatter(_rows(1), str(tmp_path / "one.png"))
    two = plot_search_scatter(
        _rows(2), str(tmp_path / "sub" / "two.png"), title="t"
    )
    width_one = drawn_png(one).shape[1]
    width_two = drawn_png(two).shape[1]
    # Two stage panels and the colorbar.
    assert [ax.get_title() for ax in saved_figures[1].axes[:2]] == [
        "stage 1",
        "stage 2",
    ]
    assert saved_figures[1].axes[2].get_ylabel() == "best_val_accuracy"
    # The second stage adds a panel.
    assert width_two > 1.5 * width_one


def test_rows_from_a_csv_without_stage(tmp_path, saved_figures, drawn_png):
    rows = [
        dict(
            learning_rate=1e-3,
            l2=1e-4,
            best_val_accuracy=None,
            status="running",
        )
    ]
    path = plot_search_scatter(rows, str(tmp_path / "s.png"))
    assert path.endswith("s.png")
    drawn_png(path)
    (ax,) = saved_figures[0].axes  # one panel, no colorbar without scores
    (crosses,) = ax.collections
    assert crosses.get_offsets().tolist() == [[1e-3, 1e-4]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["diverged / no score"]


def test_rejects_rows_without_points(tmp_path):
    with pytest.raises(ValueError, match="positive `learning_rate` and `l2`"):
        plot_search_scatter(
            [dict(learning_rate=0.0, l2=1e-3)], str(tmp_path / "x.png")
        )


def test_best_trial_and_searched_ranges_are_marked(tmp_path, saved_figures):
    rows = [
        {
            "stage": 1,
            "learning_rate": 1e-3,
            "l2": 1e-4,
            "best_val_accuracy": 0.5,
            "status": "completed",
        },
        {
            "stage": 1,
            "learning_rate": 1e-2,
            "l2": 1e-3,
            "best_val_accuracy": 0.9,
            "status": "diverged",
        },
        {
            "stage": 2,
            "learning_rate": 2e-3,
            "l2": 2e-4,
            "best_val_accuracy": 0.7,
            "status": "completed",
        },
    ]
    ranges = [
        {"learning_rate": (1e-4, 1e-1), "l2": (1e-5, 1e-2)},
        {"learning_rate": (1e-3, 1e-2), "l2": (1e-4, 1e-3)},
    ]
    plot_search_scatter(rows, str(tmp_path / "s.png"), ranges=ranges)
    first, second = saved_figures[0].axes[:2]
    labels = [t.get_text() for t in second.get_legend().get_texts()]
    # The diverged trial's higher accuracy does not make it best.
    assert labels[0] == "best: learning_rate=0.002, l2=0.0002"
    assert "searched range" in labels
    assert "diverged / no score" in [
        t.get_text() for t in first.get_legend().get_texts()
    ]
    box = [p for p in first.patches if p.get_linestyle() == "--"][0]
    assert box.get_x() == 1e-4 and box.get_width() == 1e-1 - 1e-4
