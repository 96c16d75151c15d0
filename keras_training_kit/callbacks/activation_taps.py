"""Model taps: a functional model exposing every layer's output.

`tap_model` flattens a Sequential or functional model (nested sub-models
included) into one functional model sharing its layers, whose outputs are
the model's own outputs followed by every layer's output. `select_layers`
picks the monitored taps, `probe_inputs` builds the fixed probe batch, and
`ActivationProbe` compiles the forward pass over the taps with the
statistics of `activation_reductions` and the kernels' update ratios.
"""

import re
import sys
from collections.abc import Iterable

import keras
import numpy as np

from keras_training_kit import backend
from keras_training_kit.callbacks.activation_reductions import SATURATING
from keras_training_kit.callbacks.activation_reductions import (
    activation_statistics,
)
from keras_training_kit.callbacks.activation_reductions import unpack_statistics

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


def has_kernel(layer) -> bool:
    """Whether `layer` has a `kernel` weight (Dense, Conv, ...)."""
    return isinstance(getattr(layer, "kernel", None), keras.Variable)


def activation_name(layer) -> str | None:
    """The name of `layer`'s `activation` function, or `None`."""
    return getattr(getattr(layer, "activation", None), "__name__", None)


def _monitored_by_default(layer, activation_types):
    if has_kernel(layer) or isinstance(layer, activation_types):
        return True
    return callable(getattr(layer, "activation", None))


def model_input(model):
    """The structure of `model`'s symbolic inputs, or `None` if it has none."""
    try:
        if isinstance(model, keras.Sequential):
            return model.inputs[0] if model.inputs else None
        return model.input
    except (AttributeError, ValueError, TypeError):
        return None


def _unreachable(model):
    return ValueError(
        _UNREACHABLE.format(name=model.name, cls=type(model).__name__)
    )


def tap_model(model: keras.Model) -> tuple:
    """A functional model mapping `model`'s inputs to every layer's output.

    Nested Sequential/functional sub-models are flattened: their layers
    appear as `"submodel/layer"`, and a layer called several times gets one
    entry per call (`"layer"`, `"layer_call2"`, ...). All layer objects (and
    so all weights) are shared with `model`.

    Args:
        model: a Sequential or functional `keras.Model`.

    Returns:
        `(taps, [(name, layer), ...])`: `taps` outputs the model's own
        outputs first, then one tensor per entry of the list.

    Raises:
        ValueError: if `model` is subclassed (its intermediate outputs
            cannot be reached).

    Example:

    >>> model = keras.Sequential(
    ...     [keras.Input((3,)), keras.layers.Dense(2, name="out")])
    >>> taps, layers = tap_model(model)
    >>> [name for name, _ in layers], len(taps.outputs)
    (['out'], 2)
    """
    entries = []
    inputs = model_input(model)
    if inputs is None:
        raise _unreachable(model)
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=t.name),
        inputs,
    )

    def call(layer, args, kwargs):
        if isinstance(layer, keras.Model):
            sub, sub_entries = tap_model(layer)
            own = len(keras.tree.flatten(layer.output))
            results = keras.tree.flatten(
                sub(args[0] if len(args) == 1 else list(args))
            )
            for (name, sub_layer), tensor in zip(sub_entries, results[own:]):
                entries.append((f"{layer.name}/{name}", sub_layer, tensor))
            return keras.tree.pack_sequence_as(layer.output, results[:own])
        outputs = layer(*args, **kwargs)
        entries.append((layer.name, layer, outputs))
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
            raise _unreachable(model) from error
    seen = {}
    named = []
    for name, layer, tensor in entries:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}_call{seen[name]}"
        named.append((name, layer, tensor))
    tensors = keras.tree.flatten(outputs) + [t for _, _, t in named]
    return keras.Model(inputs, tensors), [(n, layer) for n, layer, _ in named]


def check_layer_selection(layers):
    """Raises unless `layers` is `None`, a valid regex or a list of names."""
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


