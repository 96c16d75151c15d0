import math

import keras
import numpy as np
import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier
from keras_training_kit.tuning import SUGGESTIONS
from keras_training_kit.tuning import LRFinder
from keras_training_kit.tuning import suggest_learning_rate
from keras_training_kit.tuning import suggest_learning_rates
from keras_training_kit.tuning.lr_suggestions import longest_valley
from keras_training_kit.tuning.lr_suggestions import slide_rule
from keras_training_kit.tuning.lr_suggestions import steepest_slope
from keras_training_kit.tuning.lr_suggestions import tenth_of_minimum


@pytest.fixture(scope="module")
def batches():
    return load_dataset("digits").train.take(512).batch(32)


def _model(optimizer="adam"):
    return compile_classifier(
        build_mlp((8, 8, 1), 10, (16,)), optimizer=optimizer, learning_rate=1e-3
    )


def test_sweep_records_per_batch_losses_and_restores_state(batches):
    model = _model("momentum")
    x, y = next(batches.as_numpy_iterator())
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
    result = LRFinder(
        _model("sgd"), 1e-3, 1e4, num_steps=60, suggestion="steep"
    ).find(batches)
    assert result.stopped_early and len(result.losses) < 60
    smoothed = np.array(result.smoothed_losses)
    assert (
        not np.isfinite(smoothed[-1]) or smoothed[-1] > 4 * smoothed[:-1].min()
    )
    # Every rule, read off the recorded curve as fastai trims it.
    assert result.suggestions == suggest_learning_rates(
        result.learning_rates, result.smoothed_losses, num_steps=60
    )
    assert list(result.suggestions) == list(SUGGESTIONS)
    assert result.suggestion == "steep"
    assert result.suggested_learning_rate == result.suggestions["steep"]
    for rate in result.suggestions.values():
        assert 1e-3 <= rate <= result.learning_rates[-1]


def test_the_default_rule_is_valley(batches):
    result = LRFinder(_model(), 1e-4, 1.0, num_steps=12).find(batches)
    assert result.suggestion == "valley"
    assert result.suggested_learning_rate == result.suggestions["valley"]


# --- The rules on curves whose answer is known in closed form. --------------

RATES = np.geomspace(1e-6, 1.0, 61)  # log10 steps of 0.1
X = np.log10(RATES)


def test_valley_on_a_u_shaped_curve():
    # Falls strictly to its vertex at index 40 (1e-2), then rises: the
    # longest falling run is indices 0..40 (41 points), and fastai puts the
    # suggestion at end - length + int(length / 3) + int(length / 6).
    losses = (X + 2) ** 2 + 1
    assert longest_valley(RATES, losses) == RATES[40 - 41 + 13 + 6]
    assert longest_valley(RATES, losses) == pytest.approx(10**-4.2)


def test_steep_on_a_tanh_drop():
    # The loss falls fastest at log10(lr) = -3.05, between two grid points:
    # the steepest segment is [1e-3.1, 1e-3], named by its left end. The
    # rise past 1e-1 does not move it.
    losses = 2 - np.tanh(3 * (X + 3.05)) + 0.5 * np.exp(3 * (X + 0.5))
    assert steepest_slope(RATES, losses) == pytest.approx(10**-3.1)


def test_minimum_on_a_u_shaped_curve():
    losses = (X + 2) ** 2 + 1
    assert tenth_of_minimum(RATES, losses) == pytest.approx(1e-3)


def test_slide_on_a_flat_curve_that_bends_up():
    # Flat up to index k, then 2 + b (i - k)^2: np.gradient is 0 before k,
    # b / 2 at k and 2 b (i - k) after. Sliding the 15-step window left,
    # the first window within 0.005 has its right end at k (0.004 vs 0),
    # so the answer is the left end of the window before it: k - 14.
    k, b = 25, 0.008
    index = np.arange(40)
    losses = np.where(index <= k, 2.0, 2.0 + b * (index - k) ** 2)
    assert slide_rule(RATES[:40], losses) == RATES[k - 14]
    # A straight line passes at once: the first window's left end.
    assert slide_rule(RATES[:40], 3 - 0.01 * index) == RATES[40 - 16]
    # An ever steeper curve never passes: the first learning rate.
    assert slide_rule(RATES[:40], np.exp(0.5 * index)) == RATES[0]


# --- A literal transcription of fastai's `lr_find` and its four rules -------
# (fastai/callback/schedule.py; tensors replaced by NumPy arrays).


