import keras
import numpy as np
import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier
from keras_training_kit.tuning import LRFinder
from keras_training_kit.tuning import suggest_learning_rate


@pytest.fixture(scope="module")
def batches():
    return load_dataset("digits").train.take(512).batch(32)


def _model(optimizer="adam"):
    return compile_classifier(
        build_mlp((8, 8, 1), 10, (16,)), optimizer=optimizer, learning_rate=1e-3
    )


def test_sweep_records_per_batch_losses_and_restores_state(batches):
    model = _model("momentum")
    x, y = next(iter(batches))
    model.train_on_batch(x, y)  # an optimizer with state worth restoring
    weights = [v.numpy() for v in model.variables]
    slots = [v.numpy() for v in model.optimizer.variables]
    first_loss = model.test_on_batch(x, y)[0]
    result = LRFinder(model, 1e-4, 1e-1, num_steps=16).find(batches)
    np.testing.assert_allclose(
        result.learning_rates, np.geomspace(1e-4, 1e-1, 16), rtol=1e-6
    )
    # The first step's loss is that batch's loss before any update, not a
    # running mean, and later losses are not running means either.
    assert result.losses[0] == pytest.approx(first_loss, rel=1e-5)
    running_mean = np.cumsum(result.losses) / np.arange(1, 17)
    assert not np.allclose(result.losses, running_mean)
    assert len(result.smoothed_losses) == 16 and not result.stopped_early
    for variable, value in zip(model.variables, weights):
        np.testing.assert_array_equal(variable.numpy(), value)
    for variable, value in zip(model.optimizer.variables, slots):
        np.testing.assert_array_equal(variable.numpy(), value)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert int(model.optimizer.iterations) == 1


def test_sweep_stops_when_loss_explodes(batches):
    result = LRFinder(_model("sgd"), 1e-3, 1e4, num_steps=60).find(batches)
    assert result.stopped_early and len(result.losses) < 60
    smoothed = np.array(result.smoothed_losses)
    assert (
        not np.isfinite(smoothed[-1]) or smoothed[-1] > 4 * smoothed[:-1].min()
    )
    assert 1e-3 <= result.suggested_learning_rate < result.learning_rates[-1]


def test_suggest_learning_rate():
    rates = np.geomspace(1e-5, 1, 11)
    losses = [2.3, 2.3, 2.2, 2.0, 1.5, 1.0, 0.8, 0.9, 2.0, np.nan, np.inf]
    assert suggest_learning_rate(rates, losses) == pytest.approx(rates[6] / 10)
    assert suggest_learning_rate(rates[:2], [np.nan, np.nan]) is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(min_learning_rate=1.0, max_learning_rate=0.1),
            "min_learning_rate",
        ),
        (dict(num_steps=1), "num_steps"),
        (dict(smoothing=1.0), "smoothing"),
        (dict(divergence_factor=0.5), "divergence_factor"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=f"{match}.*Received"):
        LRFinder(_model(), **kwargs)
    with pytest.raises(ValueError, match="compiled"):
        LRFinder(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
