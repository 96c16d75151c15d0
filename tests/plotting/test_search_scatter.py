import matplotlib.image
import pytest

from keras_training_kit.plotting import plot_search_scatter


def _rows(stages):
    rows = []
    for stage in range(1, stages + 1):
        for i, (lr, l2) in enumerate([(1e-4, 1e-5), (1e-2, 1e-3), (1.0, 1e-2)]):
            rows.append(dict(stage=stage, trial=str(i), learning_rate=lr / stage,
                             l2=l2, best_val_accuracy=0.3 * i,
                             status="diverged" if i == 2 else "completed"))
    return rows


def test_writes_a_png_with_one_panel_per_stage(tmp_path):
    one = plot_search_scatter(_rows(1), str(tmp_path / "one.png"))
    two = plot_search_scatter(_rows(2), str(tmp_path / "sub" / "two.png"), title="t")
    width_one = matplotlib.image.imread(one).shape[1]
    width_two = matplotlib.image.imread(two).shape[1]
    # The second stage adds a panel.
    assert width_two > 1.5 * width_one


def test_rows_from_a_csv_without_stage(tmp_path):
    rows = [dict(learning_rate=1e-3, l2=1e-4, best_val_accuracy=None, status="running")]
    assert plot_search_scatter(rows, str(tmp_path / "s.png")).endswith("s.png")


def test_rejects_rows_without_points(tmp_path):
    with pytest.raises(ValueError, match="positive `learning_rate` and `l2`"):
        plot_search_scatter([dict(learning_rate=0.0, l2=1e-3)], str(tmp_path / "x.png"))