def select_layers(entries: list, layers) -> list:
    """The `(name, layer)` entries of `tap_model` that `layers` selects.

    Args:
        entries: list of `(name, layer)`, as `tap_model` returns them.
        layers: `None` (every layer with a kernel or an activation), a regex
            matched in full against the names (with or without the
            `"submodel/"` prefix), or a list of names.

    Returns:
        The selected entries, in model order.

    Raises:
        ValueError: if a listed name is missing or nothing is selected.
    """
    names = [name for name, _ in entries]
    if layers is None:
        types = _activation_layer_types()
        chosen = [
            (n, layer)
            for n, layer in entries
            if _monitored_by_default(layer, types)
        ]
    elif isinstance(layers, str):
        pattern = re.compile(layers)
        chosen = [
            (n, layer)
            for n, layer in entries
            if pattern.fullmatch(n) or pattern.fullmatch(n.rsplit("/", 1)[-1])
        ]
    else:
        missing = [n for n in layers if n not in names]
        if missing:
            raise ValueError(
                f"`layers` names layers the model does not have: {missing}. "
                f"Available: {names}. Received: layers={layers!r}"
            )
        chosen = [(n, layer) for n, layer in entries if n in layers]
    if not chosen:
        raise ValueError(
            f"`layers` selects no layer of the model. Available: {names}. "
            f"Received: layers={layers!r}"
        )
    return chosen


def probe_inputs(model, probe_data, probe_size: int, seed: int):
    """The fixed probe batch for `model`, as NumPy arrays.

    Args:
        model: the probed Sequential or functional `keras.Model`.
        probe_data: `None` (a seeded standard normal batch), an array, a
            list/dict of arrays, a tuple `(x, y[, sample_weight])`, a
            `tf.data.Dataset` (batched or not) or any other iterable of
            batches (`x` or `(x, y[, sample_weight])`, e.g. a generator or
            a `torch.utils.data.DataLoader`).
        probe_size: int, the examples kept.
        seed: int, the seed of the normal batch.

    Returns:
        The inputs' structure of arrays of at most `probe_size` examples.

    Raises:
        ValueError: for `probe_data=None` and a model with non-float
            inputs, or an iterable without a batch.
    """
    inputs = model_input(model)
    if probe_data is None:
        rng = np.random.default_rng(seed)
        if any(
            not str(s.dtype).startswith("float")
            for s in keras.tree.flatten(inputs)
        ):
            raise ValueError(
                "The model has non-float inputs, so a normal probe batch "
                "cannot be drawn: pass `probe_data` (e.g. validation "
                "data). Received: probe_data=None"
            )
        return keras.tree.map_structure(
            lambda s: rng.standard_normal((probe_size, *s.shape[1:])).astype(
                "float32"
            ),
            inputs,
        )
    data = probe_data
    if _is_tf_dataset(data):
        first = keras.tree.flatten(inputs)[0]
        element = data.element_spec
        features = element[0] if isinstance(element, tuple) else element
        if len(keras.tree.flatten(features)[0].shape) == len(first.shape) - 1:
            data = data.batch(probe_size)
        else:
            data = data.unbatch().batch(probe_size)
        data = next(iter(data.take(1)))
    elif _is_batch_iterable(data):
        data = _first_examples(data, probe_size)
    if isinstance(data, tuple):
        data = data[0]
    return keras.tree.map_structure(
        lambda v: keras.ops.convert_to_numpy(v)[:probe_size], data
    )


def _is_tf_dataset(data) -> bool:
    # A `tf.data.Dataset` exists only if TensorFlow was imported: asking
    # `sys.modules` never imports (or requires) it.
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(data, tf.data.Dataset)


def _is_batch_iterable(data) -> bool:
    # Arrays and tensors (which iterate over their rows) and the
    # structures of several inputs are batches themselves.
    if hasattr(data, "shape") or isinstance(data, (list, tuple, dict, str)):
        return False
    return isinstance(data, Iterable)


def _first_examples(batches, probe_size):
    """The inputs of the first `probe_size` examples of an iterable."""
    parts, count = [], 0
    for batch in batches:
        x = keras.utils.unpack_x_y_sample_weight(batch)[0]
        x = keras.tree.map_structure(keras.ops.convert_to_numpy, x)
        parts.append(x)
        count += len(keras.tree.flatten(x)[0])
        if count >= probe_size:
            break
    if not parts:
        raise ValueError(
            "`probe_data` is an iterable without any batch. Received: "
            f"probe_data={batches!r}"
        )
    return keras.tree.map_structure(
        lambda *arrays: np.concatenate(arrays)[:probe_size], *parts
    )


