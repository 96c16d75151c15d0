"""The one rule set of the diagnostics: measured figures -> findings.

`diagnose`, `GradientStatistics` and `ActivationStatistics` measure a model
in their own ways; each turns one measurement into `Figures` and asks
`find` what is wrong. Every rule is a small function of the figures and
the bands (`BANDS`) returning a `Finding` or `None`, so the same figures
give the same kinds, bands and words whichever tool measured them.

A finding's fix is structured (`Finding.fix`: arguments of
`build_mlp`/`build_cnn` or a Keras layer, of the optimizer, or of `fit`)
and its advice is written in the words of the Python API; only `ktk`
renders fixes as command-line flags.
"""

import math

from keras_training_kit.diagnostics.findings import LAYER_FIGURES  # noqa: F401
from keras_training_kit.diagnostics.findings import Figures
from keras_training_kit.diagnostics.findings import Finding
from keras_training_kit.diagnostics.findings import python_fix  # noqa: F401
from keras_training_kit.models.blocks import OUTPUT_INITIALIZER

# The healthy band of a step's update/weight ratio: SGD(0.01) takes ~1e-3
# of the weights (CS231n's rule of thumb), Adam(1e-3) about
# `lr * sqrt((fan_in + fan_out) / 2)` (~6e-2 at 4,096 units); SGD at lr 50
# (~1) and at 1e-7 (~1e-9) fall outside.
UPDATE_RATIO_RANGE = (1e-6, 0.3)

BANDS = {
    "initial_loss": 0.25,
    "vanishing": 1e-2,
    "exploding": 1e2,
    "collapsed": 1e-3,
    "saturated": 0.5,
    "dead": 0.5,
    "update_ratio": UPDATE_RATIO_RANGE,
    "batch_size": 10.0,
}
"""The thresholds of the rules, by kind (`find(figures, bands=...)`
overrides some):

- `initial_loss`: the loss's relative distance from ln C (before training
  only);
- `vanishing` / `exploding`: the ratio of the backpropagated std, first to
  last hidden monitored layer;
- `collapsed`: an activation std below it;
- `saturated` / `dead`: a fraction of the layer above it;
- `update_ratio`: the `(low, high)` band of a step's update/weight ratio;
- `batch_size`: how many times the training batch the gradient noise scale
  may be.
"""

# The fewest optimizer updates an epoch the batch-size advice may leave.
UPDATES_PER_EPOCH = 10

KINDS = (
    "initial_loss",
    "vanishing_gradients",
    "exploding_gradients",
    "collapsed_activations",
    "saturated",
    "dead_units",
    "update_ratio_high",
    "update_ratio_low",
    "batch_size",
)
"""Every kind of `Finding`, in the order `find` returns them."""


def check_bands(bands) -> dict:
    """`BANDS` updated with `bands`, validated.

    Raises:
        TypeError: for `bands` that is not a dict.
        ValueError: for an unknown key or a value out of its domain.
    """
    merged = dict(BANDS)
    if bands is None:
        return merged
    if not isinstance(bands, dict):
        raise TypeError(
            f"`bands` must be None or a dict with keys of {tuple(BANDS)}. "
            f"Received: bands={bands!r}"
        )
    unknown = sorted(set(bands) - set(BANDS))
    if unknown:
        raise ValueError(
            f"`bands` has unknown keys {unknown}; allowed: {tuple(BANDS)}. "
            f"Received: bands={bands!r}"
        )
    merged.update(bands)
    ratio = merged["update_ratio"]
    if not (
        isinstance(ratio, (tuple, list))
        and len(ratio) == 2
        and 0 <= ratio[0] < ratio[1]
    ):
        raise ValueError(
            "`bands['update_ratio']` must be (low, high) with 0 <= low < "
            f"high. Received: {ratio!r}"
        )
    merged["update_ratio"] = tuple(float(v) for v in ratio)
    for key in ("initial_loss", "vanishing", "collapsed"):
        if not merged[key] > 0:
            raise ValueError(
                f"`bands[{key!r}]` must be positive. Received: "
                f"{merged[key]!r}"
            )
    for key in ("saturated", "dead"):
        if not 0 < merged[key] < 1:
            raise ValueError(
                f"`bands[{key!r}]` must be in (0, 1). Received: "
                f"{merged[key]!r}"
            )
    if not (merged["exploding"] > 1 and merged["batch_size"] >= 1):
        raise ValueError(
            "`bands['exploding']` must be above 1 and `bands['batch_size']` "
            f">= 1. Received: exploding={merged['exploding']!r}, "
            f"batch_size={merged['batch_size']!r}"
        )
    return merged


