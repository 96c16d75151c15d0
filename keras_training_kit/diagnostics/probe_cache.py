"""The compiled probes of the most recent model, kept for the next caller.

Tracing a probe (the activation probe's forward pass, the gradient probe's
forward and backward pass) costs far more than running it: ~0.2-0.7 s on
2 CPU cores for a 10-layer MLP, against ~10 ms a call. A new statistics
callback on a model just trained (a notebook's next `fit`, `ktk`'s
phases, `diagnose` before `fit`) re-uses the probe traced for that model.
Only the objects of the most recent model are kept: they hold the model
(its layers and variables are in their traced graphs), so one model at
most outlives its last user, until a probe of another model replaces it.
"""

import weakref

_model = None
_entries = {}


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
