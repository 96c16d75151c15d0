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

Gradients (`value_and_gradients`) use the backend's own autodiff: a
`tf.GradientTape` inside a `tf.function`, `jax.value_and_grad` under
`jax.jit`, and `torch.autograd.grad`.
"""

import functools

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


def value_and_gradients(fn, jit_compile: bool = False, reduce=None):
    """Compiles `fn` with the gradients of its value, by the backend's autodiff.

    `fn(params, *args)` returns `(value, aux)`: a scalar tensor and any
    structure of tensors. The compiled function returns the value, `aux`
    and the gradients of the value with respect to every tensor of
    `params` (zeros where the value does not depend on one). `fn` must be
    pure: it reads the model's variables through a `keras.StatelessScope`
    mapping to tensors it is given (as `Layer.stateless_call` does), so the
    gradients with respect to those tensors are the variables' gradients.

    Args:
        fn: callable `fn(params, *args) -> (value, aux)`; `params` is a
            nested structure of float tensors.
        jit_compile: bool, compile with XLA where the backend lets one
            choose (TensorFlow); JAX always does, PyTorch never does.
            Defaults to `False`.
        reduce: `None` or a callable `(value, aux, gradients) -> outputs`
            compiled with the gradients (one function to trace and call,
            and only its outputs leave it). Defaults to `None`.

    Returns:
        A callable `(params, *args) -> (value, aux, gradients)`, the
        gradients in the structure of `params` (or `reduce`'s outputs).

    Example:

    >>> ops = keras.ops
    >>> grad = value_and_gradients(
    ...     lambda w, x: (ops.sum(ops.square(w * x)), w * x))
    >>> value, aux, dw = grad(ops.ones((2,)), ops.convert_to_tensor([1., 2.]))
    >>> float(value), ops.convert_to_numpy(dw).tolist()
    (5.0, [2.0, 8.0])
    """
    tree = keras.tree
    name = keras.backend.backend()
    if reduce is None:

        def reduce(value, aux, grads):
            return value, aux, grads

    if name == "tensorflow":
        import tensorflow as tf

        def call(params, *args):
            flat = tree.flatten(params)
            with tf.GradientTape() as tape:
                tape.watch(flat)
                value, aux = fn(params, *args)
            grads = tape.gradient(
                value,
                flat,
                unconnected_gradients=tf.UnconnectedGradients.ZERO,
            )
            return reduce(value, aux, tree.pack_sequence_as(params, grads))

        # TensorFlow counts tracings per code object: one such function per
        # model (the init study's rows, a search's trials), each traced
        # once, would read as retracing. A partial is counted on its own.
        return tf.function(
            functools.partial(call), jit_compile=jit_compile, autograph=False
        )
    if name == "jax":
        import jax

        gradients = jax.value_and_grad(fn, has_aux=True)

        def finish(params, *args):
            (value, aux), grads = gradients(params, *args)
            return reduce(value, aux, grads)

        return jax.jit(finish)
    if name == "torch":
        import torch

        def call(params, *args):
            flat = [
                keras.ops.convert_to_tensor(t).detach().requires_grad_(True)
                for t in tree.flatten(params)
            ]
            with torch.enable_grad():
                value, aux = fn(tree.pack_sequence_as(params, flat), *args)
                grads = torch.autograd.grad(value, flat, allow_unused=True)
            grads = [
                torch.zeros_like(t) if g is None else g
                for t, g in zip(flat, grads)
            ]
            aux = tree.map_structure(
                lambda t: t.detach() if isinstance(t, torch.Tensor) else t,
                aux,
            )
            with torch.no_grad():
                return reduce(
                    value.detach(), aux, tree.pack_sequence_as(params, grads)
                )

        return call
    raise ValueError(
        "keras_training_kit differentiates functions under the tensorflow, "
        f"jax and torch backends. Received: backend={name!r}"
    )