def initializer_for(activation: str) -> str:
    """The Keras initializer name that keeps `activation`'s signal's scale."""
    return "glorot_normal" if activation in ("tanh", "sigmoid") else "he_normal"


def _finding(figures, kind, layer, value, problem, fix, *alternatives):
    examples = figures.examples
    if kind == "batch_size":
        examples = figures.noise_examples or examples
    return Finding(
        kind,
        layer,
        float(value),
        problem,
        dict(fix),
        tuple(dict(a) for a in alternatives),
        figures.step,
        int(examples),
    )


# ----------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------


def initial_loss(figures: Figures, bands: dict) -> Finding | None:
    """The loss before training should be about ln C.

    With small output weights a classifier's softmax is near uniform, so
    its cross-entropy starts at ln C (CS231n's first sanity check).
    A loss far from it at initialization means outputs that are confident
    before learning anything: output weights (or inputs) too large, or an
    output activation that does not match the loss's `from_logits`. The
    fix starts the output layer as the package's builders do
    (`models.blocks.OUTPUT_INITIALIZER`, LeCun normal with a tenth of its
    variance): their default models start at 2.28-2.44 against
    ln 10 = 2.30 (digits and MNIST-1D, seeds 0-9); with Glorot there they
    would start at 2.4-4.4. The rule applies only before training: a
    trained model's loss is reported, never advised on.
    """
    expected, loss = figures.expected_loss, figures.initial_loss
    if figures.trained or not expected or loss is None:
        return None
    if abs(loss - expected) <= bands["initial_loss"] * expected:
        return None
    return _finding(
        figures,
        "initial_loss",
        figures.output_layer,
        loss,
        f"the loss before training is {loss:.3g}, expected ln C = "
        f"{expected:.3g}: the outputs are not near uniform. Start the output "
        "layer with small weights, and check its activation matches the "
        "loss's `from_logits`",
        {"kernel_initializer": OUTPUT_INITIALIZER},
    )


def _hidden(figures):
    # The output layer's gradient is the loss's own derivative (for a
    # softmax output, -1/p), not a backpropagated signal.
    rows = figures.layers
    if (
        figures.output_layer
        and rows
        and rows[-1]["layer"] == figures.output_layer
    ):
        return rows[:-1]
    return rows


def gradient_flow(figures: Figures, bands: dict) -> Finding | None:
    """The backpropagated signal should keep its scale through depth.

    The ratio of the backpropagated std at the first hidden monitored
    layer to the last one; through a sigmoid it shrinks at least 4x per
    layer whatever the weights, so the fix there is another activation.
    """
    signals = [
        row.get("backprop_std")
        for row in _hidden(figures)
        if row.get("backprop_std")
    ]
    if len(signals) < 2 or not signals[-1] > 0:
        return None
    ratio = signals[0] / signals[-1]
    init = {"kernel_initializer": initializer_for(figures.activation)}
    if ratio < bands["vanishing"]:
        fix = init
        if figures.activation == "sigmoid":
            fix = {"activation": "relu", "kernel_initializer": "he_normal"}
        return _finding(
            figures,
            "vanishing_gradients",
            None,
            ratio,
            f"the backpropagated gradient shrinks {1 / ratio:.3g}x from the "
            "last hidden layer to the first",
            fix,
            {"normalization": "batch"},
        )
    if ratio > bands["exploding"]:
        return _finding(
            figures,
            "exploding_gradients",
            None,
            ratio,
            f"the backpropagated gradient grows {ratio:.3g}x from the last "
            "hidden layer to the first",
            init,
            {"normalization": "batch"},
        )
    return None


