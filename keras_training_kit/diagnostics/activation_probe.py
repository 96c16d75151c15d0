"""`ActivationProbe`: the compiled forward pass over a fixed probe batch."""

import keras

from keras_training_kit import backend
from keras_training_kit.diagnostics import probe_cache
from keras_training_kit.diagnostics.kernel_updates import kernel_copies
from keras_training_kit.diagnostics.kernel_updates import relative_change
from keras_training_kit.diagnostics.probe_data import probe_inputs
from keras_training_kit.diagnostics.reductions import SATURATING
from keras_training_kit.diagnostics.reductions import activation_statistics
from keras_training_kit.diagnostics.reductions import unpack_statistics
from keras_training_kit.diagnostics.taps import activation_name
from keras_training_kit.diagnostics.taps import has_kernel
from keras_training_kit.diagnostics.taps import select_layers
from keras_training_kit.diagnostics.taps import tap_model


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
    it works under `tf.distribute` strategies. The traced functions read
    the variables through the values they are given, and are shared
    (`probe_cache`): a new probe of the same model and settings, or (with
    `layers=None`) of a model of the same architecture, traces nothing
    again and computes exactly what a probe of its own would.

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
        # The traced probe of the model just probed is re-used, and so is
        # that of another model of the same architecture (a fresh model per
        # fit, a search's trials; `probe_cache`): only the probe batch and
        # the copies are new.
        compiled = probe_cache.cached(
            model,
            (
                "activation",
                probe_cache.selection_key(layers),
                bins,
                bool(jit_compile),
            ),
            lambda: _shared(model, layers, bins, jit_compile),
        )
        self.names = compiled.names
        self.layers = compiled.layers
        self.saturation = compiled.saturation
        self.kernel_names = compiled.kernel_names
        x = probe_inputs(model, probe_data, probe_size, seed)
        self.examples = len(keras.tree.flatten(x)[0])
        self._x = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
        self._compiled = compiled
        # The first copy runs eagerly: the copy is traced when first due.
        self._snapshots = kernel_copies(compiled.kernels)

    def __call__(self) -> tuple:
        """Runs the probe.

        Returns:
            `(records, ratios)`: `unpack_statistics` dicts, one per
            monitored layer, and `{kernel layer: update ratio}`.
        """
        stats, ratios = self._compiled.probe(self._x, self._snapshots)
        ratios = keras.ops.convert_to_numpy(ratios).astype("float64")
        return (
            unpack_statistics(stats, self.saturation),
            dict(zip(self.kernel_names, map(float, ratios))),
        )

    def snapshot(self):
        """Copies the kernels on the device, for the next update ratios."""
        self._snapshots = self._compiled.snapshot()


def _shared(model, layers, bins, jit_compile):
    """A `_CompiledProbe` of `model`, with the functions of its kind."""
    structure = probe_cache.structure_key(model) if layers is None else None
    if structure is None:
        return _CompiledProbe(model, layers, bins, jit_compile)
    return probe_cache.by_structure(
        ("activation", bins, bool(jit_compile), structure),
        lambda source: _CompiledProbe(
            model, layers, bins, jit_compile, compiled_from=source
        ),
    )


class _CompiledProbe:
    """The tap model, the monitored layers and the compiled functions.

    The functions read the variables only through the values they are
    given, so the probe of another model of the same layout
    (`compiled_from`) lends them: nothing is traced again.
    """

    def __init__(self, model, layers, bins, jit_compile, compiled_from=None):
        self.model = model
        if compiled_from is not None and self._lend(compiled_from):
            return
        taps, entries = tap_model(model)
        chosen = select_layers(entries, layers)
        positions = {name: i for i, (name, _) in enumerate(entries)}
        own = len(taps.outputs) - len(entries)
        self._wanted = [own + positions[name] for name, _ in chosen]
        self.names = [name for name, _ in chosen]
        self.layers = [layer for _, layer in chosen]
        self.saturation = [
            (
                activation_name(layer)
                if activation_name(layer) in SATURATING
                else None
            )
            for _, layer in chosen
        ]
        self.kernels = [
            layer.kernel for _, layer in chosen if has_kernel(layer)
        ]
        self.kernel_names = [n for n, layer in chosen if has_kernel(layer)]
        # Every variable the probe reads (the kernels are among the taps'
        # unless a kernel is not tracked by its layer).
        self.variables = list(
            {id(v): v for v in taps.variables + self.kernels}.values()
        )
        if _same_layout(self, compiled_from):
            self._probe = compiled_from._probe
            self._snapshot = compiled_from._snapshot
            return
        self._compile(taps, bins, jit_compile)

    def _lend(self, source) -> bool:
        """Takes `source`'s places and functions (same architecture)."""
        found = probe_cache.counterparts(
            source.model,
            self.model,
            source.layers,
            source.variables,
            source.names,
        )
        if found is None:
            return False
        self.layers, self.variables = found
        self.names = [layer.name for layer in self.layers]
        self.kernels = [
            layer.kernel for layer in self.layers if has_kernel(layer)
        ]
        self.kernel_names = [
            layer.name for layer in self.layers if has_kernel(layer)
        ]
        self.saturation = source.saturation
        self._wanted = source._wanted
        if not _same_layout(self, source):
            return False
        self._probe, self._snapshot = source._probe, source._snapshot
        return True

    def _compile(self, taps, bins, jit_compile):
        xla = backend.compiles_with_xla(jit_compile)
        variables, kernels = self.variables, self.kernels
        wanted, saturation = self._wanted, self.saturation
        at = {id(v): i for i, v in enumerate(variables)}
        kernel_at = [at[id(w)] for w in kernels]

        def probe(values, inputs, snapshots):
            mapping = list(zip(variables, values))
            with keras.StatelessScope(state_mapping=mapping):
                outputs = taps(inputs, training=False)
            stats = activation_statistics(
                [outputs[i] for i in wanted],
                bins,
                saturation,
                jit_compile=xla,
            )
            ratios = [
                relative_change(values[i], p)
                for i, p in zip(kernel_at, snapshots)
            ]
            ratios = (
                keras.ops.stack(ratios) if ratios else keras.ops.zeros((0,))
            )
            return stats, ratios

        self._probe = backend.compile_function(probe, jit_compile)
        self._snapshot = backend.compile_function(kernel_copies)

    def probe(self, inputs, snapshots):
        """`(statistics rows, update ratios)` of the model's current state."""
        values = [v.value for v in self.variables]
        return self._probe(values, inputs, snapshots)

    def snapshot(self):
        """float32 copies of the monitored kernels, on the device."""
        return self._snapshot([w.value for w in self.kernels])


def _same_layout(probe, other) -> bool:
    """Whether `other`'s compiled functions compute `probe`'s figures."""
    if other is None:
        return False

    def layout(p):
        at = {id(v): i for i, v in enumerate(p.variables)}
        return (
            [(tuple(v.shape), str(v.dtype)) for v in p.variables],
            [at.get(id(k)) for k in p.kernels],
            p._wanted,
            p.saturation,
        )

    return layout(probe) == layout(other)
