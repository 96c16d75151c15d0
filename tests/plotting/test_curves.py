import os

import matplotlib.image

from keras_training_kit.plotting import plot_training_curves


def test_curves_png(tmp_path):
    history = {"epoch": [0, 1, 2], "loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7],
               "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]}
    path = plot_training_curves(history, str(tmp_path / "sub" / "curves.png"), title="t")
    image = matplotlib.image.imread(path)
    assert image.shape[1] > image.shape[0] > 100  # two panels side by side
    assert os.path.getsize(path) > 5000


def test_curves_without_validation(tmp_path):
    path = plot_training_curves({"loss": [2.0, 1.0]}, str(tmp_path / "c.png"))
    assert os.path.exists(path)


def test_one_epoch_is_visible_with_whole_epoch_ticks(tmp_path, monkeypatch):
    from keras_training_kit.plotting import figure as figure_lib
    from keras_training_kit.plotting import plot_training_curves

    figures = []
    save = figure_lib.save
    monkeypatch.setattr(figure_lib, "save", lambda fig, path: (figures.append(fig), save(fig, path))[1])
    plot_training_curves({"epoch": [0], "loss": [1.4], "val_loss": [0.5]},
                         str(tmp_path / "c.png"))
    ax = figures[0].axes[0]
    assert list(ax.get_xticks()) == [1]
    assert ax.get_xlim() == (0.5, 1.5)
    assert all(line.get_marker() == "o" for line in ax.get_lines())
