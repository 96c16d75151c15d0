"""`run_init_study`: CS231n's initialization experiment, both ways.

Forward: the activations of every layer for a random input. Backward: a
unit-normal upstream gradient at the last layer, back-propagated to every
layer's output by the backend's autodiff (`backend.value_and_gradients`
through `perturbed_tap_model`'s offsets).
"""

import keras
import numpy as np

from keras_training_kit import backend
from keras_training_kit.diagnostics.reductions import activation_statistics
from keras_training_kit.diagnostics.reductions import histogram_edges
from keras_training_kit.diagnostics.reductions import unpack_statistics
from keras_training_kit.diagnostics.taps import perturbed_tap_model
from keras_training_kit.initializers import KaimingNormal
from keras_training_kit.initializers import XavierNormal
from keras_training_kit.initializers import lsuv_initialize
from keras_training_kit.models import build_deep_mlp
from keras_training_kit.validation import check_int

# name -> (activation, initializer, description)
CONFIGURATIONS = {
    "tanh-randn-0.01": ("tanh", "randn-0.01", "tanh, W = 0.01 * randn"),
    "tanh-randn-1": ("tanh", "randn-1", "tanh, W = 1.0 * randn"),
    "tanh-xavier": ("tanh", "xavier", "tanh, Xavier: randn / sqrt(fan_in)"),
    "relu-xavier": ("relu", "xavier", "ReLU, Xavier: randn / sqrt(fan_in)"),
    "relu-he": ("relu", "he", "ReLU, He: randn * sqrt(2 / fan_in)"),
    "relu-lsuv": ("relu", "lsuv", "ReLU, LSUV (orthonormal, unit output std)"),
}
"""The init study's configurations by name: `(activation, initializer,
description)`, from CS231n's `0.01 * randn` to LSUV
(`run_init_study(configurations=...)`).
"""


def _initializer(kind, seed):
    if kind == "randn-0.01":
        return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
    if kind == "randn-1":
        return keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    if kind == "xavier":
        return XavierNormal(mode="fan_in", seed=seed)
    if kind == "he":
        return KaimingNormal(nonlinearity="relu", seed=seed)
    return keras.initializers.Orthogonal(seed=seed)  # LSUV starts from it.


def run_init_study(
    configurations: list | None = None,
    *,
    num_examples: int = 1000,
    input_dim: int = 500,
    depth: int = 10,
    width: int = 500,
    bins: int = 50,
    seed: int = 0,
) -> dict:
    """Runs CS231n's initialization study and returns its statistics.

    The input is `randn(num_examples, input_dim)`; each configuration builds
    `build_deep_mlp(input_dim, depth, width, use_bias=False)` with its
    activation and initialization, runs the input forward and records, per
    layer, the mean and standard deviation of the activations and their
    histogram; then a unit-normal upstream gradient `randn(num_examples,
    width)` is fed in at the last layer's output and back-propagated, and
    `backprop_std` is the std of the gradient reaching each layer's output
    (1 at the last layer). With the defaults CS231n's numbers come out: tanh
    with `0.01 * randn` collapses (layer-1 std about 0.21, layer-10 about
    3e-7), `1.0 * randn` saturates (about 0.98 everywhere), Xavier keeps
    tanh alive (about 0.23 at layer 10) but halves ReLU's variance per layer
    (about 0.02-0.03 at layer 10), He keeps ReLU at about 0.7-0.9, and LSUV
    holds every layer's std at 1. Backwards, `0.01 * randn` shrinks the
    gradient by about `0.01 * sqrt(width)` per layer (layer 1 about 1e-6),
    Xavier keeps tanh's gradient at about 0.1-1 and He keeps ReLU's near 1,
    while Xavier on ReLU halves it every layer or two.

    Args:
        configurations: list of names of `CONFIGURATIONS` (rows, in order)
            or `None` for all six. Defaults to `None`.
        num_examples: int, rows of the random input. Defaults to `1000`.
        input_dim: int, columns of the random input. Defaults to `500`.
        depth: int, the number of layers. Defaults to `10`.
        width: int, the units per layer. Defaults to `500`.
        bins: int, histogram bins per layer. Defaults to `50`.
        seed: int, seeds the input and every initializer, so the study is
            reproducible. Defaults to `0`.

    Returns:
        A JSON-ready dict: `"settings"` (the arguments) and `"rows"`, one
        per configuration: `{"name", "description", "activation",
        "initializer", "layers": [{"layer": 1, "mean", "std",
        "backprop_std", "histogram": {"counts", "edges"}}, ...]}`; the LSUV
        row adds `"lsuv"`, the `lsuv_initialize` report.

    Raises:
        ValueError: if a configuration name is unknown or a size is not a
            positive int.

    Example:

    >>> study = run_init_study(["tanh-randn-0.01"], num_examples=100)
    >>> layers = study["rows"][0]["layers"]
    >>> [round(layer["std"], 2) for layer in layers[:2]]
    [0.21, 0.05]
    >>> layers[0]["backprop_std"] < 1e-5 < 0.9 < layers[-1]["backprop_std"]
    True
    """
    names = _configuration_names(configurations)
    check_int("num_examples", num_examples)
    check_int("bins", bins)
    x = np.random.default_rng(seed).standard_normal((num_examples, input_dim))
    x = x.astype("float32")
    upstream = np.random.default_rng([seed, 1]).standard_normal(
        (num_examples, width)
    )
    upstream = upstream.astype("float32")
    settings = {
        "num_examples": num_examples,
        "input_dim": input_dim,
        "depth": depth,
        "width": width,
        "bins": bins,
        "seed": seed,
    }
    rows = [_study_row(name, x, upstream, settings) for name in names]
    return {"settings": settings, "rows": rows}