def dead_units(figures: Figures, row: dict, bands: dict) -> Finding | None:
    """Units that output 0 for every example get no gradient.

    The band (half the layer) sits above what healthy ReLU nets show: the
    default CNN's dense layer on digits has 0.16-0.40 of its units silent
    at initialization and 0.34-0.38 after `ktk train`'s 30 epochs (seeds
    0-2). A Glorot output layer would take it to 0.469, which is why the
    builders start the head small rather than the band being higher.
    """
    fraction = row.get("dead_fraction")
    if fraction is None or not fraction > bands["dead"]:
        return None
    alternatives = [{"kernel_initializer": "he_normal"}]
    if figures.trained and figures.learning_rate:
        # Units that die while training were pushed there by large steps.
        alternatives = [{"learning_rate": _round(figures.learning_rate / 10)}]
    return _finding(
        figures,
        "dead_units",
        row["layer"],
        fraction,
        f"{fraction:.0%} of the units output 0 for every example",
        {"activation": "leaky_relu"},
        *alternatives,
    )


def collapsed(figures: Figures, row: dict, bands: dict) -> Finding | None:
    """An activation std near 0: the signal dies on its way forward.

    Not reported for a layer with dead units: that finding says more.
    """
    std = row.get("activation_std")
    dead = row.get("dead_fraction")
    if std is None or not std < bands["collapsed"]:
        return None
    if dead is not None and dead > bands["dead"]:
        return None
    return _finding(
        figures,
        "collapsed_activations",
        row["layer"],
        std,
        f"the activations' std is {std:.3g}: the signal dies forward",
        {"kernel_initializer": initializer_for(figures.activation)},
        {"normalization": "batch"},
    )


def saturated(figures: Figures, row: dict, bands: dict) -> Finding | None:
    """tanh/sigmoid outputs pinned at their limits pass no gradient.

    The band (half the outputs) on evidence: healthy Glorot tanh/sigmoid
    MLPs start at ~0 saturated and reach 0.37-0.41 while training on
    MNIST-1D (0.20 on digits), where `N(0, 1)` weights start at 0.63-0.86
    in their worst layer; a band of 0.25 warned on healthy training runs.
    """
    fraction = row.get("saturated_fraction")
    if fraction is None or not fraction > bands["saturated"]:
        return None
    return _finding(
        figures,
        "saturated",
        row["layer"],
        fraction,
        f"{fraction:.0%} of the outputs are saturated (local gradient ~0)",
        {"kernel_initializer": "glorot_normal"},
        {"normalization": "batch"},
    )


def update_ratio(
    figures: Figures, row: dict, bands: dict, vanishing: bool = False
) -> Finding | None:
    """A kernel update should change it by ~1e-3 of its norm.

    The fix scales the learning rate to bring the ratio to 1e-3 (CS231n's
    rule of thumb). A ratio too low only in the first layers
    under vanishing gradients follows from them: raising the learning
    rate would blow up the later layers, so the advice is to fix those.
    """
    ratio = row.get("update_ratio")
    low, high = bands["update_ratio"]
    if ratio is None or not math.isfinite(ratio):
        return None
    # Below a schedule's peak (warm-up, annealing: one-cycle ends 1e5
    # times lower by design) an update is as much smaller; it is judged at
    # the peak, the rate `--lr` sets.
    lr = figures.learning_rate
    peak = figures.peak_learning_rate or lr
    at_peak = ratio * peak / lr if lr and peak and peak > lr else ratio
    if low <= at_peak <= high:
        return None
    kind = "update_ratio_high" if at_peak > high else "update_ratio_low"
    problem = (
        f"an update changes the kernel by {ratio:.3g} of its norm (healthy: "
        "~1e-3 with SGD, up to ~1e-1 with Adam)"
    )
    if at_peak != ratio:
        problem += f"; {at_peak:.3g} at the schedule's peak rate"
        lr, ratio = peak, at_peak
    fix = {}
    if kind == "update_ratio_low" and vanishing:
        problem += (
            ": it follows from the vanishing gradients, fix those first "
            "rather than raising the learning rate"
        )
    elif lr and ratio > 0:
        fix = {"learning_rate": _round(lr * 1e-3 / ratio)}
    else:
        problem += ": try another learning rate"
    return _finding(figures, kind, row["layer"], ratio, problem, fix)


