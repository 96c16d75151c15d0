"""`GradientProbe`: the loss, its gradients and the backpropagated signals.

One compiled step on a batch: the model runs forward in training mode (as
`fit` runs it: Dropout active, BatchNormalization on batch statistics),
its compiled loss (`model.compute_loss`, regularization included) is
differentiated by the backend's autodiff (`backend.value_and_gradients`)
with respect to every trainable weight and to the monitored layers'
outputs (`perturbed_tap_model`), and every variable is read through a
`keras.StatelessScope`: nothing the step would assign (moving statistics,
seed generators) is written back. `babysitting.diagnose` and the
`GradientStatistics` callback are built on it.
"""

import keras

from keras_training_kit import backend
from keras_training_kit.diagnostics import probe_cache
from keras_training_kit.diagnostics.reductions import SATURATING
from keras_training_kit.diagnostics.reductions import activation_statistics
from keras_training_kit.diagnostics.reductions import unpack_statistics
from keras_training_kit.diagnostics.taps import activation_name
from keras_training_kit.diagnostics.taps import has_kernel
from keras_training_kit.diagnostics.taps import perturbed_tap_model
from keras_training_kit.diagnostics.taps import select_layers


def _check_compiled(model):
    if not getattr(model, "compiled", False) or model.loss is None:
        raise ValueError(
            "Gradients need the model's compiled loss: call "
            "`model.compile(optimizer=..., loss=...)` first. Received: "
            f"model={model.name!r} (compiled={model.compiled})"
        )


