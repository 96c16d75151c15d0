from keras_training_kit.plotting import plot_training_curves


def test_curves_png(tmp_path, saved_figures, drawn_png):
    history = {
        "epoch": [0, 1, 2],
        "loss": [1.0, 0.6, 0.4],
        "val_loss": [1.1, 0.8, 0.7],
        "accuracy": [0.5, 0.7, 0.8],
        "val_accuracy": [0.4, 0.6, 0.7],
    }
    path = plot_training_curves(
        history, str(tmp_path / "sub" / "curves.png"), title="t"
    )
    image = drawn_png(path)
    assert image.shape[1] > image.shape[0] > 100  # two panels side by side
    loss, accuracy = saved_figures[0].axes
    assert [ax.get_ylabel() for ax in (loss, accuracy)] == ["loss", "accuracy"]
    assert [line.get_label() for line in loss.get_lines()] == [
        "train",
        "validation",
    ]
    assert list(accuracy.get_lines()[1].get_ydata()) == [0.4, 0.6, 0.7]
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2, 3]


def test_curves_without_validation(tmp_path, saved_figures, drawn_png):
    path = plot_training_curves({"loss": [2.0, 1.0]}, str(tmp_path / "c.png"))
    drawn_png(path)
    (ax,) = saved_figures[0].axes
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert list(ax.get_lines()[0].get_ydata()) == [2.0, 1.0]


def test_one_epoch_is_visible_with_whole_epoch_ticks(tmp_path, saved_figures):
    plot_training_curves(
        {"epoch": [0], "loss": [1.4], "val_loss": [0.5]},
        str(tmp_path / "c.png"),
    )
    ax = saved_figures[0].axes[0]
    assert list(ax.get_xticks()) == [1]
    assert ax.get_xlim() == (0.5, 1.5)
    assert all(line.get_marker() == "o" for line in ax.get_lines())


def test_the_learning_rate_gets_a_log_panel(tmp_path, saved_figures, drawn_png):
    history = {
        "epoch": [0, 1, 2, 3],
        "loss": [1.0, 0.6, 0.4, 0.3],
        "accuracy": [0.5, 0.7, 0.8, 0.85],
        "learning_rate": [1e-2, 5e-3, 1e-3, 1e-5],  # 3 decades: log
    }
    drawn_png(plot_training_curves(history, str(tmp_path / "c.png")))
    loss, accuracy, rate = saved_figures[0].axes
    assert rate.get_ylabel() == "learning rate"
    assert rate.get_yscale() == "log"
    assert list(rate.get_lines()[0].get_ydata()) == history["learning_rate"]
    # The learning rate is no train/validation pair.
    assert [line.get_label() for line in rate.get_lines()] == [
        "at the start of the epoch"
    ]
