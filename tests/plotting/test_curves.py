import math

from keras_training_kit.plotting import plot_training_curves
from keras_training_kit.plotting.curves import training_curves_figure


def _legend(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()]


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
    assert [ax.get_ylabel() for ax in (loss, accuracy)] == [
        "loss (log scale)",
        "accuracy",
    ]
    assert _legend(saved_figures[0]) == ["train", "validation"]
    assert list(accuracy.get_lines()[1].get_ydata()) == [0.4, 0.6, 0.7]
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2, 3]


def test_title_names_the_setup_and_the_test_accuracy():
    fig = training_curves_figure(
        {"loss": [2.0, 1.0], "accuracy": [0.3, 0.6]},
        "cnn on digits",
        optimizer="adam",
        learning_rate=1e-3,
        schedule="cosine",
        test_accuracy=0.9123,
        num_classes=10,
    )
    assert fig.get_suptitle() == (
        "cnn on digits\nadam, lr 0.001, cosine schedule; "
        "test accuracy 0.912 (chance 0.1)"
    )


def test_constant_learning_rate_is_in_the_title_not_a_panel():
    history = {"loss": [1.0, 0.5], "learning_rate": [1e-3, 1e-3]}
    fig = training_curves_figure(history, optimizer="sgd")
    assert len(fig.axes) == 1
    assert fig.get_suptitle() == "sgd, lr 0.001"


def test_curves_without_validation(tmp_path, saved_figures, drawn_png):
    path = plot_training_curves({"loss": [2.0, 1.0]}, str(tmp_path / "c.png"))
    drawn_png(path)
    (ax,) = saved_figures[0].axes
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert list(ax.get_lines()[0].get_ydata()) == [2.0, 1.0]


def test_one_epoch_is_visible_with_whole_epoch_ticks():
    fig = training_curves_figure(
        {"epoch": [0], "loss": [1.4], "val_loss": [0.5]}
    )
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [1]
    assert ax.get_xlim() == (0.5, 1.5)
    assert all(line.get_marker() == "o" for line in ax.get_lines())


def test_loss_is_log_and_a_chance_level_run_looks_flat():
    # Noise around ln 10: a decade of y range, accuracy from 0 to 1.
    history = {
        "loss": [2.3308, 2.3306, 2.3304],
        "accuracy": [0.099, 0.101, 0.100],
    }
    loss, accuracy = training_curves_figure(history, num_classes=10).axes
    assert loss.get_yscale() == "log"
    low, high = loss.get_ylim()
    assert high / low >= 10
    assert accuracy.get_ylim() == (-0.02, 1.02)
    chance = [
        line for line in accuracy.get_lines() if "chance" in line.get_label()
    ]
    assert list(chance[0].get_ydata()) == [0.1, 0.1]
    chance = [line for line in loss.get_lines() if "chance" in line.get_label()]
    assert chance[0].get_ydata()[0] == math.log(10)


def test_a_changing_learning_rate_gets_a_log_panel_and_events_lines():
    history = {
        "epoch": [0, 1, 2, 3],
        "loss": [1.0, 0.6, 0.4, 0.3],
        "accuracy": [0.5, 0.7, 0.8, 0.85],
        "learning_rate": [1e-2, 1e-2, 1e-3, 1e-3],
    }
    events = {"learning rate x0.1 (plateau)": [2.5], "early stopping": 4}
    fig = training_curves_figure(history, events=events)
    loss, accuracy, rate = fig.axes
    assert rate.get_ylabel() == "learning rate (log scale)"
    assert rate.get_yscale() == "log"
    assert list(rate.get_lines()[0].get_ydata()) == history["learning_rate"]
    for ax in (loss, accuracy, rate):
        marks = {
            line.get_label(): list(line.get_xdata())
            for line in ax.get_lines()
            if line.get_linestyle() == ":"
        }
        assert marks == {
            "learning rate x0.1 (plateau)": [2.5, 2.5],
            "early stopping": [4, 4],
        }
    assert _legend(fig) == [
        "train",
        "learning rate at the epoch's start",
        "learning rate x0.1 (plateau)",
        "early stopping",
    ]


def test_a_small_learning_rate_change_has_no_offset_text():
    history = {"loss": [1.0, 0.5], "learning_rate": [1e-3, 2e-3]}
    rate = training_curves_figure(history).axes[1]
    assert rate.get_yscale() == "linear"
    rate.figure.canvas.draw()
    assert rate.yaxis.get_offset_text().get_text() == ""
    assert "0.001" in [t.get_text() for t in rate.get_yticklabels()]


def test_nan_leaves_a_marked_gap():
    nan = float("nan")
    fig = training_curves_figure({"loss": [2.0, nan, 1.0]})
    (ax,) = fig.axes
    (cross,) = [x for x in ax.get_lines() if x.get_label() == "no value (NaN)"]
    assert list(cross.get_xdata()) == [2]
    assert "no value (NaN)" in _legend(fig)
