"""Writers of activation statistics: a long-format CSV and TensorBoard.

Both take one sample at a time: `{layer: {metric: value, ...,
"histogram": counts}}` at a training step. `read_csv` loads the CSV back
into `(steps, history)`. The CSV writer needs nothing but the standard
library; the TensorBoard writer needs the `tensorboard` package (not
TensorFlow), and `tensorboard_writer` skips it (saying so once) where it
is missing.
"""

import csv
import logging
import math
import os
import re
import time

import numpy as np

from keras_training_kit import run_files

logger = logging.getLogger(__name__)

_BIN = re.compile(r"histogram_\d+")
# Whether the missing TensorBoard was already reported.
_missing_reported = False


class CSVWriter:
    """Writes samples as CSV rows `step, layer, metric, value`.

    Scalars are written with `repr` (so they read back exactly), histogram
    bins as metrics `histogram_0`, `histogram_1`, ... The file is flushed
    after every sample.

    Args:
        path: str, the CSV file; its folder is created.
        append: bool, append to an existing file instead of overwriting it.
            Rows from `start_step` on are dropped first (they will be
            written again after a resume, and a kill may have torn the
            last line).
        start_step: int, the first step of this `fit` (for `append`).

    Example:

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stats.csv")
    >>> writer = CSVWriter(path)
    >>> writer.write(0, {"dense": {"mean": 0.5, "histogram": np.array([2])}})
    >>> writer.close()
    >>> read_csv(path)
    ([0], {'dense': {'mean': [0.5], 'histogram': [array([2])]}})
    """

    def __init__(self, path: str, append: bool = False, start_step: int = 0):
        directory = os.path.dirname(os.fspath(path))
        if directory:
            os.makedirs(directory, exist_ok=True)
        if append:
            run_files.truncate_csv_log(
                path, lambda row: int(row["step"]) < start_step
            )
        exists = os.path.exists(path) and os.path.getsize(path) > 0
        self._file = open(path, "a" if append else "w", newline="")
        self._writer = csv.writer(self._file)
        if not (append and exists):
            self._writer.writerow(["step", "layer", "metric", "value"])

    def write(self, step: int, sample: dict):
        """Writes one sample `{layer: {metric: value, "histogram": counts}}`."""
        rows = []
        for name, record in sample.items():
            for metric, value in record.items():
                if metric != "histogram":
                    rows.append([step, name, metric, repr(float(value))])
            rows.extend(
                [step, name, f"histogram_{k}", int(c)]
                for k, c in enumerate(record.get("histogram", ()))
            )
        self._writer.writerows(rows)
        self._file.flush()

    def close(self):
        self._file.close()


def read_csv(path: str) -> tuple:
    """Loads a CSV written by `CSVWriter` back into `(steps, history)`.

    Args:
        path: str, the CSV file.

    Returns:
        `(steps, history)`: the sorted steps, and `{layer: {metric: [value
        per step]}}` (NaN where a step has no value) with `"histogram"` a
        list of int64 count arrays.
    """
    table = {}
    all_steps = set()
    for row in run_files.read_csv_rows(path):
        step = int(row["step"])
        all_steps.add(step)
        table.setdefault(row["layer"], {}).setdefault(row["metric"], {})[
            step
        ] = float(row["value"])
    steps = sorted(all_steps)
    history = {}
    for layer, metrics in table.items():
        record = history[layer] = {}
        bins = sorted(
            (int(m.rsplit("_", 1)[1]), m) for m in metrics if _BIN.fullmatch(m)
        )
        for metric, values in metrics.items():
            if not _BIN.fullmatch(metric):
                record[metric] = [values.get(s, float("nan")) for s in steps]
        if bins:
            record["histogram"] = [
                np.array([metrics[m].get(s, 0) for _, m in bins], np.int64)
                for s in steps
            ]
    return steps, history


