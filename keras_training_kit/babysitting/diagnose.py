"""`diagnose`: one call that says why the loss may not go down.

The forward and the backward pass of a compiled model on a few examples,
before or during training, reduced to per-layer figures (activations,
backpropagated gradients, kernel gradients, the optimizer's next step),
the initial loss against ln C, the gradient noise scale, and `findings`
with advice (`diagnostics/rules.py`). Nothing the model or its optimizer holds
changes: the passes read the variables through a `keras.StatelessScope`
(`GradientProbe`) and the next step is taken by a copy of the optimizer
on copies of the weights.
"""

import dataclasses
import json
import math

import keras
import numpy as np

from keras_training_kit import keras_compat
from keras_training_kit.diagnostics.gradient_probe import shared_probe
from keras_training_kit.diagnostics.noise_scale import noise_scale
from keras_training_kit.diagnostics.noise_scale import two_batch_estimates
from keras_training_kit.diagnostics.rules import Figures
from keras_training_kit.diagnostics.rules import Finding
from keras_training_kit.diagnostics.rules import check_bands
from keras_training_kit.diagnostics.rules import find
from keras_training_kit.diagnostics.rules import note
from keras_training_kit.diagnostics.taps import first_activation
from keras_training_kit.diagnostics.taps import output_layer_name
from keras_training_kit.diagnostics.training_state import optimizer_updates
from keras_training_kit.diagnostics.training_state import peak_learning_rate
from keras_training_kit.validation import check_int

COLUMNS = (
    "activation_mean",
    "activation_std",
    "dead_fraction",
    "saturated_fraction",
    "backprop_std",
    "gradient_norm",
    "weight_norm",
    "update_ratio",
)


