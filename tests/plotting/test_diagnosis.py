"""Tests of `plot_diagnosis`."""

import matplotlib.image

from keras_training_kit.plotting import plot_diagnosis
from keras_training_kit.plotting.diagnosis import diagnosis_figure


def _row(name, activation, backprop, update):
    return dict(
        layer=name,
        activation_std=activation,
        backprop_std=backprop,
        update_ratio=update,
    )


def test_draws_both_directions_and_skips_missing_values(tmp_path):
    report = {
        "layers": [
            _row("dense", 0.5, 1e-6, 1e-3),
            _row("act", 0.4, None, None),  # no kernel: no update bar
            _row("output", 0.0, 0.3, 5.0),  # 0 cannot be drawn on a log axis
        ],
        "findings": [
            dict(kind="update_ratio_high", layer="output", value=5.0, advice="")
        ],
        "initial_loss": float("nan"),
        "noise_scale": None,
    }
    path = plot_diagnosis(report, str(tmp_path / "sub" / "d.png"), "title")
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 600


def test_signal_axis_spans_four_decades_so_healthy_reads_flat():
    healthy = {"layers": [_row(f"l{i}", 0.5, 0.1, 1e-3) for i in range(4)]}
    broken = {
        "layers": [_row(f"l{i}", 0.5, 10.0**-i * 3, 1e-3) for i in range(8)]
    }
    spans = []
    for report in (healthy, broken):
        report["findings"] = []
        spans.append(diagnosis_figure(report).axes[0].get_ylim())
    (low, high), (blow, bhigh) = spans
    assert high / low >= 1e4 and low < 0.1 and high > 0.5
    # A wide profile keeps its own range (all of it visible).
    assert blow < 3e-7 and bhigh > 0.5 and bhigh / blow < 1e9


def test_figure_titles_labels_and_flagged_layers():
    report = {
        "layers": [_row("dense", 0.5, 0.1, 1e-3), _row("out", 0.4, 0.3, 5.0)],
        "findings": [dict(kind="update_ratio_high", layer="out")],
        "initial_loss": 2.3,
        "expected_loss": 2.303,
    }
    fig = diagnosis_figure(report, "mlp")
    assert fig.get_suptitle() == (
        "mlp\ninitial loss 2.3; ln C = 2.3; findings: update_ratio_high"
    )
    scales, updates = fig.axes
    assert scales.get_yscale() == updates.get_yscale() == "log"
    assert scales.get_ylabel() == "standard deviation (log)"
    assert [t.get_text() for t in scales.get_legend().get_texts()] == [
        "activations (forward)",
        "gradient w.r.t. the output (backward)",
    ]
    ticks = updates.get_xticklabels()
    assert [t.get_text() for t in ticks] == ["dense", "out"]
    assert ticks[1].get_color() == "tab:red"
