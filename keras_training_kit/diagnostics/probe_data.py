"""The fixed probe batch of the statistics and `diagnose`.

`first_examples` takes the first examples of arrays, a `tf.data.Dataset`
(batched or not) or any other iterable of batches; `probe_inputs` and
`probe_examples` build the probe batch of a model from them.
"""

import sys
from collections.abc import Iterable

import keras
import numpy as np

from keras_training_kit.diagnostics.taps import model_input


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
    x, _, _ = _first_batch(inputs, probe_data, probe_size)
    return x


def probe_examples(model, probe_data, probe_size: int) -> tuple:
    """The fixed probe batch with its targets, as NumPy arrays.

    Args:
        model: the probed Sequential or functional `keras.Model`.
        probe_data: a tuple `(x, y[, sample_weight])` of arrays, a
            `tf.data.Dataset` of `(x, y[, sample_weight])` (batched or
            not) or any other iterable of such batches.
        probe_size: int, the examples kept.

    Returns:
        `(x, y, sample_weight)`, each of at most `probe_size` examples
        (`sample_weight` may be `None`).

    Raises:
        ValueError: for data without targets.
    """
    if probe_data is None or hasattr(probe_data, "shape"):
        raise ValueError(
            "Gradients need targets: pass `probe_data` as `(x, y)` arrays "
            "or a dataset of `(x, y)` batches (e.g. validation data). "
            f"Received: probe_data={_describe(probe_data)}"
        )
    x, y, sample_weight = _first_batch(
        model_input(model), probe_data, probe_size
    )
    if y is None:
        raise ValueError(
            "Gradients need targets, and `probe_data` holds inputs only: "
            "pass `(x, y)` arrays or a dataset of `(x, y)` batches. "
            f"Received: probe_data={_describe(probe_data)}"
        )
    return x, y, sample_weight


def _describe(data):
    if hasattr(data, "shape"):
        return f"an array of shape {tuple(data.shape)}"
    return type(data).__name__ if data is not None else "None"


def first_examples(data, count: int, *, example_rank: int | None = None):
    """`(x, y, sample_weight)` NumPy arrays of the first `count` examples.

    Args:
        data: an array or a structure of arrays (inputs only), a tuple
            `(x, y[, sample_weight])` of arrays, a `tf.data.Dataset` of
            such elements (batched or not) or any other iterable of such
            batches (a generator, a `torch.utils.data.DataLoader`).
        count: int, the examples kept (fewer if `data` holds fewer).
        example_rank: int or `None`, the rank of one example of the
            (first) input, which tells a batched `tf.data.Dataset` from an
            unbatched one; with `None` a dataset whose labels have an axis
            is taken as batched. Defaults to `None`.

    Returns:
        `(x, y, sample_weight)`; `y` and `sample_weight` may be `None`.

    Raises:
        ValueError: for an empty dataset or an iterable without a batch.

    Example:

    >>> x = np.arange(10.0).reshape(5, 2)
    >>> first_examples((x, np.arange(5)), 2)[1]
    array([0, 1])
    """
    if is_tf_dataset(data):
        element = data.element_spec
        features = element[0] if isinstance(element, tuple) else element
        rank = len(keras.tree.flatten(features)[0].shape)
        if example_rank is not None:
            batched = rank != example_rank
        else:
            labels = element[1] if isinstance(element, tuple) else None
            batched = labels is not None and len(labels.shape) >= 1
        data = (data.unbatch() if batched else data).batch(count)
        data = next(iter(data.take(1)), None)
        if data is None:
            raise ValueError(
                "The dataset holds no example. Received: an empty dataset"
            )
    elif _is_batch_iterable(data):
        data = _first_examples(data, count)
    parts = data if isinstance(data, tuple) else (data,)
    parts = (tuple(parts) + (None, None))[:3]
    return tuple(
        (
            None
            if part is None
            else keras.tree.map_structure(
                lambda v: keras.ops.convert_to_numpy(v)[:count], part
            )
        )
        for part in parts
    )


def _first_batch(inputs, data, probe_size):
    first = keras.tree.flatten(inputs)[0]
    return first_examples(data, probe_size, example_rank=len(first.shape) - 1)


def is_tf_dataset(data) -> bool:
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
    """`(x, y, sample_weight)` of the first `probe_size` examples."""
    parts, count = [], 0
    for batch in batches:
        batch = tuple(
            (
                None
                if part is None
                else keras.tree.map_structure(keras.ops.convert_to_numpy, part)
            )
            for part in keras.utils.unpack_x_y_sample_weight(batch)
        )
        parts.append(batch)
        count += len(keras.tree.flatten(batch[0])[0])
        if count >= probe_size:
            break
    if not parts:
        raise ValueError(
            "`probe_data` is an iterable without any batch. Received: "
            f"probe_data={batches!r}"
        )
    return tuple(
        (
            None
            if parts[0][k] is None
            else keras.tree.map_structure(
                lambda *arrays: np.concatenate(arrays)[:probe_size],
                *[p[k] for p in parts],
            )
        )
        for k in range(3)
    )
