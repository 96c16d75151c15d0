"""`KernelUpdates`: the relative change of kernels since a device copy."""

import functools

import keras

from keras_training_kit import backend


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

    Both the copy and the ratios run compiled on the device
    (`backend.compile_function`); only the ratios come back. They take the
    kernels' values as arguments, so they are traced once per process for
    kernels of the same shapes (a new callback, a new model of the same
    architecture).

    Args:
        kernels: list of kernel `keras.Variable`s.
        jit_compile: bool, compile with XLA under TensorFlow. Defaults to
            `False`.

    Example:

    >>> w = keras.Variable(keras.ops.ones((2, 2)))
    >>> updates = KernelUpdates([w])
    >>> updates.snapshot()
    >>> _ = w.assign(w * 1.5)
    >>> [round(float(r), 6) for r in updates.ratios()]
    [0.5]
    """

    def __init__(self, kernels, jit_compile: bool = False):
        self._kernels = list(kernels)
        # The functions take the kernels' values: traced once per process
        # for kernels of the same shapes, whichever model they belong to.
        self._copy, self._ratios = _functions(
            bool(jit_compile),
            tuple((tuple(w.shape), str(w.dtype)) for w in self._kernels),
        )
        # The first copy runs eagerly: the copy is traced when first due.
        self._snapshots = kernel_copies(self._kernels)

    def snapshot(self):
        """Copies the kernels on the device, for the next ratios."""
        self._snapshots = self._copy(self._values())

    def ratios(self):
        """NumPy float64 array: each kernel's change since the last copy."""
        values = self._ratios(self._values(), self._snapshots)
        return keras.ops.convert_to_numpy(values).astype("float64")

    def _values(self):
        return [w.value for w in self._kernels]


@functools.lru_cache(maxsize=64)
def _functions(jit_compile, signature):
    """The compiled `(copy, ratios)` of kernel values of one `signature`.

    One pair per signature, each traced once (partials: TensorFlow counts
    the tracings of one code object together, and would warn of
    retracing).
    """

    def ratios(kernels, snapshots):
        changes = [relative_change(w, s) for w, s in zip(kernels, snapshots)]
        return keras.ops.stack(changes) if changes else keras.ops.zeros((0,))

    return (
        backend.compile_function(functools.partial(kernel_copies)),
        backend.compile_function(functools.partial(ratios), jit_compile),
    )
