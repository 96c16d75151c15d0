"""`sanity_check`: CS231n's checklist before a long training run."""

import dataclasses
import math

import keras
import numpy as np

from keras_training_kit.diagnostics import rules
from keras_training_kit.diagnostics.probe_data import first_examples
from keras_training_kit.diagnostics.probe_data import is_tf_dataset
from keras_training_kit.optimizers import build_optimizer
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int


@dataclasses.dataclass
class SanityCheckReport:
    """The result of `sanity_check`.

    Attributes:
        checks: list of dicts, one per check, with `"check"` (name),
            `"passed"` (`True`, `False` or `None` when skipped), `"value"`,
            `"expected"` and `"detail"` (str).
    """

    checks: list

    @property
    def passed(self) -> bool:
        """Whether no check failed (skipped checks do not fail)."""
        return all(check["passed"] is not False for check in self.checks)

    def to_text(self) -> str:
        """Formats the report as a table, one line per check."""
        marks = {True: "PASS", False: "FAIL", None: "SKIP"}
        lines = [
            f"{marks[c['passed']]:4}  {c['check']:22} {c['detail']}"
            for c in self.checks
        ]
        lines.append(
            "all checks passed" if self.passed else "some checks FAILED"
        )
        return "\n".join(lines)


def _take(dataset, count):
    """Returns `(x, y)` NumPy arrays of the first `count` examples."""
    if is_tf_dataset(dataset):
        element = dataset.element_spec
        if not isinstance(element, tuple) or len(element) < 2:
            raise ValueError(
                "`dataset` must yield `(features, label)` pairs. Received: "
                f"element_spec={element}"
            )
        return first_examples(dataset, count)[:2]
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2:
        return tuple(np.asarray(v)[:count] for v in dataset)
    raise TypeError(
        "`dataset` must be a tf.data.Dataset of (features, label) or a tuple "
        f"(x, y) of arrays. Received: dataset={type(dataset).__name__}"
    )


def _from_logits(model):
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear") != "softmax"


def sanity_check(
    model: keras.Model,
    dataset,
    num_classes: int,
    *,
    num_examples: int = 256,
    subset_size: int = 20,
    max_epochs: int = 300,
    learning_rate: float = 1e-2,
    loss_tolerance: float = 0.25,
    seed: int = 0,
) -> SanityCheckReport:
    """Runs CS231n's sanity checks on a freshly initialized classifier.

    1. **initial loss**: with regularization off, the cross-entropy of the
       untrained model on `num_examples` examples is close to
       `ln(num_classes)` (uniform predictions), within `loss_tolerance`
       relative.
    2. **regularization**: adding the model's regularization losses
       (`model.losses`) makes the loss go up. Skipped if the model has no
       regularizer.
    3. **overfit tiny subset**: a fresh copy of the model (same
       architecture, new weights; `model` itself is not trained) reaches
       100% training accuracy on `subset_size` examples within `max_epochs`
       full-batch Adam steps.

    Labels are integer classes; the model outputs logits or softmax
    probabilities, as the package's builders do.

    Args:
        model: an untrained Sequential or functional classifier.
        dataset: a `tf.data.Dataset` of `(features, label)` (batched or
            not) or a tuple `(x, y)` of arrays.
        num_classes: int >= 2.
        num_examples: int >= 1, examples for the loss checks. Defaults to
            `256`.
        subset_size: int >= 1, examples to overfit. Defaults to `20`.
        max_epochs: int >= 1, the most full-batch steps for overfitting.
            Defaults to `300`.
        learning_rate: float > 0, Adam's learning rate for overfitting.
            Defaults to `1e-2`.
        loss_tolerance: float > 0, the accepted relative deviation of the
            initial loss from `ln(num_classes)`. Defaults to `0.25`.
        seed: int, seed of the copy's initialization. Defaults to `0`.

    Returns:
        A `SanityCheckReport`; `report.passed` and `report.to_text()`.

    Raises:
        ValueError: for an invalid argument.
        TypeError: if `dataset` is neither a dataset nor an `(x, y)` tuple.

    Example:

    >>> from keras_training_kit.models import build_mlp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 8)).astype("float32")
    >>> y = rng.integers(0, 3, 64)
    >>> report = sanity_check(build_mlp((8,), 3, (32,)), (x, y), 3)
    >>> [c["check"] for c in report.checks]
    ['initial loss', 'regularization', 'overfit tiny subset']
    """
    _check_arguments(
        model,
        num_classes,
        num_examples=num_examples,
        subset_size=subset_size,
        max_epochs=max_epochs,
        learning_rate=learning_rate,
        loss_tolerance=loss_tolerance,
    )
    x, y = _take(dataset, max(num_examples, subset_size))
    data_loss = _data_loss(model, x[:num_examples], y[:num_examples])
    return SanityCheckReport(
        [
            _initial_loss_check(
                data_loss, num_classes, loss_tolerance, len(y[:num_examples])
            ),
            _regularization_check(model, data_loss),
            _overfit_check(
                model,
                x[:subset_size],
                y[:subset_size],
                max_epochs=max_epochs,
                learning_rate=learning_rate,
                seed=seed,
            ),
        ]
    )