@dataclasses.dataclass
class Diagnosis:
    """The result of `diagnose`.

    Attributes:
        layers: list of dicts, one per monitored layer: `"layer"` (its
            name, `"outer/inner"` in nested models) and the `COLUMNS`
            (`None` where a value does not apply, e.g. a layer without a
            kernel, or gradients without targets).
        loss: float, the compiled loss's mean over the examples (`None`
            without targets).
        expected_loss: float, ln C for a classifier (C classes), else
            `None`.
        noise_scale: float, McCandlish et al.'s `B_simple` in examples,
            or `None` (no targets, a single micro-batch, or an estimate of
            `|G|^2` that is not positive).
        findings: list of `Finding`.
        batch_size: int, the training batch advised on (per step).
        examples: int, the examples measured on.
        learning_rate: float, the peak of the optimizer's learning rate (its
            rate when constant), or
            `None`.
        activation: str, the monitored layers' first activation (for the
            advice).
        trained: bool, whether the model's optimizer has applied an update
            (`iterations > 0`; a saved model keeps its optimizer). The
            initial-loss check applies only to an untrained model.
        step: int or `None`, the batches the model was trained on (`None`:
            not trained).
        gradient_accumulation_steps: int, the batches per optimizer update
            advised on.
        training_examples: int or `None`, the training set's size.
        notes: list of str, what was measured but is not advice (e.g. a
            noise-scale estimate resting on too few examples).
    """

    layers: list
    loss: float | None
    expected_loss: float | None
    noise_scale: float | None
    findings: list
    batch_size: int
    examples: int
    learning_rate: float | None = None
    activation: str = "relu"
    trained: bool = False
    step: int | None = None
    gradient_accumulation_steps: int = 1
    training_examples: int | None = None
    notes: list = dataclasses.field(default_factory=list)

    @property
    def initial_loss(self) -> float | None:
        """The loss before training: `loss` of an untrained model."""
        return None if self.trained else self.loss

    def to_dict(self) -> dict:
        """The JSON-ready report: findings, layers and the model figures.

        A value that is not finite (a NaN loss) becomes `None`, so the
        report is valid JSON.
        """
        return _finite(
            {
                "findings": [f.to_dict() for f in self.findings],
                "notes": list(self.notes),
                "layers": [dict(row) for row in self.layers],
                "loss": self.loss,
                "initial_loss": self.initial_loss,
                "expected_loss": self.expected_loss,
                "trained": self.trained,
                "step": self.step,
                "noise_scale": self.noise_scale,
                "batch_size": self.batch_size,
                "gradient_accumulation_steps": (
                    self.gradient_accumulation_steps
                ),
                "training_examples": self.training_examples,
                "examples": self.examples,
                "learning_rate": self.learning_rate,
            }
        )

    def to_json(self, path) -> None:
        """Writes `to_dict()` to `path` as JSON (`null` for `None`)."""
        with open(path, "w") as file:
            json.dump(self.to_dict(), file, indent=2, allow_nan=False)
            file.write("\n")

    def summary_lines(self) -> list:
        """The lines under the table: the loss, the noise scale, notes."""
        loss = "n/a" if self.loss is None else f"{self.loss:.4g}"
        if self.trained:
            loss = f"loss {loss} (trained {self.step} steps)"
        else:
            loss = f"initial loss {loss}"
            if self.expected_loss is not None:
                loss += f" (expected ln C = {self.expected_loss:.4g})"
        noise = "n/a" if self.noise_scale is None else f"{self.noise_scale:.3g}"
        batch = f"batch {self.batch_size}"
        if self.gradient_accumulation_steps > 1:
            batch += f" x {self.gradient_accumulation_steps} accumulated"
        lines = [
            f"{loss}; gradient noise scale {noise} examples ({batch}, "
            f"{self.examples} examples measured)"
        ]
        return lines + [f"note: {n}" for n in self.notes]

    def __str__(self) -> str:
        return self.text()

    def text(self, render_advice=None) -> str:
        """The table, the model figures and the findings, as lines.

        Args:
            render_advice: `None` (each finding's `advice`) or a function
                of a `Finding` returning its advice in other words.
                Defaults to `None`.
        """
        heads = ("layer", "act mean", "act std", "dead", "saturated")
        heads += ("backprop", "grad norm", "w norm", "update")
        width = max([len("layer")] + [len(r["layer"]) for r in self.layers])
        lines = [
            f"{heads[0]:<{width}}" + "".join(f"{h:>11}" for h in heads[1:])
        ]
        for row in self.layers:
            cells = "".join(f"{_cell(row[c]):>11}" for c in COLUMNS)
            lines.append(f"{row['layer']:<{width}}{cells}")
        lines += self.summary_lines()
        if not self.findings:
            lines.append("no finding")
        for finding in self.findings:
            where = f" [{finding.layer}]" if finding.layer else ""
            advice = render_advice(finding) if render_advice else None
            lines.append(f"- {finding.kind}{where}: {advice or finding.advice}")
        return "\n".join(lines)


def _finite(value):
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cell(value):
    return "-" if value is None else f"{value:.3g}"


def _arrays(name, value):
    try:
        return keras.tree.map_structure(np.asarray, value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`{name}` must be an array or a structure of arrays. "
            f"Received: {name}={type(value).__name__}"
        ) from error


def _examples(x):
    lengths = {len(a) for a in keras.tree.flatten(x)}
    if len(lengths) != 1:
        raise ValueError(
            "Every input of `x` must have the same number of examples. "
            f"Received lengths: {sorted(lengths)}"
        )
    return lengths.pop()


def _take(value, start, stop):
    if value is None:
        return None
    return keras.tree.map_structure(lambda a: a[start:stop], value)


def expected_loss(model) -> float | None:
    """ln C for a classifier compiled with a cross-entropy, else `None`."""
    loss = model.loss
    name = loss if isinstance(loss, str) else None
    if name is None:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    name = str(name)
    outputs = (
        model.outputs
        if not isinstance(model, keras.Sequential)
        else [model.layers[-1].output]
    )
    if len(outputs) != 1:
        return None
    if "binary_crossentropy" in name or "binary_focal" in name:
        return math.log(2.0)
    if "categorical_crossentropy" in name:
        classes = outputs[0].shape[-1]
        return math.log(classes) if classes and classes > 1 else None
    return None