class ActivationProbe:
    """One compiled forward pass over a fixed batch, reduced on the device.

    Builds the tap model of `model`, selects the monitored layers, draws
    the probe batch, and compiles (`backend.compile_function`: a
    `tf.function`, optionally XLA, `jax.jit`, or eager PyTorch) a probe
    returning the `activation_statistics` rows of the monitored layers and
    the relative change `||W - W_s|| / ||W_s||` of each of their kernels
    since the last `snapshot()` (a float32 copy kept on the device). The
    probe runs the model in inference mode and reads its variables' current
    values; under TensorFlow it reads them outside any replica context, so
    it works under `tf.distribute` strategies.

    Args:
        model: a Sequential or functional `keras.Model`.
        layers: the `select_layers` selection.
        probe_data: the `probe_inputs` data.
        probe_size: int, examples in the probe batch.
        seed: int, the seed of a normal probe batch.
        bins: int, histogram bins.
        jit_compile: bool, compile the probe with XLA (JAX always does).

    Attributes:
        names: list of str, the monitored layers.
        saturation: list, per layer, `"tanh"`, `"sigmoid"` or `None`.
        kernel_names: list of str, the monitored layers with a kernel.

    Example:

    >>> model = keras.Sequential(
    ...     [keras.Input((3,)), keras.layers.Dense(2, name="out")])
    >>> probe = ActivationProbe(model, None, None, 8, 0, 4, False)
    >>> records, ratios = probe()
    >>> probe.names, sorted(records[0])[:2], ratios
    (['out'], ['dead_fraction', 'histogram'], {'out': 0.0})
    """

    def __init__(
        self,
        model,
        layers,
        probe_data,
        probe_size: int,
        seed: int,
        bins: int,
        jit_compile: bool,
    ):
        taps, entries = tap_model(model)
        chosen = select_layers(entries, layers)
        positions = {name: i for i, (name, _) in enumerate(entries)}
        own = len(taps.outputs) - len(entries)
        wanted = [own + positions[name] for name, _ in chosen]
        self.names = [name for name, _ in chosen]
        self.saturation = [
            (
                activation_name(layer)
                if activation_name(layer) in SATURATING
                else None
            )
            for _, layer in chosen
        ]
        kernels = [layer.kernel for _, layer in chosen if has_kernel(layer)]
        self.kernel_names = [n for n, layer in chosen if has_kernel(layer)]
        x = probe_inputs(model, probe_data, probe_size, seed)
        self._x = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
        saturation = self.saturation
        xla = backend.compiles_with_xla(jit_compile)
        # Every variable the probe reads (the kernels are among the taps'
        # unless a kernel is not tracked by its layer).
        variables = list({id(v): v for v in taps.variables + kernels}.values())

        def probe(inputs, snapshots):
            outputs = taps(inputs, training=False)
            stats = activation_statistics(
                [outputs[i] for i in wanted],
                bins,
                saturation,
                jit_compile=xla,
            )
            ratios = [
                _relative_change(w, p) for w, p in zip(kernels, snapshots)
            ]
            ratios = (
                keras.ops.stack(ratios) if ratios else keras.ops.zeros((0,))
            )
            return stats, ratios

        def snapshot():
            # A copy: under eager PyTorch a float32 cast is the kernel itself.
            return [
                keras.ops.copy(keras.ops.cast(w, "float32")) for w in kernels
            ]

        self._probe = backend.compile_function(probe, jit_compile, variables)
        self._snapshot = backend.compile_function(snapshot, variables=kernels)
        # The first copy runs eagerly: the copy is traced when first due.
        self._snapshots = snapshot()

    def __call__(self) -> tuple:
        """Runs the probe.

        Returns:
            `(records, ratios)`: `unpack_statistics` dicts, one per
            monitored layer, and `{kernel layer: update ratio}`.
        """
        stats, ratios = self._probe(self._x, self._snapshots)
        ratios = keras.ops.convert_to_numpy(ratios).astype("float64")
        return (
            unpack_statistics(stats, self.saturation),
            dict(zip(self.kernel_names, map(float, ratios))),
        )

    def snapshot(self):
        """Copies the kernels on the device, for the next update ratios."""
        self._snapshots = self._snapshot()


def _relative_change(kernel, snapshot):
    """`||W - W_s|| / ||W_s||` of a kernel and its float32 snapshot."""
    ops = keras.ops
    change = ops.cast(kernel, "float32") - snapshot
    norm = ops.sqrt(ops.sum(ops.square(snapshot)))
    return ops.sqrt(ops.sum(ops.square(change))) / ops.maximum(norm, 1e-12)
