"""`KernelUpdates`: the relative change of kernels since a device copy."""

import keras


def relative_change(kernel, snapshot):
    """`||W - W_s|| / ||W_s||` of a kernel and its float32 snapshot."""
    ops = keras.ops
    change = ops.cast(kernel, "float32") - snapshot
    norm = ops.sqrt(ops.sum(ops.square(snapshot)))
    return ops.sqrt(ops.sum(ops.square(change))) / ops.maximum(norm, 1e-12)


def kernel_copies(kernels) -> list:
    """float32 copies of `kernels` (a cast alone may alias under PyTorch)."""
    return [keras.ops.copy(keras.ops.cast(w, "float32")) for w in kernels]


class KernelUpdates:
    """The update ratio of kernels: their change since `snapshot()`.

    The copy and the ratios run eagerly on the device, a few dozen ops per
    sample; only the ratios come back. Compiled, each would be traced once
    per process (~0.05-0.1 s each on 2 CPU cores), more than a short fit's
    samples cost eagerly.

    Args:
        kernels: list of kernel `keras.Variable`s.

    Example:

    >>> w = keras.Variable(keras.ops.ones((2, 2)))
    >>> updates = KernelUpdates([w])
    >>> updates.snapshot()
    >>> _ = w.assign(w * 1.5)
    >>> [round(float(r), 6) for r in updates.ratios()]
    [0.5]
    """

    def __init__(self, kernels):
        self._kernels = list(kernels)
        self._snapshots = kernel_copies(self._kernels)

    def snapshot(self):
        """Copies the kernels on the device, for the next ratios."""
        self._snapshots = kernel_copies(self._values())

    def ratios(self):
        """NumPy float64 array: each kernel's change since the last copy."""
        values = _ratios(self._values(), self._snapshots)
        return keras.ops.convert_to_numpy(values).astype("float64")

    def _values(self):
        return [w.value for w in self._kernels]


def _ratios(kernels, snapshots):
    changes = [relative_change(w, s) for w, s in zip(kernels, snapshots)]
    return keras.ops.stack(changes) if changes else keras.ops.zeros((0,))
