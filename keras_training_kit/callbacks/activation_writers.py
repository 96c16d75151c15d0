"""Writers of activation statistics: a long-format CSV and TensorBoard.

Both take one sample at a time: `{layer: {metric: value, ...,
"histogram": counts}}` at a training step. `read_csv` loads the CSV back
into `(steps, history)`. The CSV writer needs nothing but the standard
library; the TensorBoard writer needs TensorFlow and TensorBoard, and
`tensorboard_writer` skips it (saying so once) where they are missing.
"""

import csv
import logging
import math
import os
import re

import numpy as np

from keras_training_kit import run_files

logger = logging.getLogger(__name__)

_BIN = re.compile(r"histogram_\d+")
# Whether the missing TensorFlow/TensorBoard was already reported.
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
    `<prefix>/<layer>/histogram`. All the values of a sample go out as
    one serialized `Summary` written by one op
    (`tf.summary.experimental.write_raw_pb`): as many eager
    `tf.summary.scalar` calls (one per layer and metric) cost ~1 ms each,
    10x the probe itself. The entries carry the scalar and histogram
    plugins' own metadata, so TensorBoard shows them as it shows
    `tf.summary.scalar` and `tf.summary.histogram`.

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
        import tensorflow as tf
        from tensorboard.plugins.histogram import summary_v2 as histograms
        from tensorboard.plugins.scalar import summary_v2 as scalars

        self._tf = tf
        self._prefix = prefix
        self._writer = tf.summary.create_file_writer(log_dir)
        # The metadata of the plugins' own summaries (a plugin name and a
        # data class), converted to TensorFlow's `SummaryMetadata`.
        self._scalar_metadata, self._histogram_metadata = (
            tf.compat.v1.SummaryMetadata.FromString(
                summary.value[0].metadata.SerializeToString()
            )
            for summary in (
                scalars.scalar_pb("", 0.0),
                histograms.histogram_pb("", [0.0]),
            )
        )

    def write(self, step: int, sample: dict):
        """Writes one sample `{layer: {metric: value, "histogram": counts}}`.

        The histogram also needs the `"histogram_min"` and
        `"histogram_max"` metrics of its layer.
        """
        tf = self._tf
        summary = tf.compat.v1.Summary()
        for name, record in sample.items():
            for metric, value in record.items():
                if metric.startswith("histogram") or not math.isfinite(value):
                    continue
                entry = summary.value.add(tag=f"{self._prefix}/{name}/{metric}")
                entry.metadata.CopyFrom(self._scalar_metadata)
                entry.tensor.dtype = tf.float32.as_datatype_enum
                entry.tensor.float_val.append(value)
            if "histogram" not in record:
                continue
            counts = np.asarray(record["histogram"], np.float64)
            edges = np.linspace(
                record["histogram_min"],
                record["histogram_max"],
                len(counts) + 1,
            )
            # TensorBoard's histogram format: rows of (left, right, count).
            buckets = np.stack([edges[:-1], edges[1:], counts], axis=1)
            entry = summary.value.add(tag=f"{self._prefix}/{name}/histogram")
            entry.metadata.CopyFrom(self._histogram_metadata)
            entry.tensor.CopyFrom(tf.make_tensor_proto(buckets))
        with self._writer.as_default():
            tf.summary.experimental.write_raw_pb(
                summary.SerializeToString(), step=step
            )

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def tensorboard_writer(
    log_dir: str, prefix: str = "activations", owner="ActivationStatistics"
):
    """A `TensorBoardWriter`, or `None` where TensorFlow is not installed.

    TensorBoard summaries are written with `tf.summary`, so they need the
    `tensorflow` and `tensorboard` packages, whichever the Keras backend.
    Without them, a warning is logged once per process, naming the missing
    package and what is still written (`history`, the CSV and the
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
                "and the figures are still written. Install `tensorflow` "
                "and `tensorboard` to get them. Received: log_dir=%r",
                owner,
                error.name or "tensorflow",
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