def _next_step(optimizer, trainable, grads):
    """The weights after the optimizer's next step, taken on copies.

    A copy of the optimizer (its config, without gradient accumulation,
    under which the next call would only accumulate; the inner optimizer
    of a `LossScaleOptimizer`, as the gradients are not scaled) starts
    from the optimizer's current state when it is built (moments,
    `iterations`) and applies `grads` to copies of the weights.
    """
    if optimizer is None:
        return None
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    # A momentum that `OneCycleMomentum` made a variable is copied as the
    # float it holds now (the copy's config takes floats only).
    cycled = [
        (name, getattr(optimizer, name))
        for name in ("beta_1", "momentum")
        if isinstance(getattr(optimizer, name, None), keras.Variable)
    ]
    config = optimizer.get_config()
    config["gradient_accumulation_steps"] = None
    # A schedule's step is taken at its peak (see `peak_learning_rate`).
    config["learning_rate"] = peak_learning_rate(optimizer)
    for name, variable in cycled:
        config[name] = float(keras.ops.convert_to_numpy(variable))
    copy = type(optimizer).from_config(config)
    # Copies of the values: a variable made from a tensor may share its
    # memory (PyTorch).
    weights = [
        keras.Variable(
            keras.ops.convert_to_numpy(v.value), dtype=v.dtype, name=v.name
        )
        for v in trainable
    ]
    copy.build(weights)
    sources = [
        v
        for v in optimizer.variables
        if not any(v is variable for _, variable in cycled)
    ]
    shapes = [tuple(v.shape) for v in sources]
    if optimizer.built and shapes == [tuple(v.shape) for v in copy.variables]:
        for target, source in zip(copy.variables, sources):
            target.assign(source.value)
    copy.apply(grads, weights)
    return [keras.ops.convert_to_numpy(w.value) for w in weights]


def _norm(tensor):
    value = keras.ops.convert_to_numpy(tensor).astype("float64")
    return float(np.sqrt(np.sum(np.square(value))))


