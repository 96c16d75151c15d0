"""`lsuv_initialize`: layer-sequential unit-variance initialization (LSUV)."""

import logging

import keras
import numpy as np

from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)


def _kernel_layers(model):
    return [
        layer
        for layer in model.layers
        if isinstance(getattr(layer, "kernel", None), keras.Variable)
    ]


def _layer_output(model, layer):
    try:
        return layer.output
    except (AttributeError, ValueError) as error:
        raise ValueError(
            "`lsuv_initialize` needs a Sequential or functional model built "
            "on `keras.Input`, whose layers' outputs can be reached; layer "
            f"{layer.name!r} has no symbolic output. Received: "
            f"model={model.name!r} ({type(model).__name__})"
        ) from error


def lsuv_initialize(
    model: keras.Model,
    x,
    *,
    target_std: float = 1.0,
    tol: float = 0.1,
    max_iter: int = 10,
    orthogonal: bool = True,
    seed: int | None = None,
) -> list:
    """Initializes a model in place with LSUV (Mishkin & Matas, 2016).

    First every Dense/Conv kernel gets an orthonormal initialization
    (`keras.initializers.Orthogonal`). Then, in forward order, each kernel is
    divided by the standard deviation of its layer's output on `x` (times
    `target_std`) until that standard deviation is within `tol` of
    `target_std`, or `max_iter` rescalings were made. A layer's output is
    what the layer returns, after its fused `activation` if it has one.
    Layers without a `kernel` (activations, normalization, pooling, ...)
    are skipped; biases are kept.

    Args:
        model: a Sequential or functional `keras.Model` built on
            `keras.Input`.
        x: the probe batch (array or tensor; or a list for several inputs),
            a few hundred examples.
        target_std: float > 0, the wanted output standard deviation.
            Defaults to `1.0`.
        tol: float > 0, the accepted absolute deviation from `target_std`.
            Defaults to `0.1`.
        max_iter: int >= 1, the most rescalings per layer. Defaults to `10`.
        orthogonal: bool, whether to start from orthonormal kernels.
            Defaults to `True`.
        seed: int or `None`, seed of the orthonormal kernels (layer `i` uses
            `seed + i`). Defaults to `None`.

    Returns:
        A list with one dict per kernel layer in forward order:
        `{"layer": name, "iterations": rescalings made, "std": final output
        std, "converged": bool}`.

    Raises:
        ValueError: if an argument is out of range, the model has no layer
            with a kernel, or its intermediate outputs cannot be reached
            (a subclassed model, or one not built on `keras.Input`).

    Example:

    >>> model = keras.Sequential([keras.Input((20,)),
    ...                           keras.layers.Dense(32, activation="relu"),
    ...                           keras.layers.Dense(10)])
    >>> x = np.random.default_rng(0).standard_normal((256, 20))
    >>> report = lsuv_initialize(model, x, seed=0)
    >>> all(abs(r["std"] - 1.0) <= 0.1 for r in report)
    True

    References:
        - [Mishkin & Matas, 2016](https://arxiv.org/abs/1511.06422)
    """
    check_float("target_std", target_std, 0, include_low=False)
    check_float("tol", tol, 0, include_low=False)
    check_int("max_iter", max_iter)
    if not isinstance(model, keras.Model):
        raise ValueError(
            "`model` must be a Sequential or functional keras.Model. "
            f"Received: model={model!r}"
        )
    layers = _kernel_layers(model)
    if not layers:
        raise ValueError(
            "`model` has no Dense/Conv layer with a `kernel` to initialize. "
            f"Received: model={model.name!r}"
        )
    inputs = _model_inputs(model, layers[0])
    report = []
    for index, layer in enumerate(layers):
        if orthogonal:
            init = keras.initializers.Orthogonal(
                seed=None if seed is None else seed + index
            )
            layer.kernel.assign(
                init(tuple(layer.kernel.shape), dtype=layer.kernel.dtype)
            )
        # One probe per layer computes only the layers up to this one.
        probe = keras.Model(inputs, _layer_output(model, layer))
        report.append(
            _rescale_layer(
                layer,
                probe,
                x,
                target_std=target_std,
                tol=tol,
                max_iter=max_iter,
            )
        )
    return report


def _model_inputs(model, first_layer):
    """Returns the model's symbolic inputs, as `keras.Model` takes them.

    Raises:
        ValueError: when the model has none (a subclassed model, or one
            not built on `keras.Input`).
    """
    try:
        # `model.input` keeps the structure of a functional model's inputs; a
        # Sequential model only has the flat `model.inputs`.
        inputs = (
            model.input if not isinstance(model, keras.Sequential) else None
        )
    except (AttributeError, ValueError):
        inputs = None
    if inputs is None:
        try:
            inputs = model.inputs
        except (AttributeError, ValueError):
            inputs = None
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
    if inputs is None or (isinstance(inputs, (list, tuple)) and not inputs):
        _layer_output(model, first_layer)  # Raises the explanatory error.
        raise ValueError(
            "`lsuv_initialize` needs a Sequential or functional model built "
            f"on `keras.Input`. Received: model={model.name!r} "
            f"({type(model).__name__})"
        )
    return inputs


def _output_std(probe, x):
    """Returns the standard deviation of `probe(x)`, in float64."""
    return float(np.std(keras.ops.convert_to_numpy(probe(x)), dtype=np.float64))


def _rescale_layer(layer, probe, x, *, target_std, tol, max_iter):
    """Rescales `layer`'s kernel until `probe(x)` has `target_std`.

    Returns:
        The layer's entry of `lsuv_initialize`'s report.
    """
    kernel = layer.kernel
    iterations = 0
    std = _output_std(probe, x)
    while abs(std - target_std) > tol and iterations < max_iter:
        if not np.isfinite(std) or std == 0.0:
            logger.warning(
                "LSUV: layer %r has output std %s; it cannot be rescaled.",
                layer.name,
                std,
            )
            break
        kernel.assign(kernel * (target_std / std))
        iterations += 1
        std = _output_std(probe, x)
    converged = abs(std - target_std) <= tol
    if not converged:
        logger.warning(
            "LSUV: layer %r reached output std %.4f after %d rescalings "
            "(target %.4f +- %.4f).",
            layer.name,
            std,
            iterations,
            target_std,
            tol,
        )
    return {
        "layer": layer.name,
        "iterations": iterations,
        "std": std,
        "converged": bool(converged),
    }