def _check_arguments(
    model,
    num_classes,
    *,
    num_examples,
    subset_size,
    max_epochs,
    learning_rate,
    loss_tolerance,
):
    """Raises for an invalid argument of `sanity_check`."""
    check_int("num_classes", num_classes, minimum=2)
    for option, value in (
        ("num_examples", num_examples),
        ("subset_size", subset_size),
        ("max_epochs", max_epochs),
    ):
        check_int(option, value)
    check_float("learning_rate", learning_rate, 0, include_low=False)
    check_float("loss_tolerance", loss_tolerance, 0, include_low=False)
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model. Received: model={model!r}"
        )


def _check(name, passed, value, expected, detail):
    """Returns one check of a `SanityCheckReport`."""
    return {
        "check": name,
        "passed": passed,
        "value": value,
        "expected": expected,
        "detail": detail,
    }


def _data_loss(model, x, y):
    """Returns the model's cross-entropy on `(x, y)`, without penalties."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(
        from_logits=_from_logits(model)
    )
    return float(loss_fn(y, model(x, training=False)))


def _initial_loss_check(data_loss, num_classes, loss_tolerance, examples):
    """Checks that the untrained loss is close to `ln(num_classes)`.

    The judgement is the diagnostics' initial-loss rule, with
    `loss_tolerance` as its band; a failure carries the rule's advice.
    """
    expected = math.log(num_classes)
    deviation = abs(data_loss - expected) / expected
    finding = rules.initial_loss(
        rules.Figures(
            layers=[],
            examples=examples,
            initial_loss=data_loss,
            expected_loss=expected,
        ),
        rules.check_bands({"initial_loss": loss_tolerance}),
    )
    detail = (
        f"loss {data_loss:.4f} vs "
        f"ln({num_classes}) = {expected:.4f} "
        f"({deviation:.0%} off, tolerance {loss_tolerance:.0%})"
    )
    if finding is not None:
        detail += f": {finding.advice}"
    return _check("initial loss", finding is None, data_loss, expected, detail)


def _regularization_check(model, data_loss):
    """Checks that the model's regularization losses raise the loss."""
    if not model.losses:
        return _check(
            "regularization",
            None,
            None,
            None,
            "the model has no regularizer; skipped",
        )
    total = data_loss + float(sum(float(v) for v in model.losses))
    return _check(
        "regularization",
        total > data_loss,
        total,
        data_loss,
        f"loss with regularization {total:.4f} > without {data_loss:.4f}",
    )


def _overfit_check(model, x_small, y_small, *, max_epochs, learning_rate, seed):
    """Checks that a fresh copy of `model` overfits `(x_small, y_small)`."""
    keras.utils.set_random_seed(seed)
    copy = keras.models.clone_model(model)
    copy.compile(
        optimizer=build_optimizer("adam", learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=_from_logits(copy)
        ),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    accuracy, epochs = _fit_until_perfect(copy, x_small, y_small, max_epochs)
    return _check(
        "overfit tiny subset",
        accuracy >= 1.0,
        accuracy,
        1.0,
        f"training accuracy {accuracy:.0%} on {len(y_small)} examples "
        f"after {epochs} steps",
    )


def _fit_until_perfect(model, x, y, max_epochs):
    """Fits full-batch steps until 100% training accuracy or `max_epochs`.

    Returns:
        `(accuracy, epochs)`: the last training accuracy and the steps run.
    """
    accuracy, epochs, chunk = 0.0, 0, 25
    while epochs < max_epochs and accuracy < 1.0:
        step = min(chunk, max_epochs - epochs)
        model.fit(x, y, batch_size=len(y), epochs=step, verbose=0)
        epochs += step
        accuracy = float(
            model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
        )
    return accuracy, epochs