class GradientProbe:
    """The compiled loss and its gradients on a batch, variables unchanged.

    Args:
        model: a compiled Sequential or functional `keras.Model`.
        layers: which layers to monitor, as `select_layers` takes it:
            `None` (every layer with a kernel or an activation), a regex
            or a list of names. Defaults to `None`.
        jit_compile: bool, compile with XLA under TensorFlow (JAX always
            does). Defaults to `False`.
        compiled_from: `None` or the `GradientProbe` of a model of the
            same architecture (`probe_cache.structure_key`), whose traced
            functions this probe calls with its own model's variables.
            Defaults to `None`.

    Attributes:
        names: list of str, the monitored layers, in model order.
        layers: list of the monitored layer objects.
        saturation: list, per monitored layer, `"tanh"`, `"sigmoid"` or
            `None`.
        kernel_index: list, per monitored layer, the position of its kernel
            in `model.trainable_variables`, or `None`.
        has_signal: list of bool, per monitored layer, whether its
            `backprop_std` is measured (its output is one float tensor).

    Example:

    >>> model = keras.Sequential([keras.Input((3,)),
    ...     keras.layers.Dense(4, activation="relu", name="hidden"),
    ...     keras.layers.Dense(2, name="out")])
    >>> model.compile(loss="mse")
    >>> probe = GradientProbe(model)
    >>> x, y = keras.ops.ones((8, 3)), keras.ops.zeros((8, 2))
    >>> step = probe(x, y)
    >>> probe.names, len(step["gradients"]), sorted(step["layers"][0])[:2]
    (['hidden', 'out'], 4, ['activation_mean', 'activation_std'])
    """

    def __init__(
        self,
        model,
        layers=None,
        *,
        jit_compile: bool = False,
        compiled_from=None,
    ):
        self.model = model
        self._zeros = {}
        if compiled_from is not None and self._lend(compiled_from):
            return
        taps, entries, perturbation = perturbed_tap_model(model)
        chosen = select_layers(entries, layers)
        self.names = [name for name, _ in chosen]
        self.layers = [layer for _, layer in chosen]
        self.saturation = [
            name if name in SATURATING else None
            for name in map(activation_name, self.layers)
        ]
        self._trainable = list(model.trainable_variables)
        index = {id(v): i for i, v in enumerate(self._trainable)}
        self.kernel_index = [
            index.get(id(layer.kernel)) if has_kernel(layer) else None
            for layer in self.layers
        ]
        self._state = [
            v
            for v in model.variables
            if id(v) not in index and not _is_optimizer_variable(model, v)
        ]
        # Where each monitored layer's output and perturbation sit.
        own = len(taps.outputs) - len(entries)
        positions = {name: i for i, (name, _) in enumerate(entries)}
        slot = {entry: k for k, entry in enumerate(perturbation.entries)}
        self._tapped = [own + positions[name] for name in self.names]
        self._signal = [slot.get(positions[name]) for name in self.names]
        self.has_signal = [k is not None for k in self._signal]
        self._perturbation = perturbation
        if _same_layout(self, compiled_from):
            # Another model of this architecture: its traced functions read
            # the variables only through the values they are given.
            self._perturbation = compiled_from._perturbation
            self._step = compiled_from._step
            self._reduce = compiled_from._reduce
            self._forward = compiled_from._forward
            return
        self._compile(taps, own, jit_compile)

    def _lend(self, source) -> bool:
        """Takes `source`'s places and functions (same architecture).

        Finds the monitored layers and the variables at the places of
        `source`'s (`probe_cache.counterparts`), without building a tap
        model; `False` where they cannot be found so.
        """
        found = probe_cache.counterparts(
            source.model,
            self.model,
            source.layers,
            source._trainable + source._state,
            source.names,
        )
        if found is None:
            return False
        self.layers, variables = found
        self.names = [layer.name for layer in self.layers]
        self._trainable = variables[: len(source._trainable)]
        self._state = variables[len(source._trainable) :]
        if list(map(id, self._trainable)) != list(
            map(id, self.model.trainable_variables)
        ):
            return False
        index = {id(v): i for i, v in enumerate(self._trainable)}
        self.kernel_index = [
            index.get(id(layer.kernel)) if has_kernel(layer) else None
            for layer in self.layers
        ]
        for name in ("saturation", "_tapped", "_signal", "has_signal"):
            setattr(self, name, getattr(source, name))
        if not _same_layout(self, source):
            return False
        self._perturbation = source._perturbation
        self._step, self._reduce = source._step, source._reduce
        self._forward = source._forward
        return True

    def _compile(self, taps, own, jit_compile):
        """Traces nothing yet: wraps the step and reductions to compile."""
        xla = backend.compiles_with_xla(jit_compile)
        # The backward figures are reduced inside the step (one function
        # to trace); the forward statistics, which only `__call__` gives,
        # in a function of their own.
        self._step = backend.value_and_gradients(
            self._loss_function(taps, own),
            jit_compile,
            reduce=self._backward_function(),
        )
        self._reduce = backend.compile_function(
            self._reduce_function(xla), jit_compile
        )
        self._forward = backend.compile_function(
            self._forward_function(taps, xla), jit_compile
        )

    # The functions below are compiled: they close over locals, not `self`.

    def _loss_function(self, taps, own):
        """`(params, state, x, y, sample_weight) -> (loss, tapped outputs)`.

        `params` is `(weights, offsets)`: the gradients are taken with
        respect to the trainable variables' values and to the offsets.
        """
        model, perturbation = self.model, self._perturbation
        tapped = self._tapped
        variables = self._trainable + self._state
        # A Sequential model's output is its last layer's single one.
        structure = (
            None if isinstance(model, keras.Sequential) else model.output
        )

        def loss(params, state_values, x, y, sample_weight):
            weights, zeros = params
            with _reading(variables, [*weights, *state_values]):
                with perturbation.applied(zeros):
                    outputs = taps(x, training=True)
                y_pred = (
                    outputs[0]
                    if structure is None
                    else keras.tree.pack_sequence_as(structure, outputs[:own])
                )
                value = model.compute_loss(
                    x=x,
                    y=y,
                    y_pred=y_pred,
                    sample_weight=sample_weight,
                    training=True,
                )
            return value, [outputs[i] for i in tapped]

        return loss

    def _reduce_function(self, xla):
        """`outputs -> rows`: the forward statistics of the outputs."""
        saturation = self.saturation

        def reduce(outputs):
            return activation_statistics(
                outputs, 1, saturation, jit_compile=xla
            )

        return reduce

    def _backward_function(self):
        """The backprop stds and squared norms, compiled with the step.

        `(loss, outputs, (grads, signals))` ->
        `(loss, outputs, grads, backprop, squares)`.
        """
        signal = self._signal

        def reduce(value, outputs, gradients):
            grads, signals = gradients
            ops = keras.ops
            backprop = [
                (
                    ops.std(ops.cast(signals[k], "float32"))
                    * float(signals[k].shape[0])
                    if k is not None
                    else ops.zeros(())
                )
                for k in signal
            ]
            squares = [
                ops.sum(ops.square(ops.cast(g, "float32"))) for g in grads
            ]
            return (
                value,
                outputs,
                grads,
                ops.stack(backprop),
                ops.stack(squares),
            )

        return reduce

    def _forward_function(self, taps, xla):
        """`(weights, state, x) -> rows`: the forward statistics only."""
        saturation, tapped = self.saturation, self._tapped
        variables = self._trainable + self._state

        def forward(weights, state_values, x):
            with _reading(variables, [*weights, *state_values]):
                outputs = taps(x, training=True)
            return activation_statistics(
                [outputs[i] for i in tapped], 1, saturation, jit_compile=xla
            )

        return forward

    def _zero_perturbations(self, examples):
        if examples not in self._zeros:
            p = self._perturbation
            self._zeros[examples] = [
                keras.ops.zeros((examples, *shape), dtype=dtype)
                for shape, dtype in zip(p.shapes, p.dtypes)
            ]
        return self._zeros[examples]

    def activations(self, x) -> list:
        """The forward half only, for examples without targets.

        Args:
            x: the model's inputs (arrays or tensors) for one batch.

        Returns:
            list of dicts, one per monitored layer, as in `__call__`'s
            `"layers"` without `"backprop_std"`.
        """
        x = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
        rows = self._forward(
            [v.value for v in self._trainable],
            [v.value for v in self._state],
            x,
        )
        return [
            self._forward_record(k, record)
            for k, record in enumerate(unpack_statistics(rows, self.saturation))
        ]

    def _forward_record(self, k, record):
        return {
            "activation_mean": record["mean"],
            "activation_std": record["std"],
            "dead_fraction": record["dead_fraction"],
            "saturated_fraction": (
                None
                if self.saturation[k] is None
                else record["saturated_fraction"]
            ),
        }

    def __call__(self, x, y, sample_weight=None) -> dict:
        """Runs the step on one batch.

        Args:
            x: the model's inputs (arrays or tensors) for one batch.
            y: the targets.
            sample_weight: `None` or per-example weights.

        Returns:
            dict: `"loss"` (float, the compiled loss of the batch),
            `"gradients"` (list of tensors, the loss's gradients with
            respect to `model.trainable_variables`, in order),
            `"squared_norms"` (NumPy array, each gradient's squared norm)
            and `"layers"` (one dict per monitored layer: the output's
            `activation_mean`, `activation_std`, `dead_fraction`,
            `saturated_fraction` (`None` unless tanh/sigmoid) and
            `backprop_std`, the std of the gradient of the per-example
            loss with respect to the output, i.e. of the mean loss's
            gradient times the batch size; `None` if the output is not
            one float tensor).
        """
        value, outputs, grads, backprop, squares = self._run(
            x, y, sample_weight
        )
        rows = self._reduce(outputs)
        backprop = keras.ops.convert_to_numpy(backprop).astype("float64")
        layers = []
        for k, record in enumerate(unpack_statistics(rows, self.saturation)):
            layer = self._forward_record(k, record)
            layer["backprop_std"] = (
                None if self._signal[k] is None else float(backprop[k])
            )
            layers.append(layer)
        return {
            "loss": float(keras.ops.convert_to_numpy(value)),
            "gradients": list(grads),
            "squared_norms": keras.ops.convert_to_numpy(squares).astype(
                "float64"
            ),
            "layers": layers,
        }

    def backward(self, x, y, sample_weight=None) -> tuple:
        """The step's backward figures only, left on the device.

        What `GradientStatistics` samples: `__call__`'s figures without
        the forward statistics of the layers' outputs (fewer operations
        to trace and to run), as tensors (no wait for the device).

        Args:
            x: the model's inputs (arrays or tensors) for one batch.
            y: the targets.
            sample_weight: `None` or per-example weights. Defaults to `None`.

        Returns:
            `(loss, gradients, backprop, squares)`: the compiled loss, the
            gradients as in `__call__`, a tensor of each monitored layer's
            `backprop_std` (0 where `__call__` gives `None`) and one of
            each gradient's squared norm.
        """
        value, _, grads, backprop, squares = self._run(x, y, sample_weight)
        return value, list(grads), backprop, squares

    def _run(self, x, y, sample_weight):
        """The compiled step: `(loss, outputs, grads, backprop, squares)`."""
        _check_compiled(self.model)
        x = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
        y = keras.tree.map_structure(keras.ops.convert_to_tensor, y)
        if sample_weight is not None:
            sample_weight = keras.ops.convert_to_tensor(sample_weight)
        examples = int(keras.tree.flatten(x)[0].shape[0])
        params = (
            [v.value for v in self._trainable],
            self._zero_perturbations(examples),
        )
        state = [v.value for v in self._state]
        return self._step(params, state, x, y, sample_weight)