def _configuration_names(configurations):
    """The rows of the study: `configurations` checked, or all of them."""
    names = (
        list(CONFIGURATIONS) if configurations is None else list(configurations)
    )
    unknown = [name for name in names if name not in CONFIGURATIONS]
    if unknown or not names:
        raise ValueError(
            "`configurations` must be a non-empty list of "
            f"{tuple(CONFIGURATIONS)}. "
            f"Received: configurations={configurations!r}"
        )
    return names


def _study_row(name, x, upstream, settings):
    """One configuration's row: its model's figures, forward and backward."""
    activation, kind, description = CONFIGURATIONS[name]
    seed = settings["seed"]
    model = build_deep_mlp(
        settings["input_dim"],
        settings["depth"],
        settings["width"],
        activation=activation,
        kernel_initializer=_initializer(kind, seed),
        use_bias=False,
    )
    row = {
        "name": name,
        "description": description,
        "activation": activation,
        "initializer": kind,
    }
    if kind == "lsuv":
        row["lsuv"] = lsuv_initialize(model, x, seed=seed)
    row["layers"] = _forward_statistics(model, x, settings["bins"])
    backprop = _backprop_stds(model, x, upstream)
    for layer, value in zip(row["layers"], backprop):
        layer["backprop_std"] = value
    return row


def _forward_statistics(model, x, bins):
    """Per hidden layer: the mean, std and histogram of its activations."""
    hidden = [
        layer for layer in model.layers if layer.name.startswith("layer_")
    ]
    probe = keras.Model(model.input, [layer.output for layer in hidden])
    # The statistics of `ActivationStatistics`, as a reference: mean and
    # std in float64, the histogram exactly `np.histogram`'s.
    stats = activation_statistics(
        list(probe(x)), bins, dtype="float64", exact=True
    )
    return [
        {
            "layer": index,
            "mean": layer["mean"],
            "std": layer["std"],
            "histogram": {
                "counts": layer["histogram"].tolist(),
                "edges": histogram_edges(
                    layer["histogram_min"], layer["histogram_max"], bins
                ),
            },
        }
        for index, layer in enumerate(unpack_statistics(stats), start=1)
    ]


def _backprop_stds(model, x, upstream):
    """The std of `upstream`, fed in at the last layer, at every layer."""
    taps, entries, perturbation = perturbed_tap_model(model)
    own = len(taps.outputs) - len(entries)
    hidden = [
        k for k, (name, _) in enumerate(entries) if name.startswith("layer_")
    ]
    slot = {entry: k for k, entry in enumerate(perturbation.entries)}
    last = own + hidden[-1]

    def project(offsets, x, upstream):
        # d/d(output_l) of sum(output_L * upstream) is the gradient that
        # `upstream` at the last layer back-propagates to layer l.
        with perturbation.applied(offsets):
            outputs = taps(x)
        return keras.ops.sum(outputs[last] * upstream), ()

    zeros = [
        keras.ops.zeros((len(x), *shape), dtype=dtype)
        for shape, dtype in zip(perturbation.shapes, perturbation.dtypes)
    ]
    _, _, grads = backend.value_and_gradients(project)(zeros, x, upstream)
    return [
        float(
            np.std(keras.ops.convert_to_numpy(grads[slot[k]]).astype("float64"))
        )
        for k in hidden
    ]
