"""The rules of `diagnose`: which measured figures are a problem, and the fix.

Each rule turns the figures of a `Diagnosis` into `Finding`s, one per kind
and layer, with advice the user can apply as typed: a `ktk train` flag
value that exists, or a Python call. The default bands (`BANDS`) do not
flag healthy set-ups: Adam(1e-3) on Glorot/He layers up to 4,096 units
wide takes a first step of about `lr * sqrt((fan_in + fan_out) / 2)` of
the weights (~6e-2 at 4,096), SGD(0.01) about 1e-3; SGD at lr 50 (~1) and
at 1e-7 (~1e-9) are flagged.
"""

import dataclasses
import math

# The healthy band of a step's update/weight ratio: SGD(0.01) takes ~1e-3
# of the weights (the lecture's rule of thumb), Adam(1e-3) about
# `lr * sqrt((fan_in + fan_out) / 2)` (~6e-2 at 4,096 units); SGD at lr 50
# (~1) and at 1e-7 (~1e-9) fall outside.
UPDATE_RATIO_RANGE = (1e-6, 0.3)

# kind -> threshold. `initial_loss`: relative distance from ln C;
# `vanishing` / `exploding`: the backpropagated std's ratio, first to last
# monitored layer before the output layer; `collapsed`: an activation std
# below it; `saturated` / `dead`: a fraction above it; `update_ratio`: the
# (low, high) band;
# `batch_size`: how many times the batch the noise scale may be.
BANDS = {
    "initial_loss": 0.25,
    "vanishing": 1e-2,
    "exploding": 1e2,
    "collapsed": 1e-3,
    "saturated": 0.25,
    "dead": 0.5,
    "update_ratio": UPDATE_RATIO_RANGE,
    "batch_size": 10.0,
}

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


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem `diagnose` found.

    Attributes:
        kind: str, one of `KINDS`.
        layer: str, the layer's name, or `None` for a model-level kind
            (`initial_loss`, `vanishing_gradients`, `exploding_gradients`,
            `batch_size`).
        value: float, the measured figure (e.g. the initial loss, the
            gradient ratio, the dead fraction, the noise scale).
        advice: str, a fix the user can apply as typed.
    """

    kind: str
    layer: str | None
    value: float
    advice: str

    def to_dict(self) -> dict:
        """The finding as a JSON-ready dict."""
        return dataclasses.asdict(self)


def check_bands(bands) -> dict:
    """`BANDS` updated with `bands`, validated.

    Raises:
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
    low, high = merged["update_ratio"]
    if not 0 < low < high:
        raise ValueError(
            "`bands['update_ratio']` must be (low, high) with 0 < low < "
            f"high. Received: {merged['update_ratio']!r}"
        )
    for key in ("initial_loss", "vanishing", "collapsed", "saturated"):
        if not merged[key] > 0:
            raise ValueError(
                f"`bands[{key!r}]` must be positive. Received: "
                f"{merged[key]!r}"
            )
    if not (0 < merged["dead"] <= 1 and merged["exploding"] > 1):
        raise ValueError(
            "`bands['dead']` must be in (0, 1] and `bands['exploding']` "
            f"above 1. Received: dead={merged['dead']!r}, "
            f"exploding={merged['exploding']!r}"
        )
    if not merged["batch_size"] >= 1:
        raise ValueError(
            "`bands['batch_size']` must be >= 1. Received: "
            f"{merged['batch_size']!r}"
        )
    return merged


def _initializer_for(activation):
    return "glorot_normal" if activation in ("tanh", "sigmoid") else "he_normal"


def _lr(value):
    return f"{float(f'{value:.1g}'):g}"


