"""Writers of activation statistics: a long-format CSV and TensorBoard.

Both take one sample at a time: `{layer: {metric: value, ...,
"histogram": counts}}` at a training step. `read_csv` loads the CSV back
into `(steps, history)`. The CSV writer needs nothing but the standard
library; the TensorBoard writer needs TensorFlow and TensorBoard, and
`tensorboard_writer` skips it (saying so once) where they are missing.
"""

import csv
import logging
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
    `<prefix>/<layer>/histogram`. Each summary is written with
    `tf.summary.write` and the metadata of TensorBoard's scalar or
    histogram plugin, so the events are those `tf.summary.scalar` and
    `tf.summary.histogram` write: a float32 scalar, and the `[bins, 3]`
    float64 rows `(left, right, count)` of a histogram, here the recorded
    counts exactly, with the edges `np.linspace(histogram_min,
    histogram_max, bins + 1)` (`tf.summary.histogram` takes raw values and
    bins them itself).

    All the summaries of a sample are written by one `tf.function`, traced
    once at the first sample (~0.5 s) and then called with the step, the
    scalars, the counts and the ranges as four tensors of fixed shapes:
    eager summaries cost ~1 ms each, 10x the probe itself. A sample of
    other layers or metrics traces it again. The file writer keeps
    TensorFlow's defaults: it writes to disk every few events, at
    `flush()` and at `close()`.

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
        from tensorboard.summary import v1 as tensorboard_summary

        self._tf = tf
        self._prefix = prefix
        self._writer = tf.summary.create_file_writer(log_dir)
        # The metadata `tf.summary.scalar` and `tf.summary.histogram`
        # attach (the plugin's name), from TensorBoard's own summaries.
        self._scalar_metadata, self._histogram_metadata = (
            summary.value[0].metadata.SerializeToString()
            for summary in (
                tensorboard_summary.scalar_pb("", 0.0),
                tensorboard_summary.histogram_pb("", [0.0]),
            )
        )
        # The layers, metrics and bins the function is traced for.
        self._layout = None
        self._function = self._summaries = None

    def write(self, step: int, sample: dict):
        """Writes one sample `{layer: {metric: value, "histogram": counts}}`.

        The histogram also needs the `"histogram_min"` and
        `"histogram_max"` metrics of its layer.
        """
        layout = tuple(
            (name, tuple(record), len(record.get("histogram", ())))
            for name, record in sample.items()
        )
        if layout != self._layout:
            self._trace(layout)
        tf = self._tf
        histograms = [sample[name] for name, _ in self._histograms]
        ranges = [
            (r["histogram_min"], r["histogram_max"], len(r["histogram"]))
            for r in histograms
        ]
        self._summaries(
            tf.constant(step, tf.int64),
            tf.constant(
                [sample[name][metric] for name, metric in self._scalars],
                tf.float64,
            ),
            tf.constant(
                np.concatenate(
                    [np.zeros(0)] + [r["histogram"] for r in histograms]
                ),
                tf.float64,
            ),
            tf.constant(np.reshape(ranges, (-1, 3)), tf.float64),
        )

    def _trace(self, layout):
        """Traces the `tf.function` that writes the samples of `layout`."""
        tf = self._tf
        self._layout = layout
        self._scalars = [
            (name, metric)
            for name, metrics, _ in layout
            for metric in metrics
            if not metric.startswith("histogram")
        ]
        self._histograms = [
            (name, bins)
            for name, metrics, bins in layout
            if "histogram" in metrics
        ]
        self._function = tf.function(
            self._write_summaries,
            input_signature=[
                tf.TensorSpec([], tf.int64),
                tf.TensorSpec([len(self._scalars)], tf.float64),
                tf.TensorSpec(
                    [sum(b for _, b in self._histograms)], tf.float64
                ),
                tf.TensorSpec([len(self._histograms), 3], tf.float64),
            ],
            autograph=False,
        )
        # Called directly, the traced function skips the dispatch of
        # `tf.function` (a third of the cost of a sample) and cannot be
        # traced again.
        self._summaries = self._function.get_concrete_function()

    def _write_summaries(self, step, values, counts, ranges):
        tf = self._tf
        # On the CPU whatever the device: summaries are written there.
        with tf.device("/cpu:0"), self._writer.as_default(step=step):
            self._write_scalars(values)
            buckets = self._buckets(counts, ranges)
            start = 0
            for name, bins in self._histograms:
                tf.summary.write(
                    f"{self._prefix}/{name}/histogram",
                    buckets[start : start + bins],
                    metadata=self._histogram_metadata,
                )
                start += bins

    def _write_scalars(self, values):
        """Writes the finite `values` in order, as `tf.summary.scalar` does."""
        tf = self._tf
        finite = tf.math.is_finite(values)
        # The finite values go first; then, for each bit `size` set in their
        # count, a chunk of `size` of them is written. So non-finite values
        # are left out with one `tf.cond` per bit rather than one per
        # scalar (`tf.summary.record_if` around each `tf.summary.scalar`:
        # 3x the tracing time, 1.3x the cost per sample); this needs the
        # tags as a tensor, which `tf.summary.write` takes.
        order = tf.argsort(tf.cast(~finite, tf.int32), stable=True)
        tags = tf.constant(
            [
                f"{self._prefix}/{name}/{metric}"
                for name, metric in self._scalars
            ],
            tf.string,
        )
        tags = tf.gather(tags, order)
        values = tf.gather(tf.cast(values, tf.float32), order)
        count = tf.reduce_sum(tf.cast(finite, tf.int32))
        for bit in reversed(range(len(self._scalars).bit_length())):
            size = 2**bit
            # After the chunks of the higher bits.
            start = count // (2 * size) * (2 * size)

            def write_chunk(start=start, size=size):
                for tag, value in zip(
                    tf.unstack(tf.slice(tags, [start], [size])),
                    tf.unstack(tf.slice(values, [start], [size])),
                ):
                    tf.summary.write(tag, value, metadata=self._scalar_metadata)

            tf.cond(count // size % 2 == 1, write_chunk, lambda: None)

    def _buckets(self, counts, ranges):
        """The `(left, right, count)` rows of all the histograms.

        `ranges` holds a `(min, max, bins)` row per histogram.
        """
        tf = self._tf
        # Per bin: its index in its histogram and its histogram.
        sizes = [bins for _, bins in self._histograms]
        index = np.concatenate([np.zeros(0)] + [np.arange(b) for b in sizes])
        owner = np.repeat(np.arange(len(sizes)), sizes)
        low, high, bins = tf.unstack(tf.gather(ranges, owner), axis=1)
        # `np.linspace`'s arithmetic, so the edges are the same floats (the
        # bins come as a tensor: Grappler turns a division by a constant
        # into a multiplication, which rounds differently).
        width = (high - low) / bins
        left = tf.constant(index) * width + low
        right = tf.where(
            tf.constant(index + 1) == bins,
            high,
            tf.constant(index + 1) * width + low,
        )
        return tf.stack([left, right, counts], axis=1)

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
