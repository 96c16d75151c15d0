"""`ActivationStatistics`: per-layer activation statistics in `model.fit`."""

import csv
import logging
import math
import os
import re
import time

import keras
import numpy as np

from keras_training_kit import run_files
from keras_training_kit.api_export import register
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)

# Scalar statistics per layer, in the order the probe function returns them.
_SCALARS = (
    "mean",
    "std",
    "zero_fraction",
    "dead_fraction",
    "saturated_fraction",
)
_SATURATING = ("tanh", "sigmoid")
# A sample costs about twice what its own hooks take: the training steps
# right after a probe run slower while caches and thread pools warm up
# again (measured on 2 CPU cores with `benchmarks/activation_statistics.py`:
# ~14 ms of probe, ~10 ms more spread over the next steps).
_AFTER_EFFECT = 2.0
_UNREACHABLE = (
    "ActivationStatistics needs the intermediate outputs of a Sequential or "
    "functional model, which a subclassed model does not expose. Pass "
    "`probe_model`: a functional keras.Model built from the same layer "
    "objects (e.g. `x = keras.Input(shape); keras.Model(x, "
    "model.head(model.body(x)))`), or build the model functionally. "
    "Received: model={name!r} ({cls})"
)


def _activation_layer_types():
    from keras_training_kit.layers import Maxout
    from keras_training_kit.layers import ParametricELU

    return (
        keras.layers.Activation,
        keras.layers.ReLU,
        keras.layers.LeakyReLU,
        keras.layers.PReLU,
        keras.layers.ELU,
        keras.layers.Softmax,
        Maxout,
        ParametricELU,
    )


def _has_kernel(layer):
    return isinstance(getattr(layer, "kernel", None), keras.Variable)


def _monitored_by_default(layer, activation_types):
    if _has_kernel(layer) or isinstance(layer, activation_types):
        return True
    return callable(getattr(layer, "activation", None))


def _activation_name(layer):
    return getattr(getattr(layer, "activation", None), "__name__", None)


def _model_input(model):
    """The structure of `model`'s symbolic inputs, or `None` if it has none."""
    try:
        if isinstance(model, keras.Sequential):
            return model.inputs[0] if model.inputs else None
        return model.input
    except (AttributeError, ValueError, TypeError):
        return None


def _flat_extractor(model):
    """A functional model mapping `model`'s inputs to every layer's output.

    Nested Sequential/functional sub-models are flattened: their layers
    appear as `"submodel/layer"`. All layer objects (and so all weights) are
    shared with `model`. Returns `(extractor, [(name, layer), ...])`; the
    extractor outputs the model's own outputs first, then one tensor per
    entry of the list.
    """
    taps = []
    model_input = _model_input(model)
    if model_input is None:
        raise ValueError(
            _UNREACHABLE.format(name=model.name, cls=type(model).__name__)
        )
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=t.name),
        model_input,
    )

    def call(layer, args, kwargs):
        if isinstance(layer, keras.Model):
            sub, sub_taps = _flat_extractor(layer)
            own = keras.tree.flatten(layer.output)
            results = keras.tree.flatten(
                sub(args[0] if len(args) == 1 else list(args))
            )
            for (name, sub_layer), tensor in zip(sub_taps, results[len(own) :]):
                taps.append((f"{layer.name}/{name}", sub_layer, tensor))
            return keras.tree.pack_sequence_as(
                layer.output, results[: len(own)]
            )
        outputs = layer(*args, **kwargs)
        taps.append((layer.name, layer, outputs))
        return outputs

    if isinstance(model, keras.Sequential):
        outputs = inputs
        for layer in model.layers:
            outputs = call(layer, (outputs,), {})
    else:
        try:
            if model.compiled:
                # `clone_model` compiles the clone of a compiled model
                # (optimizer variables and all): rebuild an uncompiled
                # functional view of the same graph first.
                model = keras.Model(model.input, model.output, name=model.name)
            outputs = keras.models.clone_model(
                model,
                input_tensors=inputs,
                clone_function=lambda layer: layer,
                call_function=lambda layer, *a, **k: call(layer, a, k),
            ).output
        except ValueError as error:
            raise ValueError(
                _UNREACHABLE.format(name=model.name, cls=type(model).__name__)
            ) from error
    # A layer called several times (shared) gets one entry per call.
    seen = {}
    named = []
    for name, layer, tensor in taps:
        seen[name] = seen.get(name, 0) + 1
        named.append(
            (
                name if seen[name] == 1 else f"{name}_call{seen[name]}",
                layer,
                tensor,
            )
        )
    tensors = keras.tree.flatten(outputs) + [t for _, _, t in named]
    return keras.Model(inputs, tensors), [(n, layer) for n, layer, _ in named]