class TensorBoardWriter:
    """Writes samples as TensorBoard scalars and histograms.

    Tags are `<prefix>/<layer>/<metric>` (finite values only) and
    `<prefix>/<layer>/histogram`. Each summary is the event that
    `tf.summary.scalar` and `tf.summary.histogram` write, with the metadata
    of TensorBoard's scalar or histogram plugin: a float32 scalar, and the
    `[bins, 3]` float64 rows `(left, right, count)` of a histogram, here
    the recorded counts exactly, with the edges `np.linspace(
    histogram_min, histogram_max, bins + 1)` (`tf.summary.histogram` takes
    raw values and bins them itself).

    The events are built as protocol buffers in Python and written to an
    `EventFile`, so nothing is traced or compiled (a `tf.function` writing
    a sample took ~0.5-1 s to trace, at every new writer) and only the
    `tensorboard` package's protocol buffers are needed, whichever the
    Keras backend. The file is on disk at `flush()` (each epoch end), at
    `close()` and whenever its buffer fills.

    Args:
        log_dir: str, the TensorBoard log folder.
        prefix: str, the first part of every tag. Defaults to
            `"activations"`.

    Example:

    >>> import numpy as np, tempfile
    >>> writer = TensorBoardWriter(tempfile.mkdtemp())
    >>> writer.write(0, {"dense": {"mean": 0.5, "histogram_min": 0.0,
    ...                            "histogram_max": 1.0,
    ...                            "histogram": np.array([1, 3])}})
    >>> writer.close()
    """

    def __init__(self, log_dir: str, prefix: str = "activations"):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.compat.proto import tensor_pb2
        from tensorboard.compat.proto import tensor_shape_pb2
        from tensorboard.compat.proto import types_pb2
        from tensorboard.plugins.histogram import metadata as histogram
        from tensorboard.plugins.scalar import metadata as scalar

        from keras_training_kit.callbacks.event_file import EventFile

        self._event, self._summary = event_pb2.Event, summary_pb2.Summary
        self._tensor, self._types = tensor_pb2.TensorProto, types_pb2
        self._shape = tensor_shape_pb2.TensorShapeProto
        self._prefix = prefix
        self._writer = EventFile(log_dir)
        # The metadata `tf.summary.scalar` and `tf.summary.histogram`
        # attach (the plugin's name).
        self._scalar_metadata, self._histogram_metadata = (
            plugin.create_summary_metadata(display_name=None, description=None)
            for plugin in (scalar, histogram)
        )

    def write(self, step: int, sample: dict):
        """Writes one sample `{layer: {metric: value, "histogram": counts}}`.

        The histogram also needs the `"histogram_min"` and
        `"histogram_max"` metrics of its layer.
        """
        value = self._summary.Value
        values = []
        for name, record in sample.items():
            for metric, number in record.items():
                if metric.startswith("histogram") or not math.isfinite(number):
                    continue
                values.append(
                    value(
                        tag=f"{self._prefix}/{name}/{metric}",
                        tensor=self._tensor(
                            dtype=self._types.DT_FLOAT,
                            tensor_shape=self._shape(),
                            float_val=[number],
                        ),
                        metadata=self._scalar_metadata,
                    )
                )
            if "histogram" in record:
                values.append(
                    value(
                        tag=f"{self._prefix}/{name}/histogram",
                        tensor=self._buckets(record),
                        metadata=self._histogram_metadata,
                    )
                )
        self._writer.write(
            self._event(
                wall_time=time.time(),
                step=int(step),
                summary=self._summary(value=values),
            )
        )

    def _buckets(self, record):
        """The float64 `(left, right, count)` rows of a recorded histogram."""
        counts = np.asarray(record["histogram"], np.float64)
        edges = np.linspace(
            record["histogram_min"], record["histogram_max"], len(counts) + 1
        )
        rows = np.stack([edges[:-1], edges[1:], counts], axis=1)
        dim = self._shape.Dim
        return self._tensor(
            dtype=self._types.DT_DOUBLE,
            tensor_shape=self._shape(dim=[dim(size=n) for n in rows.shape]),
            tensor_content=rows.tobytes(),
        )

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def tensorboard_writer(
    log_dir: str, prefix: str = "activations", owner="ActivationStatistics"
):
    """A `TensorBoardWriter`, or `None` where TensorBoard is not installed.

    TensorBoard summaries are written with the `tensorboard` package's
    event file writer, whichever the Keras backend (TensorFlow is not
    needed). Without it, a warning is logged once per process, naming the
    missing package and what is still written (`history`, the CSV and the
    figures).

    Args:
        log_dir: str, the TensorBoard log folder.
        prefix: str, the first part of every tag. Defaults to
            `"activations"`.
        owner: str, the callback named in the warning. Defaults to
            `"ActivationStatistics"`.

    Returns:
        A `TensorBoardWriter` or `None`.
    """
    global _missing_reported
    try:
        return TensorBoardWriter(log_dir, prefix)
    except ImportError as error:
        if not _missing_reported:
            _missing_reported = True
            logger.warning(
                "%s: no TensorBoard summaries, as `%s` "
                "is not installed (%s); `history`, the CSV (`csv_path`) "
                "and the figures are still written. Install `tensorboard` "
                "to get them. Received: log_dir=%r",
                owner,
                (error.name or "tensorboard").split(".")[0],
                error,
                log_dir,
            )
        return None


def open_writers(
    csv_path, log_dir, append: bool, start_step: int, *, owner: str, prefix: str
) -> list:
    """The writers a statistics callback asked for: CSV, TensorBoard.

    Args:
        csv_path: str or `None`, the long-format CSV file.
        log_dir: str or `None`, the TensorBoard log folder.
        append: bool, append to the CSV (a resumed run).
        start_step: int, the first step of this `fit`.
        owner: str, the callback named in warnings.
        prefix: str, the first part of the TensorBoard tags.

    Returns:
        list of writers (`CSVWriter`, `TensorBoardWriter`), possibly empty.
    """
    writers = []
    if csv_path:
        writers.append(CSVWriter(csv_path, append, start_step=start_step))
    if log_dir:
        writers.append(tensorboard_writer(log_dir, prefix, owner))
    return [w for w in writers if w is not None]
