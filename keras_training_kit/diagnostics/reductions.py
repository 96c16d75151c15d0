"""`activation_statistics`: per-layer activation statistics on the device.

The one place that computes them: `ActivationStatistics` reduces its probe
batch with it inside a compiled function, and the initialization study
(`babysitting.run_init_study`) reduces its activations with it.
"""

import keras
import numpy as np

# The scalar columns of a row, in order; the histogram's min, max and
# counts follow them.
SCALARS = (
    "mean",
    "std",
    "zero_fraction",
    "dead_fraction",
    "saturated_fraction",
)
# Activations whose saturation is measured, with their rule's code.
SATURATING = ("tanh", "sigmoid")


def activation_statistics(
    outputs: list,
    bins: int = 30,
    saturation: list | None = None,
    *,
    dtype: str = "float32",
    exact: bool = False,
    jit_compile: bool = False,
):
    """Reduces layer outputs to one row of statistics per layer.

    Row `i` holds, for `outputs[i]`: the mean and std of all its values,
    the fraction of exact zeros, the fraction of dead units (units are the
    last axis; a unit is dead when it is zero for every example and
    position), the fraction of saturated values (tanh: `|a| > 0.99`,
    sigmoid: `a < 0.01 or a > 0.99`; NaN for other layers), the histogram's
    min and max, then `bins` counts. The histogram is `np.histogram`'s of
    the values in float32: its edges (`histogram_edges`), its rule for a
    constant output (the range `value +- 0.5`), and with `exact=True` its
    bin for every value; otherwise a value within a rounding of an edge
    may be counted in the next bin.

    Outputs that share a shape and a saturation rule are stacked and
    reduced together, so a traced graph grows with the number of distinct
    shapes, not of layers. Everything stays on the device: only the
    `(layers, 7 + bins)` tensor has to come back.

    Args:
        outputs: list of tensors, one per layer, of any shapes.
        bins: int >= 1, histogram bins. Defaults to `30`.
        saturation: `None` or a list with one entry per output: `"tanh"`,
            `"sigmoid"` or `None` (not measured). Defaults to `None`.
        dtype: str, the precision of the scalar statistics (`"float32"`,
            or `"float64"` for a reference); the histogram is always binned
            in float32. Defaults to `"float32"`.
        exact: bool, correct the bin of values within a rounding of an
            edge as NumPy does (about a third more work: for a reference,
            not for sampling during training). Defaults to `False`.
        jit_compile: bool, whether the caller compiles this with XLA: the
            histogram is then counted with a segment sum of a static size
            (XLA cannot size `bincount`'s output). Defaults to `False`.

    Returns:
        A `(len(outputs), 7 + bins)` tensor of `dtype`; `unpack_statistics`
        turns it into dicts.

    Example:

    >>> import numpy as np
    >>> a = np.array([[0.0, 1.0], [0.0, 3.0]], "float32")
    >>> rows = unpack_statistics(activation_statistics([a], bins=2))
    >>> rows[0]["mean"], rows[0]["dead_fraction"], rows[0]["histogram"]
    (1.0, 0.5, array([3, 1]))
    """
    saturation = saturation or [None] * len(outputs)
    if len(saturation) != len(outputs):
        raise ValueError(
            f"`saturation` must have one entry per output ({len(outputs)}). "
            f"Received: saturation={saturation!r}"
        )
    ops = keras.ops
    groups = {}
    for index, (a, rule) in enumerate(zip(outputs, saturation)):
        if rule is not None and rule not in SATURATING:
            raise ValueError(
                f"`saturation` entries must be None or one of {SATURATING}. "
                f"Received: saturation={saturation!r}"
            )
        groups.setdefault((tuple(a.shape), rule), []).append(index)
    order, blocks = [], []
    for (_, rule), members in groups.items():
        order.extend(members)
        stacked = ops.stack([ops.cast(outputs[i], "float32") for i in members])
        blocks.append(
            _group_statistics(stacked, bins, rule, dtype, exact, jit_compile)
        )
    rows = ops.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    if order == sorted(order):
        return rows
    inverse = [0] * len(order)
    for position, index in enumerate(order):
        inverse[index] = position
    return ops.take(rows, inverse, axis=0)