def _statistics(outputs, bins, saturation_codes, static_shapes=False):
    """Reduces the layers' outputs to a `(layers, 7 + bins)` float32 tensor.

    Row `i`: mean, std, zero fraction, dead fraction, saturated fraction
    (NaN for non-saturating layers), histogram min and max, then `bins`
    counts. Layers whose outputs share a shape and a saturation rule are
    stacked and reduced together: the traced graph (and so the one-off
    tracing time, which dominated the callback's cost on short fits) grows
    with the number of distinct shapes, not of layers. `static_shapes=True`
    (for XLA) counts the histogram with a segment sum instead of `bincount`,
    whose output size XLA cannot know at compile time.
    """
    ops = keras.ops
    groups = {}
    for index, (a, code) in enumerate(zip(outputs, saturation_codes)):
        key = (tuple(a.shape), code)
        groups.setdefault(key, []).append(index)
    order, blocks = [], []
    for (_, code), members in groups.items():
        order.extend(members)
        stacked = ops.stack(
            [ops.cast(outputs[i], "float32") for i in members]
        )
        blocks.append(_group_statistics(stacked, bins, code, static_shapes))
    rows = ops.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    if order == sorted(order):
        return rows
    inverse = [0] * len(order)
    for position, index in enumerate(order):
        inverse[index] = position
    return ops.take(rows, inverse, axis=0)


def _group_statistics(a, bins, code, static_shapes=False):
    """`_statistics` rows of `a`, the stacked outputs `(layers, ...)`."""
    ops = keras.ops
    layers = a.shape[0]
    flat = ops.reshape(a, (layers, -1))
    mean, variance = ops.moments(flat, axes=[1])
    is_zero = ops.equal(flat, 0.0)
    zeros = ops.mean(ops.cast(is_zero, "float32"), axis=1)
    # A unit (feature/channel, the last axis) is dead when it is exactly
    # zero for every example and position of the probe batch.
    if len(a.shape) > 2:
        always_zero = ops.all(
            ops.reshape(is_zero, (layers, -1, a.shape[-1])), axis=1
        )
        dead = ops.mean(ops.cast(always_zero, "float32"), axis=1)
    else:
        dead = zeros
    if code == 1:
        saturated = ops.mean(ops.cast(ops.abs(flat) > 0.99, "float32"), axis=1)
    elif code == 2:
        saturated = ops.mean(
            ops.cast((flat < 0.01) | (flat > 0.99), "float32"), axis=1
        )
    else:
        saturated = ops.full((layers,), float("nan"))
    low = ops.min(flat, axis=1)
    high = ops.max(flat, axis=1)
    # Constant outputs get the unit range around the value, as in NumPy.
    constant = ops.cast(high <= low, "float32") * 0.5
    low, high = low - constant, high + constant
    # flat >= low, so truncation is the floor; the maximum lands in the
    # last bin. Bin b of layer l is counted at l * bins + b, one count over
    # all layers of the group.
    index = ops.minimum(
        ops.cast(
            (flat - low[:, None]) * (bins / (high - low))[:, None], "int32"
        ),
        bins - 1,
    ) + bins * ops.arange(layers, dtype="int32")[:, None]
    index = ops.reshape(index, (-1,))
    if static_shapes:
        counts = ops.segment_sum(
            ops.ones_like(index, dtype="float32"),
            index,
            num_segments=layers * bins,
        )
    else:
        # 2.5x faster than the segment sum on CPU.
        counts = ops.bincount(index, minlength=layers * bins)
    scalars = ops.stack(
        [mean, ops.sqrt(variance), zeros, dead, saturated, low, high], axis=1
    )
    counts = ops.reshape(ops.cast(counts, "float32"), (layers, bins))
    return ops.concatenate([scalars, counts], axis=1)


