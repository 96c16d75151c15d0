"""`TrainingHyperModel`: a KerasTuner hypermodel over the package's builders."""

import math

import keras_tuner

from keras_training_kit.models import blocks
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_input_shape
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_log_range
from keras_training_kit.validation import check_num_classes
from keras_training_kit.validation import check_positive_int
from keras_training_kit.validation import check_rate

BUILDERS = ("mlp", "cnn")
# Names of the two log-scale hyperparameters; reports and plots use them too.
LOG_HYPERPARAMETERS = ("learning_rate", "l2")
# `hp.Choice` takes no `None`: "none" stands for "no normalization".
_NO_NORMALIZATION = "none"


def log_grid(low: float, high: float, per_decade: int = 1) -> list:
    """Returns log-spaced points from `low` to `high`, both included.

    The points are `per_decade` per factor of 10, anchored at `low`; `high`
    is appended when the last point falls short of it.

    Args:
        low: float > 0, the first point.
        high: float > `low`, the last point.
        per_decade: int >= 1, points per decade. Defaults to `1`.

    Returns:
        A list of floats, increasing.

    Raises:
        ValueError: for a bad range or `per_decade`.

    Example:

    >>> log_grid(1e-4, 1e-1)
    [0.0001, 0.001, 0.01, 0.1]
    """
    low, high = check_log_range("range", (low, high))
    check_positive_int("per_decade", per_decade)
    decades = math.log10(high / low)
    count = int(math.floor(decades * per_decade + 1e-9))
    points = [
        float(f"{low * 10 ** (i / per_decade):.6g}") for i in range(count + 1)
    ]
    if not math.isclose(points[-1], high, rel_tol=1e-6):
        points.append(high)
    return points


