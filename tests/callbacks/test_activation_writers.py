"""The CSV and TensorBoard writers of activation statistics."""

import math

import numpy as np

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


def _events(folder):
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return accumulator


def test_tensorboard_entries_read_back_as_tf_summary_writes_them(tmp_path):
    import tensorflow as tf

    writer = TensorBoardWriter(str(tmp_path / "ours"))
    writer.write(3, _sample(0.25))
    writer.close()
    # The reference: tf.summary's own scalar and histogram.
    with tf.summary.create_file_writer(str(tmp_path / "tf")).as_default():
        tf.summary.scalar("s", 0.25, step=3)
        tf.summary.histogram("h", [0.0, 1.0], step=3)
    ours, reference = _events(tmp_path / "ours"), _events(tmp_path / "tf")
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
        assert ours.SummaryMetadata(tag) == reference.SummaryMetadata(like)
        (event,) = ours.Tensors(tag)
        (expected,) = reference.Tensors(like)
        assert event.tensor_proto.dtype == expected.tensor_proto.dtype
    (event,) = ours.Tensors("activations/dense/mean")
    assert event.step == 3
    assert tf.make_ndarray(event.tensor_proto) == np.float32(0.25)
    (event,) = ours.Tensors("activations/dense/histogram")
    edges = np.linspace(-1.0, 1.0, 4)
    np.testing.assert_array_equal(
        tf.make_ndarray(event.tensor_proto),
        np.stack([edges[:-1], edges[1:], [1.0, 2.0, 3.0]], axis=1),
    )


def test_tensorboard_samples_read_back_exactly(tmp_path):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    writer = TensorBoardWriter(str(tmp_path), prefix="grads")
    sent = []
    for step in range(0, 60, 3):
        sample = {}
        for layer, bins in (("a", 30), ("b", 30), ("c", 7)):
            # Non-finite values come and go: left out.
            values = rng.normal(size=5) * 10.0 ** rng.integers(-8, 8, 5)
            values[rng.random(5) < 0.3] = rng.choice([np.nan, np.inf])
            record = dict(zip(["m0", "m1", "m2", "m3", "m4"], values))
            low = float(rng.normal())
            record.update(histogram_min=low, histogram_max=low + rng.random())
            record["histogram"] = rng.integers(0, 2**40, bins)
            sample[layer] = record
        sample["model"] = {"loss": float(rng.random()), "noise": math.nan}
        writer.write(step, sample)
        sent.append((step, sample))
    writer.close()

    events = _events(tmp_path)
    assert "grads/model/noise" not in events.Tags()["tensors"]
    for layer in ("a", "b", "c", "model"):
        for metric in sent[0][1][layer]:
            if metric.startswith("histogram"):
                continue
            tag = f"grads/{layer}/{metric}"
            expected = [
                (step, np.float32(sample[layer][metric]))
                for step, sample in sent
                if math.isfinite(sample[layer][metric])
            ]
            got = [
                (e.step, tf.make_ndarray(e.tensor_proto))
                for e in (events.Tensors(tag) if expected else [])
            ]
            assert got == expected, tag
        if layer == "model":
            continue
        tensors = events.Tensors(f"grads/{layer}/histogram")
        assert [e.step for e in tensors] == [step for step, _ in sent]
        for event, (_, sample) in zip(tensors, sent):
            record = sample[layer]
            edges = np.linspace(
                record["histogram_min"],
                record["histogram_max"],
                len(record["histogram"]) + 1,
            )
            buckets = tf.make_ndarray(event.tensor_proto)
            assert buckets.dtype == np.float64
            np.testing.assert_array_equal(buckets[:, 0], edges[:-1])
            np.testing.assert_array_equal(buckets[:, 1], edges[1:])
            np.testing.assert_array_equal(
                buckets[:, 2].astype(np.int64), record["histogram"]
            )


def test_tensorboard_writer_follows_a_new_set_of_layers(tmp_path):
    writer = TensorBoardWriter(str(tmp_path))
    writer.write(0, _sample(0.5))
    writer.write(1, {"other": {"mean": 2.0}})
    writer.write(2, _sample(1.5))
    writer.close()
    events = _events(tmp_path)
    assert [e.step for e in events.Tensors("activations/other/mean")] == [1]
    assert [e.step for e in events.Tensors("activations/act/histogram")] == [
        0,
        2,
    ]