def shared_probe(model, layers=None, *, jit_compile: bool = False):
    """The `GradientProbe` of `model`, traced once for its callers.

    The probe of the most recent model is kept (`probe_cache`) and given
    again for the same model, layers, `jit_compile`, trainable variables,
    optimizer and loss: a `GradientStatistics` after `diagnose`, or in the
    next `fit` of the same model, traces nothing again. With `layers=None`
    a new model of an architecture probed before (`structure_key`: a fresh
    model per fit, a search's trials) re-uses that probe's traced
    functions, given its own variables' values.

    Args:
        model: a compiled Sequential or functional `keras.Model`.
        layers: the `select_layers` selection. Defaults to `None`.
        jit_compile: bool, compile with XLA under TensorFlow. Defaults to
            `False`.

    Returns:
        A `GradientProbe`.
    """
    identity = probe_cache.Identity

    def build():
        structure = probe_cache.structure_key(model) if layers is None else None
        if structure is None:
            return GradientProbe(model, layers, jit_compile=jit_compile)
        return probe_cache.by_structure(
            ("gradient", bool(jit_compile), structure),
            lambda source: GradientProbe(
                model, jit_compile=jit_compile, compiled_from=source
            ),
        )

    key = (
        "gradient",
        probe_cache.selection_key(layers),
        bool(jit_compile),
        tuple(map(identity, model.trainable_variables)),
        identity(getattr(model, "optimizer", None)),
        identity(getattr(model, "loss", None)),
    )
    return probe_cache.cached(model, key, build)


def _same_layout(probe, other) -> bool:
    """Whether `other`'s compiled functions compute `probe`'s figures."""
    if other is None:
        return False

    def layout(p):
        return (
            [(tuple(v.shape), str(v.dtype)) for v in p._trainable + p._state],
            p._tapped,
            p._signal,
            p.saturation,
            p.kernel_index,
        )

    return layout(probe) == layout(other)


def _reading(variables, values):
    """A scope in which `variables` read `values` (nothing is assigned)."""
    return keras.StatelessScope(state_mapping=list(zip(variables, values)))


def _is_optimizer_variable(model, variable):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return False
    return any(variable is v for v in optimizer.variables)
