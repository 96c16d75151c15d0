"""The compiled probes of the most recent model, kept for the next caller.

Tracing a probe (the activation probe's forward pass, the gradient probe's
forward and backward pass) costs far more than running it: ~0.2-0.7 s on
2 CPU cores for a 10-layer MLP, against ~10 ms a call. A new statistics
callback on a model just trained (a notebook's next `fit`, `ktk`'s
phases, `diagnose` before `fit`) re-uses the probe traced for that model.
Only the objects of the most recent model are kept: they hold the model
(its layers and variables are in their traced graphs), so one model at
most outlives its last user, until a probe of another model replaces it.

A probe that reads the model's variables only through values it is given
(`GradientProbe`, `ActivationProbe`) can also serve a new model of the
same architecture (a fresh model per fit, a search's trials):
`structure_key` says when two models compute the same function of their
variables, `by_structure` keeps the last few such probes, and
`counterparts` finds the new model's layers and variables.
"""

import collections
import json
import weakref

_model = None
_entries = {}
_structures = collections.OrderedDict()
# The probes kept by architecture (each holds its model).
_MAX_STRUCTURES = 2
# Config entries that hold layer names (of the functional graph).
_REFERENCES = ("keras_history", "input_layers", "output_layers")


def cached(model, key: tuple, build):
    """The object `build()` made for `model` and `key`, built once.

    Args:
        model: the `keras.Model` the object belongs to.
        key: hashable tuple, everything else the object depends on.
        build: callable of no argument, building the object.

    Returns:
        The cached object, or the one `build()` returns now.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> first = cached(model, ("example",), list)
    >>> cached(model, ("example",), list) is first
    True
    """
    global _model, _entries
    if _model is None or _model() is not model:
        _model, _entries = weakref.ref(model), {}
    if key not in _entries:
        _entries[key] = build()
    return _entries[key]


def selection_key(layers):
    """A hashable form of a `select_layers` selection."""
    return tuple(layers) if isinstance(layers, (list, tuple)) else layers


class Identity:
    """A key part that matches only the object itself (and keeps it)."""

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return id(self.value)

    def __eq__(self, other):
        return isinstance(other, Identity) and other.value is self.value


def by_structure(key: tuple, build):
    """The object `build()` made for models of `key`'s architecture.

    Args:
        key: hashable tuple holding a `structure_key`.
        build: callable of one argument, the object kept for `key` so
            far (or `None`), building the object for the new model.

    Returns:
        The object `build` returns, which is kept for `key`.
    """
    source = _structures.pop(key, None)
    built = build(source)
    _structures[key] = built
    while len(_structures) > _MAX_STRUCTURES:
        _structures.popitem(last=False)
    return built


def structure_key(model) -> str | None:
    """A string equal for models that compute the same function.

    Two Sequential or functional models built the same way from Keras'
    and this package's layers (the names aside), with variables of the
    same shapes, dtypes and trainability and the same compiled loss, get
    the same key. Other models (subclassed ones, custom layers, whose
    state may hide outside their config) get `None`: nothing is shared.

    Args:
        model: a `keras.Model`.

    Returns:
        str or `None`.
    """
    layers = _all_layers(model)
    if layers is None:
        return None
    try:
        # The loss and its weights; the optimizer plays no part.
        compiled = dict(model.get_compile_config() or {})
        compiled.pop("optimizer", None)
        config = model.get_config()
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        return None
    # The layers' names, and the input layers' (a Sequential model's are
    # not among its layers), by position.
    named = [layer.name for layer in layers] + _input_layer_names(config)
    names = {}
    for name in named:
        names.setdefault(name, f"layer_{len(names)}")
    variables = [
        (tuple(v.shape), str(v.dtype), bool(v.trainable))
        for v in model.variables
    ]
    return json.dumps(
        [_canonical(config, names, False), compiled, variables],
        sort_keys=True,
        default=repr,
    )


def counterparts(source, model, layers, variables, names):
    """`model`'s layers and variables at the places of `source`'s.

    For two models of the same `structure_key`, a probe of `source` lends
    its traced functions to `model` (`by_structure`); this finds what the
    new probe reads without building `model`'s tap model again.

    Args:
        source: the `keras.Model` probed before.
        model: a `keras.Model` of the same `structure_key`.
        layers: list of `source`'s layers (the monitored ones).
        variables: list of `source`'s variables (those a probe reads).
        names: list of str, the names the probe gives `layers`.

    Returns:
        `(layers, variables)` of `model`, in the same order, or `None`
        where the names are not the layers' own (nested models, layers
        called twice: `tap_model` names those) or a place is not found.
    """
    if names != [layer.name for layer in layers]:
        return None
    mine, theirs = _all_layers(source), _all_layers(model)
    if mine is None or theirs is None or len(mine) != len(theirs):
        return None
    layer_at = {id(layer): i for i, layer in enumerate(mine)}
    variable_at = {id(v): i for i, v in enumerate(source.variables)}
    own = model.variables
    if len(own) != len(variable_at):
        return None
    try:
        return (
            [theirs[layer_at[id(layer)]] for layer in layers],
            [own[variable_at[id(v)]] for v in variables],
        )
    except KeyError:
        return None


def _input_layer_names(config):
    """The names of the `InputLayer`s in a model's config, in order."""
    if isinstance(config, dict):
        found = []
        if config.get("class_name") == "InputLayer":
            found.append(config.get("config", {}).get("name"))
        for item in config.values():
            found.extend(_input_layer_names(item))
        return found
    if isinstance(config, (list, tuple)):
        return [n for item in config for n in _input_layer_names(item)]
    return []


def _all_layers(model):
    """`model` and its layers, nested ones too; `None` if one is foreign."""
    found = [model]
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers"):
            inner = _all_layers(layer)
            if inner is None:
                return None
            found.extend(inner)
        else:
            found.append(layer)
    if not all(
        type(layer).__module__.startswith(("keras.", "keras_training_kit."))
        for layer in found
    ):
        return None
    return found


def _canonical(value, names, reference):
    """`value` (a config) with the layer names replaced by positions."""
    if isinstance(value, dict):
        return {
            key: (
                names.get(item, item)
                if key == "name" and isinstance(item, str)
                else _canonical(item, names, reference or key in _REFERENCES)
            )
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_canonical(item, names, reference) for item in value]
    if reference and isinstance(value, str):
        return names.get(value, value)
    return value
