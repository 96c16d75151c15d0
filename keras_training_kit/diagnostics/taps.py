"""Model taps: a functional model exposing every layer's output.

`tap_model` flattens a Sequential or functional model (nested sub-models
included) into one functional model sharing its layers, whose outputs are
the model's own outputs followed by every layer's output. `select_layers`
picks the monitored taps (`probe_data` builds the fixed probe batch that
`ActivationProbe` runs forward), and `perturbed_tap_model` subtracts
offsets from the layers' outputs, through which `GradientProbe`
differentiates the loss.
"""

import contextlib
import re

import keras

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


def first_activation(layers) -> str:
    """The first activation of `layers` other than linear; `"relu"` if none.

    The activation the advice on a model's initialization is about.
    """
    names = [activation_name(layer) for layer in layers]
    return next((a for a in names if a not in (None, "linear")), "relu")


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
    taps, entries, _ = _tap_model(model, None)
    return taps, entries


def perturbed_tap_model(model: keras.Model) -> tuple:
    """`tap_model` with an offset subtracted from every layer's output.

    The gradient of a loss with respect to the offset of a layer is minus
    the gradient with respect to that layer's output (the backpropagated
    signal; its std is the same), which Keras does not expose otherwise,
    on any backend. The
    offsets are given at call time (`Perturbation.applied`); without them
    the taps compute the model's own outputs.

    Args:
        model: a Sequential or functional `keras.Model`.

    Returns:
        `(taps, entries, perturbation)`: `taps` and `entries` as in
        `tap_model`, and the `Perturbation` of the entries with one float
        output.

    Raises:
        ValueError: if `model` is subclassed.

    Example:

    >>> model = keras.Sequential(
    ...     [keras.Input((3,)), keras.layers.Dense(2, name="out")])
    >>> taps, layers, perturbation = perturbed_tap_model(model)
    >>> perturbation.entries, perturbation.shapes
    ([0], [(2,)])
    >>> x, offset = keras.ops.zeros((4, 3)), keras.ops.ones((4, 2))
    >>> with perturbation.applied([offset]):
    ...     out = taps(x)[0]
    >>> keras.ops.convert_to_numpy(out)[0].tolist()
    [-1.0, -1.0]
    """
    perturbation = Perturbation()
    taps, entries, slots = _tap_model(model, perturbation)
    perturbation.entries = [slots[k] for k in range(len(slots))]
    return taps, entries, perturbation


class Perturbation:
    """The offsets subtracted from layers' outputs (`perturbed_tap_model`).

    Attributes:
        entries: list, per offset, the index of its entry in `entries`.
        shapes: list, per offset, the output's shape without batch axis.
        dtypes: list, per offset, the output's dtype.
    """

    def __init__(self):
        self.entries, self.shapes, self.dtypes = [], [], []
        self.offsets = None

    @contextlib.contextmanager
    def applied(self, offsets):
        """Subtracts `offsets` (one per entry) while the taps are called."""
        self.offsets = list(offsets)
        try:
            yield
        finally:
            self.offsets = None


class _Offset(keras.layers.Layer):
    """Subtracts its `Perturbation`'s offset `slot` from its input, if set.

    Subtracted, not added: added after a Dense layer with a bias followed
    by a separate activation layer (ReLU, ELU, LeakyReLU), the offset would
    complete the CPU fusion pattern `MatMul|Conv2D + BiasAdd + Add +
    activation` of TensorFlow's graph optimizer (Grappler's remapper),
    which TensorFlow 2.21 mishandles: it writes the fused node of a MatMul
    without an op, and deletes the `Add` even where the taps read it. The
    optimizer then fails on every call of the graph, logs an error and
    leaves the graph unoptimized. A `Sub` is not that pattern, and is one
    operation (a reshape on either side of an `Add` also avoided it, at
    five operations and their gradients per layer to trace).
    """

    def __init__(self, perturbation, slot, **kwargs):
        super().__init__(**kwargs)
        self.perturbation = perturbation
        self.slot = slot

    def call(self, inputs):
        offsets = self.perturbation.offsets
        if offsets is None:
            return inputs
        return keras.ops.subtract(inputs, offsets[self.slot])


def _is_float_tensor(tensor):
    return not isinstance(tensor, (list, tuple, dict)) and str(
        tensor.dtype
    ).startswith(("float", "bfloat"))


def _tap_model(model, perturbation):
    """`(taps, entries, {entry index: offset slot})`."""
    entries = []
    slots = {}
    inputs = model_input(model)
    if inputs is None:
        raise _unreachable(model)
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=t.name),
        inputs,
    )

    def call(layer, args, kwargs):
        if isinstance(layer, keras.Model):
            sub, sub_entries, sub_slots = _tap_model(layer, perturbation)
            own = len(keras.tree.flatten(layer.output))
            results = keras.tree.flatten(
                sub(args[0] if len(args) == 1 else list(args))
            )
            for index, slot in sub_slots.items():
                slots[len(entries) + index] = slot
            for (name, sub_layer), tensor in zip(sub_entries, results[own:]):
                entries.append((f"{layer.name}/{name}", sub_layer, tensor))
            return keras.tree.pack_sequence_as(layer.output, results[:own])
        outputs = layer(*args, **kwargs)
        if perturbation is not None and _is_float_tensor(outputs):
            slots[len(entries)] = len(perturbation.shapes)
            perturbation.shapes.append(tuple(outputs.shape[1:]))
            perturbation.dtypes.append(outputs.dtype)
            outputs = _Offset(perturbation, slots[len(entries)])(outputs)
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
    return (
        keras.Model(inputs, tensors),
        [(n, layer) for n, layer, _ in named],
        slots,
    )


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


def output_layer_name(model) -> str | None:
    """The name of `model`'s last layer with weights (its output layer)."""
    layers = [layer for layer in model.layers if layer.weights]
    return layers[-1].name if layers else None
