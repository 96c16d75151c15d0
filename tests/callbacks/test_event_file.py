"""TensorBoard event files written without TensorFlow."""

import os

import numpy as np
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow

from keras_training_kit.callbacks.event_file import EventFile
from keras_training_kit.callbacks.event_file import masked_crc32c


def test_masked_crc32c_is_tensorboards():
    rng = np.random.default_rng(0)
    for size in (0, 1, 7, 8, 255, 4096, 20_000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert masked_crc32c(data) == pywrap_tensorflow.masked_crc32c(data)


def test_events_read_back_with_tensorboards_loader(tmp_path):
    events = EventFile(str(tmp_path / "new"))
    other = EventFile(str(tmp_path / "new"))
    assert events.path != other.path
    other.close()
    sent = [
        event_pb2.Event(step=step, wall_time=1.5 * step) for step in range(50)
    ]
    for event in sent:
        events.write(event)
    events.flush()
    loaded = list(event_file_loader.EventFileLoader(events.path).Load())
    assert loaded[0].file_version == "brain.Event:2"
    assert loaded[1:] == sent
    events.close()
    events.close()  # a second close does nothing
    assert os.path.basename(events.path).startswith("events.out.tfevents.")