def find(diagnosis, bands: dict) -> list:
    """The findings of a `Diagnosis`'s figures under `bands`.

    Args:
        diagnosis: a `Diagnosis` (its `layers`, `initial_loss`,
            `expected_loss`, `noise_scale`, `batch_size`,
            `learning_rate` and `activation` attributes are read).
        bands: dict, as `check_bands` returns it.

    Returns:
        list of `Finding`, in the order of `KINDS`, then of the layers.
    """
    findings = []
    init = _initializer_for(diagnosis.activation)
    # Through a sigmoid the gradient shrinks at least 4x per layer,
    # whatever the weights.
    depth_fix = (
        "`--activation relu --initializer he_normal`"
        if diagnosis.activation == "sigmoid"
        else f"`--initializer {init}`"
    )
    layers = diagnosis.layers
    expected, loss = diagnosis.expected_loss, diagnosis.initial_loss
    if expected and loss is not None:
        if abs(loss - expected) > bands["initial_loss"] * expected:
            findings.append(
                Finding(
                    "initial_loss",
                    None,
                    loss,
                    f"the loss before training is {loss:.3g}, expected ln C "
                    f"= {expected:.3g}: the outputs are not near uniform. "
                    f"Re-initialize with `--initializer {init}` (or "
                    "`keras_training_kit.initializers.lsuv_initialize("
                    "model, x)`) and check the last layer's activation "
                    "matches the loss's `from_logits`",
                )
            )
    # The output layer's gradient is the loss's own derivative (for a
    # softmax output, -1/p), not a backpropagated signal: the ratio runs
    # over the layers before it.
    hidden = layers[:-1]
    signals = [row["backprop_std"] for row in hidden if row["backprop_std"]]
    if len(signals) >= 2 and signals[-1] > 0:
        ratio = signals[0] / signals[-1]
        if ratio < bands["vanishing"]:
            findings.append(
                Finding(
                    "vanishing_gradients",
                    None,
                    ratio,
                    f"the backpropagated gradient shrinks {1 / ratio:.3g}x "
                    "from the last hidden layer to the first: use "
                    f"{depth_fix} or `--normalization batch`",
                )
            )
        elif ratio > bands["exploding"]:
            findings.append(
                Finding(
                    "exploding_gradients",
                    None,
                    ratio,
                    f"the backpropagated gradient grows {ratio:.3g}x from "
                    "the last hidden layer to the first: use "
                    f"`--initializer {init}` or `--normalization batch`",
                )
            )
    for row in hidden:
        std = row["activation_std"]
        if std is not None and std < bands["collapsed"]:
            findings.append(
                Finding(
                    "collapsed_activations",
                    row["layer"],
                    std,
                    f"the activations' std is {std:.3g}: the signal dies "
                    f"forward. Use `--initializer {init}` or "
                    "`--normalization batch`",
                )
            )
    for row in hidden:
        fraction = row["saturated_fraction"]
        if fraction is not None and fraction > bands["saturated"]:
            findings.append(
                Finding(
                    "saturated",
                    row["layer"],
                    fraction,
                    f"{fraction:.0%} of the outputs are saturated (local "
                    "gradient ~0): use smaller weights, `--initializer "
                    "glorot_normal`, or `--normalization batch`",
                )
            )
    for row in hidden:
        fraction = row["dead_fraction"]
        if fraction is not None and fraction > bands["dead"]:
            findings.append(
                Finding(
                    "dead_units",
                    row["layer"],
                    fraction,
                    f"{fraction:.0%} of the units output 0 for every "
                    "example: use `--activation leaky_relu` or `--initializer "
                    "he_normal`, and a smaller `--lr` if it grows",
                )
            )
    low, high = bands["update_ratio"]
    lr = diagnosis.learning_rate
    vanishing = any(f.kind == "vanishing_gradients" for f in findings)
    for kind, test in (
        ("update_ratio_high", lambda r: r > high),
        ("update_ratio_low", lambda r: r < low),
    ):
        for row in layers:
            ratio = row["update_ratio"]
            if ratio is None or not test(ratio):
                continue
            fix = (
                f"try `--lr {_lr(lr * 1e-3 / ratio)}`"
                if lr and ratio > 0
                else "try a different `--lr`"
            )
            if kind == "update_ratio_low" and vanishing:
                # A larger learning rate would blow up the later layers.
                fix = (
                    "it follows from the vanishing gradients: fix those "
                    "first rather than raising `--lr`"
                )
            findings.append(
                Finding(
                    kind,
                    row["layer"],
                    ratio,
                    f"an update changes the kernel by {ratio:.3g} of its "
                    "norm (healthy: ~1e-3 with SGD, up to ~1e-1 with Adam): "
                    + fix,
                )
            )
    noise = diagnosis.noise_scale
    batch = diagnosis.batch_size
    if noise is not None and noise > bands["batch_size"] * batch:
        steps = math.ceil(noise / batch)
        findings.append(
            Finding(
                "batch_size",
                None,
                noise,
                f"the gradient noise scale is {noise:.3g} examples, "
                f"{noise / batch:.3g}x the batch of {batch}: larger batches "
                f"still pay off. Use `--accumulate {steps}` (or "
                f"`--batch-size {steps * batch}` if memory allows)",
            )
        )
    return findings
