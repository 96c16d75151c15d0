"""The few functions that differ per Keras backend.

The rest of the package is written with `keras` and `keras.ops` and runs
the same under `KERAS_BACKEND=tensorflow|jax|torch`; nothing else branches
on `keras.backend.backend()`. What differs is how a function is compiled:

- TensorFlow: `tf.function` (with XLA for `jit_compile=True`). The
  function reads the variables it closes over, also outside the replica
  context of a `tf.distribute` strategy.
- JAX: `jax.jit`, which always compiles with XLA. A jitted function must
  be pure, so the values of the variables it reads are passed in as
  arguments and substituted with a `keras.StatelessScope` (as
  `Layer.stateless_call` does): the compiled function sees the variables'
  current values, not the ones of its first trace.
- PyTorch: eager, under `torch.no_grad()` (no autograd graph is kept for
  a function that is never differentiated).
"""

import keras


def compile_function(fn, jit_compile: bool = False, variables=()):
    """Compiles `fn` with the backend's own compiler.

    Args:
        fn: callable of tensors (nested structures allowed) returning
            tensors. It may read `keras.Variable`s but not assign them.
        jit_compile: bool, compile with XLA where the backend lets one
            choose (TensorFlow); JAX always does, PyTorch never does.
            Defaults to `False`.
        variables: list of the `keras.Variable`s that `fn` reads. Under
            JAX their current values are passed to the compiled function
            at every call; the other backends read them directly.
            Defaults to `()`.

    Returns:
        A callable with the signature of `fn`.

    Example:

    >>> v = keras.Variable(2.0)
    >>> double = compile_function(lambda x: x * v, variables=[v])
    >>> float(double(keras.ops.ones(())))
    2.0
    >>> _ = v.assign(3.0)
    >>> float(double(keras.ops.ones(())))
    3.0
    """
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        # No Python control flow depends on tensors: autograph would only
        # slow the tracing down.
        return tf.function(fn, jit_compile=jit_compile, autograph=False)
    if name == "jax":
        import jax

        variables = list(variables)

        def stateless(values, *args):
            mapping = list(zip(variables, values))
            with keras.StatelessScope(state_mapping=mapping):
                return fn(*args)

        compiled = jax.jit(stateless)

        def call(*args):
            return compiled([v.value for v in variables], *args)

        return call
    if name == "torch":
        import torch

        def call(*args):
            with torch.no_grad():
                return fn(*args)

        return call
    raise ValueError(
        "keras_training_kit compiles functions under the tensorflow, jax "
        f"and torch backends. Received: backend={name!r}"
    )


def compiles_with_xla(jit_compile: bool) -> bool:
    """Whether `compile_function(fn, jit_compile)` compiles with XLA.

    XLA needs every output shape when compiling (no `bincount`).

    Args:
        jit_compile: bool, the `jit_compile` given to `compile_function`.

    Returns:
        bool: `jit_compile` under TensorFlow, `True` under JAX, `False`
        under PyTorch.

    Example:

    >>> compiles_with_xla(True) == (keras.backend.backend() != "torch")
    True
    """
    name = keras.backend.backend()
    return name == "jax" or (name == "tensorflow" and bool(jit_compile))