def diagnose(
    model: keras.Model,
    x,
    y=None,
    *,
    batch_size: int = 32,
    sample_weight=None,
    layers=None,
    bands: dict | None = None,
    jit_compile: bool = False,
    gradient_accumulation_steps: int | None = None,
    training_examples: int | None = None,
) -> Diagnosis:
    """Checks a compiled model's forward and backward pass before training.

    The examples `x` (and targets `y`) are cut into micro-batches of
    `batch_size`; each runs forward in training mode, as `fit` runs it,
    and its compiled loss is differentiated with the backend's autodiff
    (TensorFlow, JAX or PyTorch). Per monitored layer it reports the
    activations' mean, std, dead and saturated fractions; `backprop_std`,
    the std of the per-example loss's gradient with respect to the
    layer's output (it does not shrink with the number of examples);
    `gradient_norm`, the norm of the kernel's gradient of the mean loss
    over all of `x` (exact: the examples-weighted mean of the micro-batch
    gradients); `weight_norm`; and `update_ratio`, the norm of the
    optimizer's next step with that gradient (computed on copies of its
    current state, applied to copies of the weights) over the weight norm.
    The activation and backprop figures are averaged over the
    micro-batches, weighted by their examples.

    The gradient noise scale is McCandlish et al. (2018, appendix A)'s
    unbiased two-batch estimate of `B_simple = tr(Sigma) / |G|^2` from
    the full micro-batches (`B_small = batch_size`) and all of `x`
    (`B_big`): `|G|^2 ~ (B_big |G_big|^2 - B_small |G_small|^2) /
    (B_big - B_small)` and `tr(Sigma) ~ (|G_small|^2 - |G_big|^2) /
    (1 / B_small - 1 / B_big)`. A batch far below it wastes steps.

    The findings come from the rule set of
    `keras_training_kit.diagnostics.rules`, as the statistics callbacks'
    warnings do. A model whose optimizer has applied an update is
    `trained`: its loss is reported, but not judged against ln C. The
    noise scale is advice only when it rests on more examples than its
    value (otherwise a line of `notes` says so).

    Afterwards every variable of the model and of its optimizer
    (weights, BatchNormalization statistics, seed generators,
    `iterations`) is bit-for-bit unchanged.

    Args:
        model: a compiled Sequential or functional `keras.Model`.
        x: the examples measured on: an array or a structure of arrays.
        y: the targets, or `None` (then only the forward figures).
            Defaults to `None`.
        batch_size: int, the training batch (per step) it advises on.
            Defaults to `32`.
        sample_weight: `None` or per-example weights. Defaults to `None`.
        layers: which layers to monitor: `None` (every layer with a kernel
            or an activation), a regex or a list of names. Defaults to
            `None`.
        bands: dict overriding entries of
            `keras_training_kit.diagnostics.BANDS` (the limits of each
            finding). Defaults to `None`.
        jit_compile: bool, compile with XLA under TensorFlow. Defaults to
            `False`.
        gradient_accumulation_steps: int or `None`, the batches per
            optimizer update advised on; `None` reads the model's
            optimizer (1 without accumulation). Defaults to `None`.
        training_examples: int or `None`, the training set's size: the
            batch-size advice never exceeds it. Defaults to `None`.

    Returns:
        A `Diagnosis`.

    Raises:
        ValueError: for a model without a compiled loss (with `y`), `x`
            and `y` of different lengths, a bad `batch_size` or `bands`.
        TypeError: for `x` or `y` that are not arrays.

    Example:

    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((8,)),
    ...     keras.layers.Dense(16, activation="relu", name="hidden"),
    ...     keras.layers.Dense(3, activation="softmax", name="out")])
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((128, 8)).astype("float32")
    >>> y = rng.integers(0, 3, 128)
    >>> diagnosis = diagnose(model, x, y, batch_size=32)
    >>> [row["layer"] for row in diagnosis.layers], diagnosis.findings
    (['hidden', 'out'], [])
    >>> round(diagnosis.expected_loss, 3)
    1.099
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a keras.Model. Received: "
            f"model={type(model).__name__}"
        )
    check_int("batch_size", batch_size, minimum=1)
    check_int(
        "gradient_accumulation_steps",
        gradient_accumulation_steps,
        allow_none=True,
    )
    check_int("training_examples", training_examples, allow_none=True)
    bands = check_bands(bands)
    x, y, sample_weight, count = _checked_examples(x, y, sample_weight)
    probe = shared_probe(model, layers, jit_compile=jit_compile)
    passes = _Passes(probe, count)
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        passes.add(
            _take(x, start, stop),
            _take(y, start, stop),
            _take(sample_weight, start, stop),
            full=stop - start == batch_size,
        )
    trainable = list(model.trainable_variables)
    report = passes.rows(model.optimizer, trainable)
    noise = passes.noise_scale(batch_size)
    optimizer = getattr(model, "optimizer", None)
    updates = optimizer_updates(model)
    if gradient_accumulation_steps is None:
        gradient_accumulation_steps = _accumulation(optimizer)
    diagnosis = Diagnosis(
        layers=report,
        loss=None if y is None else passes.loss,
        expected_loss=expected_loss(model),
        noise_scale=noise,
        findings=[],
        batch_size=batch_size,
        examples=count,
        learning_rate=peak_learning_rate(optimizer),
        activation=first_activation(probe.layers),
        trained=updates > 0,
        step=keras_compat.optimizer_steps(optimizer) if updates else None,
        gradient_accumulation_steps=gradient_accumulation_steps,
        training_examples=training_examples,
    )
    figures = _figures(diagnosis, model)
    diagnosis.findings = find(figures, bands)
    diagnosis.notes = [n for n in [note(figures)] if n]
    return diagnosis


def _checked_examples(x, y, sample_weight):
    """`(x, y, sample_weight, count)` as arrays, checked."""
    x = _arrays("x", x)
    count = _examples(x)
    if count == 0:
        raise ValueError("`x` holds no example. Received: 0 examples")
    if y is not None:
        y = _arrays("y", y)
        if _examples(y) != count:
            raise ValueError(
                "`x` and `y` must hold the same number of examples. "
                f"Received: {count} and {_examples(y)}"
            )
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)
    return x, y, sample_weight, count


def _accumulation(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    return int(getattr(optimizer, "gradient_accumulation_steps", None) or 1)


def _figures(diagnosis, model):
    """The rules' view of a `Diagnosis`."""
    return Figures(
        layers=diagnosis.layers,
        examples=diagnosis.examples,
        step=diagnosis.step,
        initial_loss=diagnosis.loss,
        expected_loss=diagnosis.expected_loss,
        trained=diagnosis.trained,
        noise_scale=diagnosis.noise_scale,
        noise_examples=diagnosis.examples,
        batch_size=diagnosis.batch_size,
        gradient_accumulation_steps=diagnosis.gradient_accumulation_steps,
        training_examples=diagnosis.training_examples,
        learning_rate=diagnosis.learning_rate,
        activation=diagnosis.activation,
        output_layer=output_layer_name(model),
    )