@register
class ActivationStatistics(keras.callbacks.Callback):
    """Records per-layer activation statistics on a fixed probe batch.

    Every `every_n_steps` training steps and at the end of every epoch, one
    compiled forward pass (`tf.function`, optionally XLA) runs the model in
    inference mode on a fixed probe batch and returns the outputs of all the
    monitored layers at once; they are reduced on the device and only the
    small statistics tensor comes back to the host. Per layer:

    - `mean`, `std`: of all the layer's output values;
    - `zero_fraction`: the fraction of exact zeros;
    - `dead_fraction`: the fraction of units (last axis: features or
      channels) that are zero for every example of the probe batch;
    - `saturated_fraction` (tanh/sigmoid layers only): `|a| > 0.99` for
      tanh, `a < 0.01 or a > 0.99` for sigmoid;
    - `update_ratio` (layers with a kernel): `||W_s - W_{s-1}|| /
      ||W_{s-1}||`, the relative change of the kernel in the last training
      step before the sample (the lecture's rule of thumb: about 1e-3). The
      kernel is copied on the device one step before each scheduled sample;
      samples without that copy (the first one, or an epoch end when the
      number of steps per epoch is unknown) record NaN;
    - a histogram of `bins` equal bins between the output's min and max
      (`histogram`, `histogram_min`, `histogram_max`; a constant output
      gets the range `value +- 0.5`, as in `np.histogram`).

    Results go to `history`, to TensorBoard (`log_dir`: scalars
    `activations/<layer>/<metric>` and histograms
    `activations/<layer>/histogram`), and to a long-format CSV
    (`csv_path`: `step, layer, metric, value`; histogram bins as metrics
    `histogram_0`, `histogram_1`, ...), which `read_csv` loads back. Warnings
    go through `logging`, once per layer and condition: dead units, saturated
    units, a collapsed std, and an update ratio outside
    `update_ratio_range`; they are also kept in `warnings`.

    Sequential, functional, nested (sub-models are flattened as
    `"submodel/layer"`) and multi-input models work, as do mixed precision
    and `tf.distribute` strategies (the probe reads the model's variables
    outside the replica context). For a subclassed model pass `probe_model`.

    Args:
        layers: `None` (every layer with a kernel or an activation), a regex
            matched in full against layer names, or a list of layer names.
            Defaults to `None`.
        every_n_steps: int >= 1 or `None`. A fixed interval samples at the
            multiples of `n`. With `None` the interval is chosen after the
            first steps, and re-tuned with the measured cost of each sample,
            so that sampling costs about `max_overhead` of the training time
            (step time measured between two device syncs; a sample counted
            twice for its after-effect on the next steps); it counts from
            the last sample of any kind, so epoch-end samples are part of
            the budget, and with short epochs only they remain. Defaults to
            `None`.
        probe_data: the probe inputs: an array, a list/dict of arrays for
            several inputs, a tuple `(x, y[, sample_weight])` or a
            `tf.data.Dataset` (batched or not, e.g. the validation split), of
            which the first `probe_size` examples are used. With `None`, a
            seeded standard normal batch of `probe_size` examples (the
            lecture's `randn` probe). Defaults to `None`.
        log_dir: str or `None`, TensorBoard log folder. Defaults to `None`.
        csv_path: str or `None`, the long-format CSV file. Defaults to
            `None`.
        probe_size: int >= 1, examples in the probe batch. Defaults to `256`.
        bins: int >= 1, histogram bins. Defaults to `30`.
        max_overhead: float in (0, 1), the target cost of the probe relative
            to training when `every_n_steps=None`. Defaults to `0.02`.
        dead_threshold: float, warn when more than this fraction of a
            layer's units are dead. Defaults to `0.5`.
        saturation_threshold: float, warn when more than this fraction of
            a tanh/sigmoid layer's outputs are saturated. Defaults to `0.5`.
        std_threshold: float, warn when a layer's output std falls below
            it. Defaults to `1e-3`.
        update_ratio_range: `(low, high)`, warn when a kernel's update ratio
            leaves it. Defaults to `(1e-4, 1e-2)`.
        append: bool, append to an existing `csv_path` instead of
            overwriting it. Defaults to `False`.
        jit_compile: bool, compile the probe with XLA. Defaults to `False`.
        probe_model: `None` or a functional `keras.Model` sharing the
            trained model's layers, probed instead of the trained model (for
            subclassed models). Not serialized. Defaults to `None`.
        seed: int, seed of the normal probe batch. Defaults to `0`.

    Attributes:
        steps: list of int, the training steps at which samples were taken
            (0 is before training).
        history: dict `{layer: {metric: [value per sample]}}`; `histogram`
            holds count arrays.
        warnings: list of str, the warnings logged.
        sample_interval: int or `None`, the interval in use.

    Raises:
        ValueError: for an invalid argument, a `layers` selection that
            matches no layer, or a model whose intermediate outputs cannot be
            reached (at the start of `fit`).

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8,)),
    ...                           keras.layers.Dense(16, activation="tanh"),
    ...                           keras.layers.Dense(2)])
    >>> model.compile("sgd", "mse")
    >>> x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    >>> stats = ActivationStatistics(every_n_steps=4, probe_data=x[:32])
    >>> _ = model.fit(x, x[:, :2], batch_size=8, epochs=1, verbose=0,
    ...               callbacks=[stats])
    >>> stats.steps
    [0, 4, 8]
    >>> sorted(stats.history["dense"])[:3]
    ['dead_fraction', 'histogram', 'histogram_max']
    """

    def __init__(
        self,
        layers: str | list | None = None,
        every_n_steps: int | None = None,
        probe_data=None,
        log_dir: str | None = None,
        csv_path: str | None = None,
        *,
        probe_size: int = 256,
        bins: int = 30,
        max_overhead: float = 0.02,
        dead_threshold: float = 0.5,
        saturation_threshold: float = 0.5,
        std_threshold: float = 1e-3,
        update_ratio_range: tuple = (1e-4, 1e-2),
        append: bool = False,
        jit_compile: bool = False,
        probe_model=None,
        seed: int = 0,
    ):
        super().__init__()
        if layers is not None and not isinstance(layers, str):
            if not isinstance(layers, (list, tuple)) or not all(
                isinstance(name, str) for name in layers
            ):
                raise TypeError(
                    "`layers` must be None, a regex string or a list of layer "
                    f"names. Received: layers={layers!r}"
                )
        if isinstance(layers, str):
            try:
                re.compile(layers)
            except re.error as error:
                raise ValueError(
                    f"`layers` is not a valid regex ({error}). Received: "
                    f"layers={layers!r}"
                ) from error
        for option, value in (
            ("every_n_steps", every_n_steps),
            ("probe_size", probe_size),
            ("bins", bins),
        ):
            check_int(option, value, allow_none=option == "every_n_steps")
        for option, value in (
            ("max_overhead", max_overhead),
            ("dead_threshold", dead_threshold),
            ("saturation_threshold", saturation_threshold),
        ):
            if not isinstance(value, (int, float)) or not 0 < value < 1:
                raise ValueError(
                    f"`{option}` must be a float in (0, 1). Received: "
                    f"{option}={value!r}"
                )
        if not isinstance(std_threshold, (int, float)) or std_threshold < 0:
            raise ValueError(
                f"`std_threshold` must be a float >= 0. Received: "
                f"std_threshold={std_threshold!r}"
            )
        if (
            not isinstance(update_ratio_range, (list, tuple))
            or len(update_ratio_range) != 2
            or not 0 <= update_ratio_range[0] < update_ratio_range[1]
        ):
            raise ValueError(
                "`update_ratio_range` must be a pair (low, high) with "
                "0 <= low < high. Received: "
                f"update_ratio_range={update_ratio_range!r}"
            )
        if probe_model is not None and not isinstance(probe_model, keras.Model):
            raise TypeError(
                "`probe_model` must be None or a functional keras.Model. "
                f"Received: probe_model={probe_model!r}"
            )
        self.layers = (
            list(layers) if isinstance(layers, (list, tuple)) else layers
        )
        self.every_n_steps = every_n_steps
        self.probe_data = probe_data
        self.log_dir = log_dir
        self.csv_path = csv_path
        self.probe_size = probe_size
        self.bins = bins
        self.max_overhead = float(max_overhead)
        self.dead_threshold = float(dead_threshold)
        self.saturation_threshold = float(saturation_threshold)
        self.std_threshold = float(std_threshold)
        self.update_ratio_range = tuple(float(v) for v in update_ratio_range)
        self.append = append
        self.jit_compile = jit_compile
        self.probe_model = probe_model
        self.seed = seed
        self.steps = []
        self.history = {}
        self.warnings = []
        self.sample_interval = every_n_steps
        self._probe = None
        self._summary_metadata = None

    # ------------------------------------------------------------------
    # Set-up
    # ------------------------------------------------------------------

    def _select(self, taps):
        names = [name for name, _ in taps]
        if self.layers is None:
            types = _activation_layer_types()
            chosen = [
                (n, layer)
                for n, layer in taps
                if _monitored_by_default(layer, types)
            ]
        elif isinstance(self.layers, str):
            pattern = re.compile(self.layers)
            chosen = [
                (n, layer)
                for n, layer in taps
                if pattern.fullmatch(n)
                or pattern.fullmatch(n.rsplit("/", 1)[-1])
            ]
        else:
            missing = [n for n in self.layers if n not in names]
            if missing:
                raise ValueError(
                    "`layers` names layers the model does not have: "
                    f"{missing}. "
                    f"Available: {names}. Received: layers={self.layers!r}"
                )
            chosen = [(n, layer) for n, layer in taps if n in self.layers]
        if not chosen:
            raise ValueError(
                f"`layers` selects no layer of the model. Available: {names}. "
                f"Received: layers={self.layers!r}"
            )
        return chosen

    def _probe_inputs(self, model):
        import tensorflow as tf

        data = self.probe_data
        if data is None:
            rng = np.random.default_rng(self.seed)
            specs = keras.tree.flatten(_model_input(model))
            if any(not str(s.dtype).startswith("float") for s in specs):
                raise ValueError(
                    "The model has non-float inputs, so a normal probe batch "
                    "cannot be drawn: pass `probe_data` (e.g. validation "
                    "data). Received: probe_data=None"
                )
            return keras.tree.map_structure(
                lambda s: rng.standard_normal(
                    (self.probe_size, *s.shape[1:])
                ).astype("float32"),
                _model_input(model),
            )
        if isinstance(data, tf.data.Dataset):
            first = keras.tree.flatten(_model_input(model))[0]
            element = data.element_spec
            features = element[0] if isinstance(element, tuple) else element
            if (
                len(keras.tree.flatten(features)[0].shape)
                == len(first.shape) - 1
            ):
                data = data.batch(self.probe_size)
            else:
                data = data.unbatch().batch(self.probe_size)
            data = next(iter(data.take(1)))
        if isinstance(data, tuple):
            data = data[0]
        return keras.tree.map_structure(
            lambda v: keras.ops.convert_to_numpy(v)[: self.probe_size], data
        )

    def _build(self):
        import tensorflow as tf

        source = self.probe_model or self.model
        extractor, taps = _flat_extractor(source)
        chosen = self._select(taps)
        positions = {name: i for i, (name, _) in enumerate(taps)}
        own = len(extractor.outputs) - len(taps)
        wanted = [own + positions[name] for name, _ in chosen]
        self._names = [name for name, _ in chosen]
        self._saturation = [
            (
                _activation_name(layer)
                if _activation_name(layer) in _SATURATING
                else None
            )
            for _, layer in chosen
        ]
        codes = [
            0 if s is None else 1 + _SATURATING.index(s)
            for s in self._saturation
        ]
        self._kernels = [
            (name, layer.kernel) for name, layer in chosen if _has_kernel(layer)
        ]
        self._snapshots = [
            keras.Variable(
                keras.ops.convert_to_tensor(kernel),
                trainable=False,
                dtype="float32",
                name=f"{name.replace('/', '_')}_kernel_snapshot",
            )
            for name, kernel in self._kernels
        ]
        x = self._probe_inputs(source)
        self._probe_x = keras.tree.map_structure(lambda v: tf.constant(v), x)
        bins = self.bins
        kernels = [kernel for _, kernel in self._kernels]
        snapshots = self._snapshots

        def probe(inputs):
            outputs = extractor(inputs, training=False)
            stats = _statistics(
                [outputs[i] for i in wanted], bins, codes, self.jit_compile
            )
            ratios = [
                keras.ops.sqrt(
                    keras.ops.sum(
                        keras.ops.square(keras.ops.cast(w, "float32") - p)
                    )
                )
                / keras.ops.maximum(
                    keras.ops.sqrt(keras.ops.sum(keras.ops.square(p))), 1e-12
                )
                for w, p in zip(kernels, snapshots)
            ]
            ratios = (
                keras.ops.stack(ratios) if ratios else keras.ops.zeros((0,))
            )
            return stats, ratios

        def snapshot():
            for w, p in zip(kernels, snapshots):
                p.assign(keras.ops.cast(w, "float32"))
            return keras.ops.zeros(())

        # No Python control flow depends on tensors: autograph would only
        # slow the tracing down.
        self._probe = tf.function(
            probe, jit_compile=self.jit_compile, autograph=False
        )
        self._snapshot = tf.function(snapshot, autograph=False)

    # ------------------------------------------------------------------
    # Callback hooks
    # ------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._build()
        self._warned = set()
        self._first_seen = {}
        self._epoch_base = self._fit_start = self._iterations()
        self._last_batch = -1
        self._snapshot_step = None
        self._last_sample = None
        self._next_sample = None
        self._costs = []
        self._timing = None
        self.sample_interval = self.every_n_steps
        self._csv_file = None
        self._csv_writer = None
        if self.csv_path:
            directory = os.path.dirname(os.fspath(self.csv_path))
            if directory:
                os.makedirs(directory, exist_ok=True)
            if self.append:
                # Rows from the resumed step on will be written again, and a
                # kill may have torn the last line.
                start = self._epoch_base
                run_files.truncate_csv_log(
                    self.csv_path, lambda row: int(row["step"]) < start
                )
            exists = (
                os.path.exists(self.csv_path)
                and os.path.getsize(self.csv_path) > 0
            )
            self._csv_file = open(
                self.csv_path, "a" if self.append else "w", newline=""
            )
            self._csv_writer = csv.writer(self._csv_file)
            if not (self.append and exists):
                self._csv_writer.writerow(["step", "layer", "metric", "value"])
        self._writer = None
        if self.log_dir:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(self.log_dir)
        self._sample(self._epoch_base)
        if self.sample_interval is None:
            # A warm probe (the first call traced it) gives the probe's cost.
            start = time.perf_counter()
            keras.tree.map_structure(
                keras.ops.convert_to_numpy, self._probe(self._probe_x)
            )
            self._timing = {"probe": time.perf_counter() - start}

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return int(keras.ops.convert_to_numpy(optimizer.iterations))
        except (AttributeError, TypeError, ValueError):
            return 0

    def on_epoch_begin(self, epoch, logs=None):
        self._last_batch = -1

    def on_train_batch_begin(self, batch, logs=None):
        self._last_batch = batch
        done = self._epoch_base + batch
        if self.sample_interval is None:
            self._choose_interval(done)
            return
        if done == self._next_sample and done != self._last_sample:
            self._sample(done)
        steps = (self.params or {}).get("steps")
        epoch_end = steps is not None and done + 1 == self._epoch_base + steps
        if done + 1 == self._next_sample or epoch_end:
            self._snapshot()
            self._snapshot_step = done

    def _schedule(self):
        """Sets the step of the next interval sample after the last one."""
        n, last = self.sample_interval, self._last_sample
        if n is None:
            return
        if self.every_n_steps is not None:
            # A fixed interval samples at its multiples, epoch ends aside.
            self._next_sample = (last // n + 1) * n
        else:
            # An automatic one counts from the last sample of any kind, so
            # epoch-end samples count towards the overhead budget.
            self._next_sample = last + n

    def _choose_interval(self, done):
        # Steps 0-1 include tracing the train function; time steps 2..10
        # between two reads of a variable (each read waits for the device).
        warmup, window = 2, 8
        since = done - self._fit_start
        if since == warmup:
            self._iterations()
            self._timing["start"] = time.perf_counter()
        elif since == warmup + window:
            self._iterations()
            step = (time.perf_counter() - self._timing["start"]) / window
            self._timing["step"] = step
            # Until a whole sample has been timed (see `_sample`), its cost
            # is guessed as 1.5 probes, doubled for the after-effect.
            cost = _AFTER_EFFECT * 1.5 * self._timing["probe"]
            self.sample_interval = max(
                1, math.ceil(cost / (self.max_overhead * max(step, 1e-9)))
            )
            self._schedule()
            self._next_sample = max(self._next_sample, done + 1)
            logger.info(
                "ActivationStatistics: probe %.2f ms, step %.2f ms: sampling "
                "every %d steps.",
                1e3 * self._timing["probe"],
                1e3 * step,
                self.sample_interval,
            )
            if self._next_sample == done + 1:
                self._snapshot()
                self._snapshot_step = done

    def on_epoch_end(self, epoch, logs=None):
        steps = (self.params or {}).get("steps")
        done = self._epoch_base + (
            self._last_batch + 1 if steps is None else steps
        )
        self._epoch_base = done
        if done != self._last_sample:
            self._sample(done)
        if self._writer is not None:
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._csv_file is not None:
            self._csv_file.close()
            self._csv_file = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # ------------------------------------------------------------------
    # Sampling
    # ------------------------------------------------------------------

    def _sample(self, step):
        start = time.perf_counter()
        self._record(step)
        cost = time.perf_counter() - start
        if self._timing and "step" in self._timing and len(self.steps) > 1:
            # Re-tune an automatic interval with the measured cost of a
            # whole (warm) sample: probe, transfer, TensorBoard and CSV.
            # The cost is smoothed (a median of the last samples) so that
            # one slow sample (the host was busy) does not swing it, and
            # doubled for the after-effect.
            self._costs.append(cost)
            recent = sorted(self._costs[-5:])
            self.sample_interval = max(
                1,
                math.ceil(
                    _AFTER_EFFECT
                    * recent[len(recent) // 2]
                    / (self.max_overhead * max(self._timing["step"], 1e-9))
                ),
            )
        self._schedule()

    def _record(self, step):
        stats, ratios = self._probe(self._probe_x)
        stats = keras.ops.convert_to_numpy(stats).astype(np.float64)
        ratios = keras.ops.convert_to_numpy(ratios).astype(np.float64)
        one_step = (
            self._snapshot_step is not None and self._snapshot_step == step - 1
        )
        ratio_of = {
            name: (float(r) if one_step else float("nan"))
            for (name, _), r in zip(self._kernels, ratios)
        }
        self._last_sample = step
        self.steps.append(step)
        rows = []
        for index, name in enumerate(self._names):
            values = stats[index]
            record = self.history.setdefault(name, {})
            scalars = dict(zip(_SCALARS, values[: len(_SCALARS)]))
            if self._saturation[index] is None:
                scalars.pop("saturated_fraction")
            if name in ratio_of:
                scalars["update_ratio"] = ratio_of[name]
            scalars["histogram_min"] = values[len(_SCALARS)]
            scalars["histogram_max"] = values[len(_SCALARS) + 1]
            counts = values[len(_SCALARS) + 2 :].astype(np.int64)
            for metric, value in scalars.items():
                record.setdefault(metric, []).append(float(value))
                rows.append([step, name, metric, repr(float(value))])
            record.setdefault("histogram", []).append(counts)
            rows.extend(
                [step, name, f"histogram_{k}", int(c)]
                for k, c in enumerate(counts)
            )
            self._check(name, step, scalars)
        if self._csv_writer is not None:
            self._csv_writer.writerows(rows)
            self._csv_file.flush()
        if self._writer is not None:
            self._write_summaries(step)

    def _write_summaries(self, step):
        # One serialized `Summary` holding every scalar and histogram of the
        # sample, written by one op: as many eager `tf.summary.scalar` calls
        # (one per layer and metric) cost ~1 ms each, 10x the probe itself.
        import tensorflow as tf
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.plugins.histogram import metadata as histogram_metadata
        from tensorboard.plugins.scalar import metadata as scalar_metadata
        from tensorboard.util import tensor_util

        if self._summary_metadata is None:
            self._summary_metadata = (
                scalar_metadata.create_summary_metadata("", ""),
                histogram_metadata.create_summary_metadata("", ""),
            )
        scalar_meta, histogram_meta = self._summary_metadata
        summary = summary_pb2.Summary()
        for name in self._names:
            record = self.history[name]
            for metric, values in record.items():
                if metric.startswith("histogram") or not math.isfinite(
                    values[-1]
                ):
                    continue
                value = summary.value.add(tag=f"activations/{name}/{metric}")
                value.metadata.CopyFrom(scalar_meta)
                value.tensor.dtype = 1  # DT_FLOAT, as tf.summary.scalar
                value.tensor.float_val.append(values[-1])
            counts = record["histogram"][-1].astype(np.float64)
            edges = np.linspace(
                record["histogram_min"][-1],
                record["histogram_max"][-1],
                len(counts) + 1,
            )
            # TensorBoard's histogram format: rows of (left, right, count).
            buckets = np.stack([edges[:-1], edges[1:], counts], axis=1)
            value = summary.value.add(tag=f"activations/{name}/histogram")
            value.metadata.CopyFrom(histogram_meta)
            value.tensor.CopyFrom(tensor_util.make_tensor_proto(buckets))
        with self._writer.as_default():
            tf.summary.experimental.write_raw_pb(
                summary.SerializeToString(), step=step
            )

    def _warn(self, name, condition, message):
        if (name, condition) in self._warned:
            return
        self._warned.add((name, condition))
        self.warnings.append(message)
        logger.warning(message)

    def _check(self, name, step, scalars):
        dead = scalars["dead_fraction"]
        if dead > self.dead_threshold:
            since = self._first_seen.setdefault((name, "dead"), step)
            self._warn(
                name,
                "dead",
                f"{name}: {dead:.0%} of units dead since step {since}: lower "
                "the learning rate or use LeakyReLU/He initialization",
            )
        saturated = scalars.get("saturated_fraction", 0.0)
        if saturated > self.saturation_threshold:
            self._warn(
                name,
                "saturated",
                f"{name}: {saturated:.0%} saturated at step {step}: use Xavier "
                "initialization or BatchNormalization",
            )
        std = scalars["std"]
        if std < self.std_threshold and dead <= self.dead_threshold:
            self._warn(
                name,
                "collapsed",
                f"{name}: activation std {std:.2g} below "
                f"{self.std_threshold:g} at "
                f"step {step}: the signal collapses with depth; use Xavier/He "
                "initialization or BatchNormalization",
            )
        ratio = scalars.get("update_ratio", float("nan"))
        low, high = self.update_ratio_range
        if math.isfinite(ratio) and ratio > high:
            self._warn(
                name,
                "update_high",
                f"{name}: update/weight ratio {ratio:.2g} above {high:g} "
                "at step "
                f"{step} (about 1e-3 is healthy): lower the learning rate",
            )
        elif math.isfinite(ratio) and ratio < low:
            self._warn(
                name,
                "update_low",
                f"{name}: update/weight ratio {ratio:.2g} below {low:g} "
                "at step "
                f"{step} (about 1e-3 is healthy): raise the learning rate",
            )

    # ------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------

    @staticmethod
    def read_csv(path: str) -> tuple:
        """Loads a CSV written with `csv_path` back into `(steps, history)`.

        Args:
            path: str, the CSV file.

        Returns:
            `(steps, history)` in the form of the callback's `steps` and
            `history` attributes.
        """
        table = {}
        all_steps = set()
        for row in run_files.read_csv_rows(path):
            step = int(row["step"])
            all_steps.add(step)
            table.setdefault(row["layer"], {}).setdefault(
                row["metric"], {}
            )[step] = float(row["value"])
        steps = sorted(all_steps)
        history = {}
        for layer, metrics in table.items():
            record = history[layer] = {}
            bins = sorted(
                (int(m.rsplit("_", 1)[1]), m)
                for m in metrics
                if re.fullmatch(r"histogram_\d+", m)
            )
            for metric, values in metrics.items():
                if not re.fullmatch(r"histogram_\d+", metric):
                    record[metric] = [
                        values.get(s, float("nan")) for s in steps
                    ]
            if bins:
                record["histogram"] = [
                    np.array([metrics[m].get(s, 0) for _, m in bins], np.int64)
                    for s in steps
                ]
        return steps, history

    def histogram_rows(self, steps: list | None = None) -> dict:
        """Returns the rows `plotting.plot_activation_histograms` draws.

        Args:
            steps: list of sampled steps, or `None` for the first, a middle
                and the last sample. Defaults to `None`.

        Returns:
            `{"step s": [{"counts", "edges"} per layer]}`.
        """
        return activation_histogram_rows(self.steps, self.history, steps)

    def save_figures(self, directory: str) -> list:
        """Draws the per-layer histogram grid and the curves to PNGs.

        Writes `activation_histograms.png` (one row per sampled step, one
        panel per layer) and `activation_curves.png` (mean, std and dead
        fraction per layer over training) into `directory`.

        Args:
            directory: str, the output folder.

        Returns:
            The list of paths written.
        """
        return save_activation_figures(self.steps, self.history, directory)

    def get_config(self):
        return {
            "layers": self.layers,
            "every_n_steps": self.every_n_steps,
            "log_dir": self.log_dir,
            "csv_path": self.csv_path,
            "probe_size": self.probe_size,
            "bins": self.bins,
            "max_overhead": self.max_overhead,
            "dead_threshold": self.dead_threshold,
            "saturation_threshold": self.saturation_threshold,
            "std_threshold": self.std_threshold,
            "update_ratio_range": list(self.update_ratio_range),
            "append": self.append,
            "jit_compile": self.jit_compile,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def activation_histogram_rows(
    steps: list, history: dict, which: list | None = None
) -> dict:
    """Turns an activation-statistics history into histogram-grid rows.

    Args:
        steps: list of sampled steps (`ActivationStatistics.steps`).
        history: `ActivationStatistics.history` or `read_csv`'s history.
        which: list of steps to draw, or `None` for the first, a middle and
            the last sample. Defaults to `None`.

    Returns:
        `{"step s": [{"counts": [...], "edges": [...]} per layer]}`, the
        input of `plotting.plot_activation_histograms`.

    Raises:
        ValueError: if a step in `which` was not sampled.
    """
    if which is None:
        which = (
            sorted({steps[0], steps[len(steps) // 2], steps[-1]})
            if steps
            else []
        )
    rows = {}
    for step in which:
        if step not in steps:
            raise ValueError(
                f"`steps` must list sampled steps {steps}. "
                f"Received: step={step}"
            )
        i = steps.index(step)
        entries = []
        for record in history.values():
            counts = np.asarray(record["histogram"][i])
            low, high = record["histogram_min"][i], record["histogram_max"][i]
            entries.append(
                {
                    "counts": counts.tolist(),
                    "edges": np.linspace(low, high, len(counts) + 1).tolist(),
                }
            )
        rows[f"step {step}"] = entries
    return rows


def save_activation_figures(steps: list, history: dict, directory: str) -> list:
    """Draws `activation_histograms.png` and `activation_curves.png`.

    Args:
        steps: list of sampled steps.
        history: the per-layer history (`ActivationStatistics.history` or
            `ActivationStatistics.read_csv(path)[1]`).
        directory: str, the output folder.

    Returns:
        The list of paths written.
    """
    from keras_training_kit.plotting import plot_activation_curves
    from keras_training_kit.plotting import plot_activation_histograms

    return [
        plot_activation_histograms(
            activation_histogram_rows(steps, history),
            os.path.join(directory, "activation_histograms.png"),
            column_titles=list(history),
            title="activation histograms per layer",
        ),
        plot_activation_curves(
            steps, history, os.path.join(directory, "activation_curves.png")
        ),
    ]
