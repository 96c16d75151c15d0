"""`LRFinder`: the learning-rate range test.

Its suggestion rules are in `keras_training_kit.tuning.lr_suggestions`.
"""

import dataclasses
import logging
import math
import sys

import numpy as np

from keras_training_kit.diagnostics.training_state import current_learning_rate
from keras_training_kit.tuning.lr_suggestions import check_rule_names
from keras_training_kit.tuning.lr_suggestions import suggest_learning_rates
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_log_range
from keras_training_kit.validation import check_rate

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class LRFinderResult:
    """The outcome of a learning-rate range test.

    Attributes:
        learning_rates: list of floats, the learning rate of each step.
        losses: list of floats, the loss of each step's batch.
        smoothed_losses: list of floats, the bias-corrected exponential
            moving average of `losses`.
        suggested_learning_rate: float or `None`, the suggestion of the
            finder's `suggestion` rule: `suggestions["valley"]` by default.
        stopped_early: bool, whether the sweep stopped because the loss
            exceeded `divergence_factor` times its best.
        suggestions: dict from each rule name of `SUGGESTIONS` to its
            learning rate (a float inside the swept range, or `None` when no
            smoothed loss is finite); see `suggest_learning_rates`.
        suggestion: str, the rule that gave `suggested_learning_rate`.
    """

    learning_rates: list
    losses: list
    smoothed_losses: list
    suggested_learning_rate: float | None
    stopped_early: bool
    suggestions: dict = dataclasses.field(default_factory=dict)
    suggestion: str = "valley"


class LRFinder:
    """The learning-rate range test: an exponential sweep of the learning rate.

    Trains a compiled model for `num_steps` batches while the learning rate
    grows exponentially from `min_learning_rate` to `max_learning_rate`,
    recording the loss of every batch (each step is a `train_on_batch` with
    fresh metrics, so this is the batch's own loss, not Keras' running epoch
    mean). The losses are smoothed with a bias-corrected exponential moving
    average; the sweep stops once the smoothed loss exceeds
    `divergence_factor` times its best value (or is not finite). Afterwards
    the model's weights and the optimizer's state (slots, iteration count and
    learning rate) are restored, so the test leaves no trace. The result
    carries the learning rate suggested by each rule of `SUGGESTIONS`.

    Args:
        model: a compiled `keras.Model` whose optimizer has a plain float
            learning rate (not a schedule).
        min_learning_rate: float > 0, the first learning rate. Defaults to
            `1e-7`.
        max_learning_rate: float > `min_learning_rate`, the last one.
            Defaults to `10.0`.
        num_steps: int >= 2, the number of steps of the sweep. Defaults to
            `100`.
        smoothing: float in `[0, 1)`, the moving average's momentum.
            Defaults to `0.98`.
        divergence_factor: float > 1, stop when the smoothed loss exceeds
            this times the best. Defaults to `4.0`.
        suggestion: str, the rule of `SUGGESTIONS` whose learning rate
            becomes the result's `suggested_learning_rate`: `"valley"`,
            `"steep"`, `"minimum"` or `"slide"`. Defaults to `"valley"`.

    Raises:
        ValueError: for bad arguments, naming the argument.

    Example:

    >>> from keras_training_kit.data import load_dataset
    >>> from keras_training_kit.models import build_mlp, compile_classifier
    >>> data = load_dataset("digits")
    >>> model = compile_classifier(build_mlp(data.input_shape, 10, (32,)))
    >>> result = LRFinder(model, num_steps=50).find(
    ...     data.train.shuffle(2000, seed=0).batch(32))
    >>> result.suggested_learning_rate == result.suggestions["valley"]
    True
    >>> sorted(result.suggestions)
    ['minimum', 'slide', 'steep', 'valley']
    """

    def __init__(
        self,
        model,
        min_learning_rate: float = 1e-7,
        max_learning_rate: float = 10.0,
        num_steps: int = 100,
        smoothing: float = 0.98,
        divergence_factor: float = 4.0,
        suggestion: str = "valley",
    ):
        if getattr(model, "optimizer", None) is None:
            raise ValueError(
                "`model` must be a compiled keras.Model. "
                f"Received: model={model!r} without an optimizer"
            )
        low, high = check_log_range(
            "(min_learning_rate, max_learning_rate)",
            (min_learning_rate, max_learning_rate),
        )
        check_int("num_steps", num_steps, minimum=2)
        check_rate("smoothing", smoothing)
        check_float(
            "divergence_factor", divergence_factor, 1, include_low=False
        )
        check_rule_names("suggestion", suggestion)
        self.model = model
        self.min_learning_rate = low
        self.max_learning_rate = high
        self.num_steps = num_steps
        self.smoothing = float(smoothing)
        self.divergence_factor = float(divergence_factor)
        self.suggestion = suggestion

    def learning_rates(self) -> np.ndarray:
        """Returns the `num_steps` learning rates of the sweep."""
        return np.geomspace(
            self.min_learning_rate, self.max_learning_rate, self.num_steps
        )

    def find(self, dataset) -> LRFinderResult:
        """Runs the sweep over batches of `dataset` (repeated if too short).

        Args:
            dataset: a batched `tf.data.Dataset` of `(features, labels)`,
                or any re-iterable of such batches (a list, a PyTorch
                `DataLoader`): `tf.data` is accepted, never required.

        Returns:
            An `LRFinderResult`.
        """
        model = self.model
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        weights = [v.numpy() for v in model.variables]
        optimizer_state = [v.numpy() for v in optimizer.variables]
        old_learning_rate = current_learning_rate(optimizer)
        rates, losses, smoothed = [], [], []
        average, best, stopped = 0.0, math.inf, False
        try:
            batches = _endless(dataset)
            for step, rate in enumerate(self.learning_rates()):
                optimizer.learning_rate = float(rate)
                x, y = next(batches)
                logs = model.train_on_batch(x, y, return_dict=True)
                loss = float(logs["loss"])
                rates.append(float(rate))
                losses.append(loss)
                average = self.smoothing * average + (1 - self.smoothing) * loss
                value = average / (1 - self.smoothing ** (step + 1))
                smoothed.append(value)
                if (
                    not math.isfinite(value)
                    or value > self.divergence_factor * best
                ):
                    stopped = True
                    break
                best = min(best, value)
        finally:
            for variable, value in zip(model.variables, weights):
                variable.assign(value)
            for variable, value in zip(optimizer.variables, optimizer_state):
                variable.assign(value)
            optimizer.learning_rate = old_learning_rate
        suggestions = suggest_learning_rates(
            rates, smoothed, num_steps=self.num_steps
        )
        logger.debug(
            "LR range test: %d steps, suggested %s", len(rates), suggestions
        )
        return LRFinderResult(
            rates,
            losses,
            smoothed,
            suggestions[self.suggestion],
            stopped,
            suggestions=suggestions,
            suggestion=self.suggestion,
        )


def _endless(dataset):
    """Yields the batches of `dataset` over and over, as NumPy for `tf.data`.

    Every backend's `train_on_batch` takes NumPy; a `tf.data.Dataset` is
    recognised without importing TensorFlow.
    """
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(dataset, tf.data.Dataset):
        yield from dataset.repeat().as_numpy_iterator()
        return
    while True:
        empty = True
        for batch in dataset:
            empty = False
            yield batch
        if empty:
            raise ValueError(
                "`dataset` must yield (features, labels) batches, again on "
                "each pass. Received: an iterable that yielded none"
            )