def _group_statistics(a, bins, rule, dtype, exact, jit_compile):
    """`activation_statistics` rows of `a`, stacked outputs `(layers, ...)`."""
    ops = keras.ops
    layers = a.shape[0]
    flat = ops.reshape(a, (layers, -1))
    mean, variance = ops.moments(ops.cast(flat, dtype), axes=[1])
    is_zero = ops.equal(flat, 0.0)
    zeros = ops.mean(ops.cast(is_zero, dtype), axis=1)
    if len(a.shape) > 2:
        always_zero = ops.all(
            ops.reshape(is_zero, (layers, -1, a.shape[-1])), axis=1
        )
        dead = ops.mean(ops.cast(always_zero, dtype), axis=1)
    else:
        dead = zeros
    if rule == "tanh":
        saturated = ops.mean(ops.cast(ops.abs(flat) > 0.99, dtype), axis=1)
    elif rule == "sigmoid":
        saturated = ops.mean(
            ops.cast((flat < 0.01) | (flat > 0.99), dtype), axis=1
        )
    else:
        saturated = ops.full((layers,), float("nan"), dtype=dtype)
    low, high = ops.min(flat, axis=1), ops.max(flat, axis=1)
    # A constant output gets the unit range around its value, as in NumPy.
    constant = ops.cast(high <= low, "float32") * 0.5
    low, high = low - constant, high + constant
    counts = _histogram(flat, low, high, bins, exact, jit_compile)
    scalars = ops.stack(
        [mean, ops.sqrt(variance), zeros, dead, saturated]
        + [ops.cast(low, dtype), ops.cast(high, dtype)],
        axis=1,
    )
    counts = ops.reshape(ops.cast(counts, dtype), (layers, bins))
    return ops.concatenate([scalars, counts], axis=1)


def _histogram(flat, low, high, bins, exact, jit_compile):
    """Counts of each row of `flat` (float32) in `bins` equal bins."""
    ops = keras.ops
    layers = flat.shape[0]
    low, span = low[:, None], (high - low)[:, None]
    # flat >= low, so truncation is the floor; the maximum lands in the
    # last bin.
    index = ops.minimum(
        ops.cast((flat - low) * (bins / span), "int32"), bins - 1
    )
    if exact:
        # NumPy's correction of an index within a rounding of an edge,
        # against the edges `histogram_edges` computes: float32 `low + k *
        # (span / bins)`, each operation rounded. The division and the
        # product go through float64 and are rounded to float32 once, and
        # the divisor is not a constant: Grappler and XLA turn a division
        # by a constant into a multiplication by its reciprocal (a
        # different float32 rounding; under JAX without x64, float64 is
        # float32). The products are sorted (they already are) before the
        # sum: XLA fuses a float32 multiply-add (one rounding instead of
        # two), and cannot fuse across a sort.
        span = ops.cast(span, "float64")
        step = ops.cast(span / (bins + 0.0 * span), "float32")
        k = ops.arange(bins + 1, dtype="float64")[None, :]
        products = ops.cast(k * ops.cast(step, "float64"), "float32")
        edges = ops.sort(products, axis=1) + low

        def edge(k):
            return ops.take_along_axis(edges, k, axis=1)

        index = index - ops.cast(flat < edge(index), "int32")
        index = index + ops.cast(
            (flat >= edge(index + 1)) & (index != bins - 1), "int32"
        )
    # Bin b of layer l is counted at l * bins + b: one count for the group.
    index = index + bins * ops.arange(layers, dtype="int32")[:, None]
    index = ops.reshape(index, (-1,))
    if jit_compile:
        # XLA needs an output size known when compiling, which bincount's
        # is not.
        return ops.segment_sum(
            ops.ones_like(index, dtype="float32"),
            index,
            num_segments=layers * bins,
        )
    # 2.5x faster than the segment sum on CPU.
    return ops.bincount(index, minlength=layers * bins)


def unpack_statistics(rows, saturation: list | None = None) -> list:
    """Turns `activation_statistics` rows into one dict per layer.

    Args:
        rows: the `(layers, 7 + bins)` tensor or array.
        saturation: `None` or the list given to `activation_statistics`;
            layers with `None` get no `"saturated_fraction"`. Defaults to
            `None` (every layer keeps it).

    Returns:
        A list of dicts of floats: the `SCALARS`, `"histogram_min"`,
        `"histogram_max"`, and `"histogram"`, the counts as an int64
        array.

    Example:

    >>> rows = activation_statistics([np.ones((2, 3), "float32")], bins=4)
    >>> stats = unpack_statistics(rows, [None])[0]
    >>> stats["std"], stats["histogram_min"], "saturated_fraction" in stats
    (0.0, 0.5, False)
    """
    rows = np.asarray(keras.ops.convert_to_numpy(rows), np.float64)
    records = []
    for index, values in enumerate(rows):
        scalars, (low, high), counts = np.split(
            values, [len(SCALARS), len(SCALARS) + 2]
        )
        record = dict(zip(SCALARS, map(float, scalars)))
        if saturation is not None and saturation[index] is None:
            del record["saturated_fraction"]
        record["histogram_min"] = float(low)
        record["histogram_max"] = float(high)
        record["histogram"] = counts.astype(np.int64)
        records.append(record)
    return records


def histogram_edges(low: float, high: float, bins: int) -> list:
    """The `bins + 1` edges between `low` and `high`, as `np.histogram`'s.

    `np.histogram` of float32 values spaces its edges in float32; these
    are the edges `activation_statistics` counts against.

    Args:
        low: float, the histogram's min (`"histogram_min"`).
        high: float, the histogram's max (`"histogram_max"`).
        bins: int, the number of bins.

    Returns:
        A list of floats.

    Example:

    >>> histogram_edges(0.0, 1.0, 4)
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    return np.linspace(
        np.float32(low), np.float32(high), bins + 1, dtype=np.float32
    ).tolist()