def batch_size(figures: Figures, bands: dict) -> Finding | None:
    """A training batch far below the gradient noise scale wastes steps.

    McCandlish et al. (2018): up to about the noise scale `B_simple`, a
    larger batch shortens training almost proportionally, for the same
    examples. The advice accumulates gradients up to the noise scale.
    Where the training set's size is known, the advised batch must leave
    at least `UPDATES_PER_EPOCH` updates an epoch: the trade-off assumes
    training to a target loss with steps to spare, which a few updates an
    epoch do not give. Measured on `ktk train`'s defaults (digits, 1,293
    training examples, batch 32, noise scale 240-450 examples at
    initialization and ~310-410 trained): following the advice
    (`--accumulate 13`, 3 updates an epoch) lowered the test accuracy at
    the same 30 epochs from 0.9917 to 0.9694 (a batch of 416: 0.9667;
    it took 120 epochs, 4x the examples for 3.4x fewer updates, to reach
    0.9917 again): on a set that small, steps are not what limits.
    The estimate is advice only when it rests on more examples than its
    value (otherwise `note` says so).
    """
    noise, steps = figures.noise_scale, figures.gradient_accumulation_steps
    if noise is None or not figures.batch_size or not math.isfinite(noise):
        return None
    batch = figures.batch_size * steps
    if noise <= bands["batch_size"] * batch or not _noise_is_advice(figures):
        return None
    wanted = math.ceil(noise / figures.batch_size)
    examples = figures.training_examples
    if examples and wanted * figures.batch_size * UPDATES_PER_EPOCH > examples:
        return None
    return _finding(
        figures,
        "batch_size",
        None,
        noise,
        f"the gradient noise scale is {noise:.3g} examples, "
        f"{noise / batch:.3g}x the training batch of {batch}: larger "
        "batches still pay off",
        {"gradient_accumulation_steps": wanted},
        {"batch_size": wanted * figures.batch_size},
    )


def _noise_is_advice(figures):
    count = figures.noise_examples or figures.examples
    return figures.noise_scale < count


def note(figures: Figures) -> str | None:
    """Why a noise-scale estimate is not advice, or `None`."""
    noise = figures.noise_scale
    if noise is None or not math.isfinite(noise) or _noise_is_advice(figures):
        return None
    count = figures.noise_examples or figures.examples
    return (
        f"the gradient noise scale estimate ({noise:.3g} examples) rests "
        f"on only {count} examples: measure on more than {math.ceil(noise)} "
        "examples before changing the batch size"
    )


def find(figures: Figures, bands: dict | None = None) -> list:
    """Every rule on `figures`.

    Args:
        figures: a `Figures`.
        bands: dict overriding entries of `BANDS`, or `None`. Defaults to
            `None`.

    Returns:
        list of `Finding`, in the order of `KINDS`, then of the layers.

    Example:

    >>> figures = Figures(
    ...     layers=[{"layer": "dense", "dead_fraction": 0.75}], examples=256)
    >>> print(find(figures)[0].advice)
    75% of the units output 0 for every example: use \
`activation='leaky_relu'` (or `kernel_initializer='he_normal'`) (measured \
before training on 256 examples)
    """
    bands = check_bands(bands)
    found = [initial_loss(figures, bands), gradient_flow(figures, bands)]
    vanishing = found[1] is not None and found[1].kind == "vanishing_gradients"
    hidden = _hidden(figures)
    for rule in (collapsed, saturated, dead_units):
        found += [rule(figures, row, bands) for row in hidden]
    rows = figures.layers
    ratios = [update_ratio(figures, row, bands, vanishing) for row in rows]
    found += [f for f in ratios if f and f.kind == "update_ratio_high"]
    found += [f for f in ratios if f and f.kind == "update_ratio_low"]
    found.append(batch_size(figures, bands))
    return [f for f in found if f is not None]


def _round(value):
    return float(f"{value:.1g}")