def _choices(option, value):
    """Returns a tuple of allowed values (one value means fixed)."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(
                f"`{option}` must be a value or a non-empty sequence of "
                f"choices. Received: {option}={value!r}"
            )
        return tuple(value)
    return (value,)


def _choices_among(option, value, allowed):
    """Returns `_choices(option, value)`, each checked to be in `allowed`."""
    choices = _choices(option, value)
    for choice in choices:
        check_choice(option, choice, allowed)
    return choices


def _check_l2(l2):
    """Returns `l2` as `(min, max)`; a fixed `0` is no L2 penalty."""
    if isinstance(l2, (int, float)) and not isinstance(l2, bool) and l2 == 0:
        return (0.0, 0.0)
    try:
        return check_log_range("l2", l2)
    except ValueError:
        raise ValueError(
            "`l2` must be a pair (min, max) with 0 < min < max (a log-scale "
            "range) or a single float >= 0 (a fixed value; 0 is no L2 "
            f"penalty). Received: l2={l2!r}"
        ) from None


def _check_builder(builder):
    """Returns `builder` if it is a name of `BUILDERS` or a callable."""
    if not (callable(builder) or builder in BUILDERS):
        raise ValueError(
            f"`builder` must be one of {BUILDERS} or a callable returning "
            f"an uncompiled model. Received: builder={builder!r}"
        )
    return builder


def _check_builder_kwargs(builder_kwargs):
    """Returns a copy of `builder_kwargs` (a dict or `None`) as a dict."""
    if builder_kwargs is not None and not isinstance(builder_kwargs, dict):
        raise ValueError(
            "`builder_kwargs` must be a dict or None. "
            f"Received: builder_kwargs={builder_kwargs!r}"
        )
    return dict(builder_kwargs or {})


class TrainingHyperModel(keras_tuner.HyperModel):
    """A KerasTuner hypermodel building and compiling `build_mlp`/`build_cnn`.

    The learning rate and the L2 strength are searched on a log scale
    (`hp.Float(..., sampling="log")`, hyperparameters `"learning_rate"` and
    `"l2"`), because their effect is multiplicative: a uniform draw in
    `[1e-5, 1e-1]` would put 90% of the trials above `1e-2`. Dropout,
    normalization, initializer, optimizer and learning-rate schedule are
    fixed or searched with `hp.Choice` when given a sequence. A schedule
    runs over the trial's whole `fit` (its `epochs` times its batches per
    epoch), peaking at the trial's learning rate; `"one-cycle"` also cycles
    the momentum of optimizers that have one. Every trial trains with
    `keras_training_kit.callbacks.DivergenceGuard`, so diverging trials stop
    early, and records the metrics `"diverged"` (1.0 or 0.0) and
    `"epochs_run"` with the trial for the reports.

    Args:
        builder: `"mlp"`, `"cnn"` or a callable
            `builder(input_shape, num_classes, *, l2, dropout, normalization,
            kernel_initializer, **builder_kwargs)` returning an uncompiled
            classifier with a logits or softmax output. Defaults to
            `"mlp"`.
        input_shape: tuple, the shape of one example. Required.
        num_classes: int >= 2, the number of classes. Required.
        learning_rate: pair `(min, max)`, the log-scale range, or a float
            (fixed). Defaults to `(1e-5, 1e-1)`.
        l2: pair `(min, max)`, or a float >= 0 (fixed; `0.0`, `ktk
            train`'s default, adds no L2 penalty). Defaults to
            `(1e-6, 1e-1)`.
        dropout: float, or a sequence of floats to choose from. Defaults to
            `0.0`.
        normalization: `None`, `"batch"`, `"layer"`, or a sequence of them.
            Defaults to `None`.
        kernel_initializer: an initializer name (`"auto"` included) or a
            sequence of names. Defaults to `"auto"`.
        optimizer: an optimizer name of
            `keras_training_kit.optimizers.build_optimizer`, or a sequence of
            names. Defaults to `"adam"`.
        schedule: a schedule name of
            `keras_training_kit.schedules.build_schedule`, or a sequence of
            names (hyperparameter `"schedule"`). Defaults to `"constant"`.
        builder_kwargs: dict or `None`, more arguments for the builder, such
            as `{"filters": (32, 64)}`. Defaults to `None`.
        divergence_factor: float > 1, `DivergenceGuard`'s `factor`.
            Defaults to `3.0`.
        grid_per_decade: int or `None`. When set, `learning_rate` and `l2`
            are `hp.Choice`s over `log_grid(min, max, grid_per_decade)`
            instead of log floats, as `keras_tuner.GridSearch` needs.
            Defaults to `None`.
        jit_compile: bool or `"auto"`, passed to `compile_classifier`.
            Defaults to `"auto"`.
        seed: int >= 0 or `None`. When set, `build` first calls
            `keras.utils.set_random_seed(seed)`, so every trial starts from
            the same random state whatever ran before it in the process:
            trials differ only by their hyperparameters (common random
            numbers), and a trial retried after a crash gives the score it
            would have had. Defaults to `None` (trials draw on in sequence).
        name: str or `None`, the hypermodel's name. Defaults to `None`.
        **kwargs: passed to `keras_tuner.HyperModel`.

    Raises:
        ValueError: for a bad builder, range or choice, naming the argument.

    Example:

    >>> import keras_tuner
    >>> hypermodel = TrainingHyperModel("mlp", (8, 8, 1), 10,
    ...                                 builder_kwargs={"hidden_units": (32,)})
    >>> model = hypermodel.build(keras_tuner.HyperParameters())
    """

    def __init__(
        self,
        builder="mlp",
        input_shape: tuple = None,
        num_classes: int = None,
        learning_rate=(1e-5, 1e-1),
        l2=(1e-6, 1e-1),
        *,
        dropout=0.0,
        normalization=None,
        kernel_initializer="auto",
        optimizer="adam",
        schedule="constant",
        builder_kwargs: dict | None = None,
        divergence_factor: float = 3.0,
        grid_per_decade: int | None = None,
        jit_compile="auto",
        seed: int | None = None,
        name: str | None = None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        # KerasTuner binds `build` to this instance in `__init__`, so a copy
        # would build with the original's ranges: clones are re-constructed.
        self._config = dict(
            builder=builder,
            input_shape=input_shape,
            num_classes=num_classes,
            learning_rate=learning_rate,
            l2=l2,
            dropout=dropout,
            normalization=normalization,
            kernel_initializer=kernel_initializer,
            optimizer=optimizer,
            schedule=schedule,
            builder_kwargs=builder_kwargs,
            divergence_factor=divergence_factor,
            grid_per_decade=grid_per_decade,
            jit_compile=jit_compile,
            seed=seed,
            name=name,
            **kwargs,
        )
        from keras_training_kit.optimizers import OPTIMIZERS
        from keras_training_kit.schedules import SCHEDULES

        self.builder = _check_builder(builder)
        self.input_shape = check_input_shape(input_shape)
        check_num_classes(num_classes)
        self.num_classes = num_classes
        self.learning_rate = check_log_range("learning_rate", learning_rate)
        self.l2 = _check_l2(l2)
        self.dropout = _choices("dropout", dropout)
        for rate in self.dropout:
            check_rate("dropout", rate)
        self.normalization = _choices_among(
            "normalization",
            normalization,
            blocks.NORMALIZATIONS + (_NO_NORMALIZATION,),
        )
        self.kernel_initializer = _choices(
            "kernel_initializer", kernel_initializer
        )
        self.optimizer = _choices_among("optimizer", optimizer, OPTIMIZERS)
        self.schedule = _choices_among("schedule", schedule, SCHEDULES)
        self.builder_kwargs = _check_builder_kwargs(builder_kwargs)
        check_float(
            "divergence_factor", divergence_factor, 1, include_low=False
        )
        self.divergence_factor = float(divergence_factor)
        if grid_per_decade is not None:
            check_positive_int("grid_per_decade", grid_per_decade)
        self.grid_per_decade = grid_per_decade
        self.jit_compile = jit_compile
        if seed is not None:
            check_int("seed", seed, minimum=0)
        self.seed = seed

    def log_ranges(self) -> dict:
        """Returns `{name: (min, max)}` of the searched log hyperparameters."""
        ranges = {"learning_rate": self.learning_rate, "l2": self.l2}
        return {k: v for k, v in ranges.items() if v[0] < v[1]}

    def with_ranges(self, **ranges) -> "TrainingHyperModel":
        """Returns a copy with other log ranges, e.g. `learning_rate=(a, b)`."""
        for option, value in ranges.items():
            if option not in LOG_HYPERPARAMETERS:
                raise ValueError(
                    f"Only {LOG_HYPERPARAMETERS} have ranges. "
                    f"Received: {option}={value!r}"
                )
        return type(self)(**{**self._config, **ranges})

    def with_grid(self, per_decade: int = 1) -> "TrainingHyperModel":
        """Returns a copy declaring log-spaced grids (for `GridSearch`)."""
        return type(self)(**{**self._config, "grid_per_decade": per_decade})

    def _log_value(self, hp, option, value_range):
        low, high = value_range
        if low == high:
            return low
        if self.grid_per_decade:
            return hp.Choice(option, log_grid(low, high, self.grid_per_decade))
        return hp.Float(option, low, high, sampling="log")

    @staticmethod
    def _choice(hp, option, values):
        if len(values) == 1:
            return values[0]
        return hp.Choice(option, list(values))

    def build(self, hp):
        import keras

        from keras_training_kit import models

        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)

        learning_rate = self._log_value(hp, "learning_rate", self.learning_rate)
        l2 = self._log_value(hp, "l2", self.l2)
        normalization = self._choice(
            hp,
            "normalization",
            tuple(
                _NO_NORMALIZATION if v is None else v
                for v in self.normalization
            ),
        )
        options = dict(
            l2=l2,
            dropout=self._choice(hp, "dropout", self.dropout),
            normalization=(
                None if normalization == _NO_NORMALIZATION else normalization
            ),
            kernel_initializer=self._choice(
                hp, "kernel_initializer", self.kernel_initializer
            ),
            **self.builder_kwargs,
        )
        optimizer = self._choice(hp, "optimizer", self.optimizer)
        self._choice(hp, "schedule", self.schedule)  # applied in `fit`
        builder = self.builder
        if builder == "mlp":
            builder = models.build_mlp
        elif builder == "cnn":
            builder = models.build_cnn
        model = builder(self.input_shape, self.num_classes, **options)
        return models.compile_classifier(
            model,
            optimizer=optimizer,
            learning_rate=learning_rate,
            jit_compile=self.jit_compile,
        )

    def fit(self, hp, model, x=None, *args, callbacks=None, **kwargs):
        """Trains with `DivergenceGuard`; the history carries its verdict.

        `x` is `model.fit`'s, or a function without arguments returning it
        (for example a `tf.data` pipeline built afresh). A function is
        called once per trial, so each trial iterates a new pipeline: with a
        shuffled `tf.data.Dataset` every trial then sees the same data order
        whatever ran before it in the process, as a trial retried after a
        crash does (KerasTuner passes the search's data to every trial).

        Returns:
            The `keras.callbacks.History`, with `"diverged"` (1.0 when the
            guard stopped the run) and `"epochs_run"` added to every epoch,
            so whichever epoch KerasTuner keeps carries them.
        """
        from keras_training_kit.callbacks import DivergenceGuard

        guard = DivergenceGuard(factor=self.divergence_factor)
        if callable(x):
            x = x()
        callbacks = list(callbacks or []) + self._schedule(hp, model, x, kwargs)
        if not isinstance(x, (list, tuple)) and hasattr(x, "element_spec"):
            # A `tf.data.Dataset` shuffles itself; Keras warns on the default.
            kwargs.setdefault("shuffle", False)
        history = model.fit(x, *args, callbacks=callbacks + [guard], **kwargs)
        epochs = len(history.epoch)
        history.history["diverged"] = [float(guard.diverged)] * epochs
        history.history["epochs_run"] = [float(epochs)] * epochs
        return history

    def _schedule(self, hp, model, x, fit_kwargs) -> list:
        """Puts the trial's schedule into its optimizer; returns callbacks."""
        name = hp.values.get("schedule", self.schedule[0])
        if name == "constant":
            return []
        from keras_training_kit.optimizers import MOMENTUM_OPTIMIZERS
        from keras_training_kit.schedules import OneCycle
        from keras_training_kit.schedules import OneCycleMomentum
        from keras_training_kit.schedules import build_schedule

        learning_rate = hp.values.get("learning_rate", self.learning_rate[0])
        epochs = fit_kwargs.get("epochs", 1)
        steps = fit_kwargs.get("steps_per_epoch") or _steps_per_epoch(
            x, fit_kwargs.get("batch_size")
        )
        schedule = build_schedule(name, learning_rate, max(epochs * steps, 2))
        model.optimizer.learning_rate = schedule
        optimizer = hp.values.get("optimizer", self.optimizer[0])
        if isinstance(schedule, OneCycle) and optimizer in MOMENTUM_OPTIMIZERS:
            return [OneCycleMomentum(schedule)]
        return []


def _steps_per_epoch(x, batch_size) -> int:
    """The batches of one pass over `fit`'s `x`, for a schedule's length."""
    if hasattr(x, "cardinality"):
        steps = int(x.cardinality())
        if steps > 0:
            return steps
    elif hasattr(x, "__len__"):
        return math.ceil(len(x) / (batch_size or 32))
    raise ValueError(
        "A learning-rate schedule runs over the trial's steps: pass "
        "`steps_per_epoch` to the search when `x` has no known length. "
        f"Received: x={type(x).__name__} of unknown length"
    )