class _Passes:
    """The micro-batches' figures, summed weighted by their examples."""

    def __init__(self, probe, count):
        self.probe = probe
        self.count = count
        self.totals = [dict.fromkeys(COLUMNS[:5], 0.0) for _ in probe.names]
        self.known = [dict.fromkeys(COLUMNS[:5], False) for _ in probe.names]
        self.mean_grads = None
        self.loss = 0.0
        self.small = []  # |G_small|^2 of each full micro-batch

    def add(self, x, y, sample_weight, full):
        weight = len(keras.tree.flatten(x)[0]) / self.count
        if y is None:
            rows = self.probe.activations(x)
        else:
            step = self.probe(x, y, sample_weight)
            rows = step["layers"]
            self.loss += weight * step["loss"]
            scaled = [g * weight for g in step["gradients"]]
            self.mean_grads = (
                scaled
                if self.mean_grads is None
                else [a + b for a, b in zip(self.mean_grads, scaled)]
            )
            if full:
                self.small.append(float(np.sum(step["squared_norms"])))
        for total, seen, row in zip(self.totals, self.known, rows):
            for key in total:
                if row.get(key) is not None:
                    total[key] += weight * row[key]
                    seen[key] = True

    def rows(self, optimizer, trainable):
        """One row of `COLUMNS` per monitored layer."""
        after = None
        if self.mean_grads is not None:
            after = _next_step(optimizer, trainable, self.mean_grads)
        report = []
        for k, name in enumerate(self.probe.names):
            row = {"layer": name}
            for key in COLUMNS[:5]:
                row[key] = self.totals[k][key] if self.known[k][key] else None
            row.update(
                self._kernel_row(self.probe.kernel_index[k], trainable, after)
            )
            report.append(row)
        return report

    def _kernel_row(self, index, trainable, after):
        row = dict.fromkeys(("gradient_norm", "weight_norm", "update_ratio"))
        if index is None:
            return row
        row["weight_norm"] = _norm(trainable[index].value)
        if self.mean_grads is None:
            return row
        row["gradient_norm"] = _norm(self.mean_grads[index])
        if after is not None and row["weight_norm"] > 0:
            change = keras.ops.subtract(
                keras.ops.cast(after[index], "float32"),
                keras.ops.cast(trainable[index].value, "float32"),
            )
            row["update_ratio"] = _norm(change) / row["weight_norm"]
        return row

    def noise_scale(self, batch_size):
        """McCandlish's two-batch estimate, or `None`."""
        if self.mean_grads is None or not self.small:
            return None
        if self.count <= batch_size:
            return None
        big = sum(_norm(g) ** 2 for g in self.mean_grads)
        estimate = two_batch_estimates(
            float(np.mean(self.small)), big, batch_size, self.count
        )
        noise = noise_scale([estimate])
        return None if math.isnan(noise) else noise


__all__ = ["Diagnosis", "Finding", "diagnose"]
