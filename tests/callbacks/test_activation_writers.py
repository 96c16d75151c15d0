"""The CSV and TensorBoard writers of activation statistics."""

import math

import numpy as np
import pytest

from keras_training_kit.callbacks.activation_writers import CSVWriter
from keras_training_kit.callbacks.activation_writers import TensorBoardWriter
from keras_training_kit.callbacks.activation_writers import read_csv


def _sample(value):
    return {
        "dense": {
            "mean": value,
            "update_ratio": math.nan,
            "histogram_min": -1.0,
            "histogram_max": 1.0,
            "histogram": np.array([1, 2, 3]),
        },
        "act": {
            "mean": value / 3,
            "histogram_min": 0.5,
            "histogram_max": 1.5,
            "histogram": np.array([4]),
        },
    }


def test_csv_round_trip_is_exact(tmp_path):
    path = str(tmp_path / "sub" / "stats.csv")
    writer = CSVWriter(path)
    for step in (0, 5):
        writer.write(step, _sample(0.1 + step))
    writer.close()
    steps, history = read_csv(path)
    assert steps == [0, 5]
    assert history["dense"]["mean"] == [0.1, 5.1]
    assert history["act"]["mean"] == [0.1 / 3, 5.1 / 3]
    assert all(math.isnan(v) for v in history["dense"]["update_ratio"])
    np.testing.assert_array_equal(history["dense"]["histogram"][1], [1, 2, 3])
    assert history["dense"]["histogram"][1].dtype == np.int64


def test_csv_append_drops_the_rows_of_the_resumed_steps(tmp_path):
    path = str(tmp_path / "stats.csv")
    writer = CSVWriter(path)
    for step in (0, 5, 10):
        writer.write(step, _sample(float(step)))
    writer.close()
    writer = CSVWriter(path, append=True, start_step=5)
    writer.write(5, _sample(50.0))
    writer.close()
    steps, history = read_csv(path)
    assert steps == [0, 5]
    assert history["dense"]["mean"] == [0.0, 50.0]
    with open(path) as f:
        assert f.read().count("step,layer,metric,value") == 1


def test_tensorboard_entries_read_back_as_tf_summary_writes_them(tmp_path):
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    writer = TensorBoardWriter(str(tmp_path / "ours"))
    writer.write(3, _sample(0.25))
    writer.close()
    # The reference: tf.summary's own scalar and histogram.
    with tf.summary.create_file_writer(str(tmp_path / "tf")).as_default():
        tf.summary.scalar("s", 0.25, step=3)
        tf.summary.histogram("h", [0.0, 1.0], step=3)

    def load(folder):
        accumulator = event_accumulator.EventAccumulator(
            str(tmp_path / folder),
            size_guidance={event_accumulator.TENSORS: 0},
        )
        accumulator.Reload()
        return accumulator

    ours, reference = load("ours"), load("tf")
    assert set(ours.Tags()["tensors"]) == {
        "activations/dense/mean",
        "activations/dense/histogram",
        "activations/act/mean",
        "activations/act/histogram",
    }  # NaN scalars are left out
    for tag, like in (
        ("activations/dense/mean", "s"),
        ("activations/dense/histogram", "h"),
    ):
        assert (
            ours.SummaryMetadata(tag).plugin_data.plugin_name
            == reference.SummaryMetadata(like).plugin_data.plugin_name
        )
    (event,) = ours.Tensors("activations/dense/mean")
    assert event.step == 3
    assert tf.make_ndarray(event.tensor_proto) == pytest.approx(0.25)
    (event,) = ours.Tensors("activations/dense/histogram")
    np.testing.assert_allclose(
        tf.make_ndarray(event.tensor_proto),
        [[-1.0, -1 / 3, 1.0], [-1 / 3, 1 / 3, 2.0], [1 / 3, 1.0, 3.0]],
    )
