"""What the rules read and return: `Figures` in, `Finding`s out.

`Figures` is one measurement of a model, whichever tool took it;
`Finding` is one problem with its fix as Python arguments, and its advice
in the words of the Python API (`python_fix`), saying what it was
measured on. The rules themselves are in `rules.py`.
"""

import dataclasses

# What a layer row of `Figures.layers` may hold (`None`: not measured).
LAYER_FIGURES = (
    "activation_std",
    "dead_fraction",
    "saturated_fraction",
    "backprop_std",
    "update_ratio",
)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem the diagnostics found, with its fix.

    Attributes:
        kind: str, one of `rules.KINDS`.
        layer: str, the layer's name (for `initial_loss`, the output
            layer, which the fix is for), or `None` for a model-level kind
            (`vanishing_gradients`, `exploding_gradients`, `batch_size`).
        value: float, the measured figure (the initial loss, the gradient
            ratio, the dead fraction, the noise scale, ...).
        problem: str, what was measured and why it is a problem.
        fix: dict, the change to make, as Python arguments: of
            `build_mlp`/`build_cnn` or a Keras layer (`kernel_initializer`,
            `activation`, `normalization`), of the optimizer
            (`learning_rate`, `gradient_accumulation_steps`) or of `fit`
            (`batch_size`); empty when the fix lies elsewhere (the
            problem says where).
        alternatives: tuple of dicts, other fixes, in the same form.
        step: int or `None`, the training step measured at (`None`:
            before training).
        examples: int, the examples the figure was measured on.
        advice: str, the problem, the fix and what it was measured on, in
            the words of the Python API.
    """

    kind: str
    layer: str | None
    value: float
    problem: str
    fix: dict
    alternatives: tuple = ()
    step: int | None = None
    examples: int = 0
    advice: str = dataclasses.field(default="", compare=False)

    def __post_init__(self):
        if not self.advice:
            object.__setattr__(self, "advice", self.render(python_fix))

    @property
    def measured_on(self) -> str:
        """`"at step s on n examples"` or `"before training on n ..."`."""
        when = (
            "before training" if self.step is None else f"at step {self.step}"
        )
        return f"{when} on {self.examples} examples"

    def render(self, render_fix) -> str:
        """The problem, the fix as `render_fix(dict)` words, the context."""
        fixes = [render_fix(f) for f in (self.fix, *self.alternatives) if f]
        text = self.problem
        if fixes:
            text += ": use " + fixes[0]
            if fixes[1:]:
                text += " (or " + ", or ".join(fixes[1:]) + ")"
        return f"{text} (measured {self.measured_on})"

    def to_dict(self) -> dict:
        """The finding as a JSON-ready dict."""
        return dataclasses.asdict(self)


def python_fix(fix: dict) -> str:
    """A fix in Python words: `` `kernel_initializer='he_normal'` ``."""
    return " and ".join(f"`{k}={_python(v)}`" for k, v in fix.items())


def _python(value):
    if isinstance(value, dict) and "class_name" in value:
        # A Keras object's config, as the call that makes it.
        args = ", ".join(f"{k}={v!r}" for k, v in value["config"].items())
        return f"keras.initializers.{value['class_name']}({args})"
    return repr(value)


@dataclasses.dataclass
class Figures:
    """One measurement of a model, as the rules read it.

    Attributes:
        layers: list of dicts, one per monitored layer (in order, the
            output layer last when it is monitored): `"layer"` and any of
            `LAYER_FIGURES` (`None` or missing: not measured).
        examples: int, the examples measured on.
        step: int or `None`, the training step (`None`: before training).
        initial_loss: float or `None`, the loss measured.
        expected_loss: float or `None`, ln C for a classifier.
        trained: bool, whether the optimizer has applied an update (then
            the loss is not an initial loss).
        noise_scale: float or `None`, the gradient noise scale.
        noise_examples: int or `None`, the examples the noise-scale
            estimate rests on.
        batch_size: int or `None`, the training batch (per step).
        gradient_accumulation_steps: int, steps per optimizer update.
        training_examples: int or `None`, the training set's size.
        learning_rate: float or `None`, the optimizer's learning rate.
        peak_learning_rate: float or `None`, the peak of its schedule (the
            rate `--lr` sets); an update ratio measured below the peak is
            judged as it would be at the peak. `None`: `learning_rate`.
        activation: str, the model's first activation (for the advice).
        output_layer: str or `None`, the output layer's name.
    """

    layers: list
    examples: int
    step: int | None = None
    initial_loss: float | None = None
    expected_loss: float | None = None
    trained: bool = False
    noise_scale: float | None = None
    noise_examples: int | None = None
    batch_size: int | None = None
    gradient_accumulation_steps: int = 1
    training_examples: int | None = None
    learning_rate: float | None = None
    peak_learning_rate: float | None = None
    activation: str = "relu"
    output_layer: str | None = None