def _fastai_valley(lrs, losses, num_it):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def _fastai_slide(lrs, losses, num_it, lr_diff=15, thresh=0.005):
    loss_grad = np.gradient(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = lrs[l_idx]
    while (l_idx >= -len(losses)) and (
        abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh
    ):
        local_min_lr = lrs[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr)


def _fastai_minimum(lrs, losses, num_it):
    lr_min = lrs[losses.argmin()].item()
    return lr_min / 10


def _fastai_steep(lrs, losses, num_it):
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return lrs[grads.argmin()].item()


def _fastai_lr_find(recorded_lrs, recorded_losses, num_it):
    lrs = np.array(recorded_lrs[num_it // 10 : -5])
    losses = np.array(recorded_losses[num_it // 10 : -5])
    nan_idxs = np.nonzero(np.isnan(losses))[0]
    if len(nan_idxs) > 0:
        drop_idx = min(nan_idxs)
        lrs = lrs[:drop_idx]
        losses = losses[:drop_idx]
    return {
        "valley": _fastai_valley(lrs, losses, num_it),
        "steep": _fastai_steep(lrs, losses, num_it),
        "minimum": _fastai_minimum(lrs, losses, num_it),
        "slide": _fastai_slide(lrs, losses, num_it),
    }


def _smoothed(losses, momentum=0.98):
    average, out = 0.0, []
    for step, loss in enumerate(losses):
        average = momentum * average + (1 - momentum) * loss
        out.append(average / (1 - momentum ** (step + 1)))
    return np.array(out)


def _noisy_sweep(seed, steps=100, stop=None):
    """A range test's smoothed curve: falls, bottoms out, blows up."""
    rng = np.random.default_rng(seed)
    rates = np.geomspace(1e-7, 10, steps)
    x = np.log10(rates)
    raw = 2.3 - 1.5 / (1 + np.exp(-2 * (x + 3.5))) + np.exp(2.5 * (x - 0.2))
    raw = raw + rng.normal(0, 0.15, steps)
    return rates[:stop], _smoothed(raw)[:stop]


@pytest.mark.parametrize(
    "curve",
    [
        pytest.param(lambda: _noisy_sweep(0), id="noisy full sweep"),
        pytest.param(lambda: _noisy_sweep(1, stop=83), id="noisy early stop"),
        pytest.param(
            lambda: (RATES, (X + 2) ** 2 + 0.1 * np.sin(7 * X)), id="wavy U"
        ),
        pytest.param(
            lambda: (RATES, np.r_[_smoothed(3 - 0.02 * X[:55]), [np.nan] * 6]),
            id="nan tail",
        ),
    ],
)
def test_rules_match_fastai(curve):
    rates, losses = curve()
    # A sweep that stopped early was planned for 100 steps; fastai trims
    # by the planned steps.
    planned = 100 if len(rates) == 83 else len(rates)
    expected = _fastai_lr_find(list(rates), list(losses), planned)
    found = suggest_learning_rates(rates, losses, num_steps=planned)
    assert list(found) == ["valley", "steep", "minimum", "slide"]
    for name, rate in found.items():
        assert rate == pytest.approx(expected[name], rel=1e-12), name


# --- suggest_learning_rates: trimming, fallbacks, edge cases. ---------------


def test_trims_the_start_and_the_end_as_fastai():
    # Decoy lows in the first num_steps // 10 = 6 points and in the last 5
    # are not the minimum; the vertex at index 40 is.
    losses = (X + 2) ** 2 + 1
    losses[2] = losses[58] = 0.0
    assert suggest_learning_rates(RATES, losses)["minimum"] == pytest.approx(
        1e-3
    )
    assert tenth_of_minimum(RATES, losses) == pytest.approx(RATES[2] / 10)


def test_an_early_stop_reads_the_curve_before_the_blow_up():
    # Planned 100 steps, stopped after 40 on an infinite loss.
    rates = np.geomspace(1e-6, 1e-2, 40)
    losses = np.r_[np.linspace(2.3, 1.0, 30), np.linspace(1.1, 5.0, 9), np.inf]
    found = suggest_learning_rates(rates, losses, num_steps=100)
    kept = slice(10, 35)
    for name, rule in SUGGESTIONS.items():
        assert found[name] == pytest.approx(
            min(max(rule(rates[kept], losses[kept]), rates[0]), rates[-2])
        )
    assert found["minimum"] == pytest.approx(rates[29] / 10)


def test_a_minimum_below_the_sweep_is_clipped_into_it():
    rates = np.geomspace(1e-3, 1, 30)
    losses = np.linspace(1.0, 3.0, 30)  # lowest at the first point
    found = suggest_learning_rates(rates, losses)
    assert found["minimum"] == pytest.approx(1e-3)


@pytest.mark.parametrize("count", [1, 2, 3, 6, 9])
def test_very_short_sweeps_use_the_whole_curve(count):
    rates = np.geomspace(1e-4, 1e-1, count)
    losses = 2.0 - np.sin(np.linspace(0, 2.5, count))
    found = suggest_learning_rates(rates, losses, num_steps=100)
    # Fewer than 5 points survive trimming: the rules read all of them.
    for name, rule in SUGGESTIONS.items():
        assert found[name] == pytest.approx(
            min(max(rule(rates, losses), rates[0]), rates[-1])
        )
        assert rates[0] <= found[name] <= rates[-1]
    if count == 1:
        assert list(found.values()) == [pytest.approx(1e-4)] * 4


def test_non_finite_losses_are_ignored():
    losses = (X + 2) ** 2 + 1
    holed = losses.copy()
    holed[[20, 41, 45]] = [np.nan, np.inf, -np.inf]
    keep = np.isfinite(holed)
    found = suggest_learning_rates(RATES, holed)
    assert found["minimum"] == pytest.approx(1e-3)
    kept = keep & (np.arange(61) >= 6) & (np.arange(61) < 56)
    assert found["valley"] == longest_valley(RATES[kept], holed[kept])
    nothing = suggest_learning_rates(RATES[:3], [np.nan, np.inf, np.nan])
    assert nothing == {name: None for name in SUGGESTIONS}


def test_every_suggestion_lies_in_the_swept_range():
    rng = np.random.default_rng(0)
    for _ in range(200):
        count = int(rng.integers(1, 70))
        low = 10 ** rng.uniform(-8, -2)
        rates = np.geomspace(low, low * 10 ** rng.uniform(1, 8), count)
        losses = np.cumsum(rng.normal(0, 0.3, count)) + 3
        losses[rng.random(count) < 0.1] = np.nan
        planned = int(rng.integers(count, 2 * count + 1))
        found = suggest_learning_rates(rates, losses, num_steps=planned)
        finite = np.isfinite(losses)
        for name, rate in found.items():
            if not finite.any():
                assert rate is None
            else:
                assert rates[finite].min() <= rate <= rates[finite].max()
                assert math.isfinite(rate), name


def test_suggest_learning_rate():
    rates = np.geomspace(1e-5, 1, 11)
    losses = [2.3, 2.3, 2.2, 2.0, 1.5, 1.0, 0.8, 0.9, 2.0, np.nan, np.inf]
    # 11 points keep 5 after trimming (1 at the start, 5 at the end).
    assert suggest_learning_rate(rates, losses, "minimum") == pytest.approx(
        rates[5] / 10
    )
    assert suggest_learning_rate(rates, losses) == longest_valley(
        rates[1:6], np.array(losses[1:6])
    )
    assert suggest_learning_rate(rates[:2], [np.nan, np.nan]) is None
    found = suggest_learning_rates(rates, losses, rules=["slide", "steep"])
    assert list(found) == ["slide", "steep"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: suggest_learning_rates(RATES, X, rules="fast"), "rules"),
        (lambda: suggest_learning_rates(RATES, X, rules=[]), "rules"),
        (lambda: suggest_learning_rate(RATES, X, rule="lowest"), "rule"),
        (lambda: suggest_learning_rates(RATES, X, num_steps=0), "num_steps"),
        (lambda: suggest_learning_rates(RATES, X[:5]), "smoothed_losses"),
        (lambda: slide_rule(RATES, X, interval=0), "interval"),
    ],
)
def test_suggestion_validation(call, match):
    with pytest.raises(ValueError, match=f"`{match}`.*Received"):
        call()


def test_unknown_rules_name_the_allowed_ones():
    with pytest.raises(
        ValueError,
        match='`rules` must be one of "valley", "steep", "minimum", "slide" '
        "or a list of them. Received: rules=\\['valley', 'fast'\\]",
    ):
        suggest_learning_rates(RATES, X, rules=["valley", "fast"])


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
        (dict(suggestion="lowest"), "suggestion"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=f"{match}.*Received"):
        LRFinder(_model(), **kwargs)
    with pytest.raises(ValueError, match="compiled"):
        LRFinder(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))


def test_any_reiterable_of_numpy_batches_is_a_dataset(batches):
    listed = list(batches.take(4).as_numpy_iterator())
    from_list = LRFinder(_model(), 1e-4, 1e-1, num_steps=10).find(listed)
    assert len(from_list.losses) == 10  # 4 batches, cycled
    with pytest.raises(ValueError, match="yielded none"):
        LRFinder(_model(), 1e-4, 1e-1, num_steps=10).find([])
