"""fastai's learning-rate suggestion rules for an LR range test's curve.

`"valley"`, `"steep"`, `"minimum"` and `"slide"`, after
`fastai/callback/schedule.py`, in NumPy, read off the smoothed loss curve
after fastai's trimming (see `suggest_learning_rates`). `LRFinder` applies
them to its sweep.
"""

import numpy as np

from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

# The rules. Each reads a prepared curve: 1-D arrays of increasing learning
# rates and their finite smoothed losses, at least one point.


def longest_valley(learning_rates, losses) -> float:
    """Returns the learning rate in the middle of the longest valley.

    fastai's `valley` rule: the longest strictly decreasing run (not
    necessarily contiguous) of the loss ends at index `end` with length
    `length`; the suggestion sits at `end - length + int(length / 3) +
    int(length / 6)` (fastai's index arithmetic, kept as it is, clipped at
    the first point), about half way down the valley, where the loss still
    falls fast and the minimum is still far.

    Args:
        learning_rates: 1-D array of increasing floats.
        losses: 1-D array of finite floats, the smoothed losses.

    Returns:
        A float, one of `learning_rates`.

    Example:

    >>> rates = np.geomspace(1e-4, 1, 9)
    >>> losses = np.array([2.3, 2.2, 2.0, 1.6, 1.2, 0.9, 0.8, 1.5, 3.0])
    >>> float(longest_valley(rates, losses))
    0.001
    """
    losses = np.asarray(losses, dtype="float64")
    lengths = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher = losses[:i] > losses[i]
        if higher.any():
            lengths[i] = lengths[:i][higher].max() + 1
    end = int(np.argmax(lengths))  # the first longest, as fastai
    sections = lengths[end] / 3
    index = end - lengths[end] + int(sections) + int(sections / 2)
    return float(learning_rates[max(index, 0)])


def steepest_slope(learning_rates, losses) -> float:
    """Returns the learning rate where the loss falls fastest.

    fastai's `steep` rule: the slope of the loss against the log of the
    learning rate between neighbouring points is steepest (most negative)
    on the segment that starts at the returned learning rate.

    Args:
        learning_rates: 1-D array of increasing floats.
        losses: 1-D array of finite floats, the smoothed losses.

    Returns:
        A float, one of `learning_rates`.

    Example:

    >>> rates = np.geomspace(1e-4, 1, 5)
    >>> float(steepest_slope(rates, [2.3, 2.2, 1.2, 1.0, 3.0]))
    0.001
    """
    rates = np.asarray(learning_rates, dtype="float64")
    if len(rates) < 2:
        return float(rates[0])
    slopes = np.diff(np.asarray(losses, dtype="float64")) / np.diff(
        np.log(rates)
    )
    return float(rates[int(np.argmin(slopes))])


def tenth_of_minimum(learning_rates, losses) -> float:
    """Returns a tenth of the learning rate at the lowest loss.

    fastai's `minimum` rule: at the minimum the loss is about to blow up; a
    tenth of it is still on the falling part of the curve. The result may
    lie below the first learning rate; `suggest_learning_rates` clips it
    into the swept range.

    Args:
        learning_rates: 1-D array of increasing floats.
        losses: 1-D array of finite floats, the smoothed losses.

    Returns:
        A float.

    Example:

    >>> rates = np.geomspace(1e-4, 1, 5)
    >>> float(tenth_of_minimum(rates, [2.3, 2.2, 1.2, 1.0, 3.0]))
    0.01
    """
    return float(np.asarray(learning_rates)[int(np.argmin(losses))] / 10)


def slide_rule(
    learning_rates, losses, interval: int = 15, threshold: float = 0.005
) -> float:
    """Returns the learning rate found by the interval slide rule.

    fastai's `slide` rule (`lr_diff=15, thresh=.005`): with `g` the
    gradient of the loss per step (`np.gradient`), a window of `interval`
    steps slides left from the end of the curve while `|g[right] -
    g[left]| > threshold`; the suggestion is the window's left end at the
    last position that failed (the first window's left end when it already
    passes, the first learning rate when none passes). The threshold is in
    loss units per step, as in fastai. A curve shorter than `interval + 1`
    points (where fastai fails) uses `interval = len(losses) - 1`.

    Args:
        learning_rates: 1-D array of increasing floats.
        losses: 1-D array of finite floats, the smoothed losses.
        interval: int >= 1, the window's width in steps. Defaults to `15`.
        threshold: float >= 0, the largest gradient difference accepted.
            Defaults to `0.005`.

    Returns:
        A float, one of `learning_rates`.

    Example:

    >>> rates = np.geomspace(1e-4, 1, 20)
    >>> losses = np.r_[np.full(10, 2.0), 2.0 + 0.008 * np.arange(1, 11) ** 2]
    >>> slide_rule(rates, losses, interval=5) == float(rates[5])
    True
    """
    check_int("interval", interval)
    check_float("threshold", threshold)
    rates = np.asarray(learning_rates, dtype="float64")
    count = len(rates)
    if count < 2:
        return float(rates[0])
    interval = min(interval, count - 1)
    gradient = np.gradient(np.asarray(losses, dtype="float64"))
    # Windows from the right: right ends count-1, count-2, ..., interval.
    right = np.arange(count - 1, interval - 1, -1)
    passes = np.abs(gradient[right] - gradient[right - interval]) <= threshold
    if not passes.any():
        return float(rates[0])
    left = int(right[np.argmax(passes)]) - interval
    return float(rates[min(left + 1, count - 1 - interval)])


SUGGESTIONS = {
    "valley": longest_valley,
    "steep": steepest_slope,
    "minimum": tenth_of_minimum,
    "slide": slide_rule,
}
"""The learning-rate rules of `suggest_learning_rates` by name, each a
function of the learning rates and the smoothed losses of a range test.
"""

# fastai drops the first `num_steps // 10` points (the loss has not moved
# yet) and the last `_SKIP_END` (the blow-up) before applying a rule; a
# curve with fewer than `_MIN_POINTS` finite points left is used whole.
_SKIP_END = 5
_MIN_POINTS = 5


def check_rule_names(option, names):
    items = [names] if isinstance(names, str) else names
    try:
        unknown = [name for name in items if name not in SUGGESTIONS]
    except TypeError:
        unknown = [items]
    if unknown or not items:
        allowed = ", ".join(f'"{name}"' for name in SUGGESTIONS)
        many = " or a list of them" if option == "rules" else ""
        raise ValueError(
            f"`{option}` must be one of {allowed}{many}. "
            f"Received: {option}={names!r}"
        )
    return list(items)


def suggest_learning_rates(
    learning_rates,
    smoothed_losses,
    rules=None,
    num_steps: int | None = None,
) -> dict:
    """Returns the learning rate suggested by each rule of a range test.

    Follows fastai's `lr_find`: the rules read the smoothed losses after
    dropping the first `num_steps // 10` points (the loss has not moved
    yet) and the last 5 (the blow-up that stopped the sweep); then
    non-finite losses are dropped. A short sweep, or one that stopped within
    a few steps, may keep fewer than 5 finite points: the rules then read
    every finite point of the curve instead. Each suggestion is clipped into
    the range of learning rates whose loss is finite (only `"minimum"`'s
    tenth can fall outside it).

    The rules (see `SUGGESTIONS`): `"valley"` (`longest_valley`),
    `"steep"` (`steepest_slope`), `"minimum"` (`tenth_of_minimum`) and
    `"slide"` (`slide_rule`).

    Args:
        learning_rates: sequence of increasing floats, one per step.
        smoothed_losses: sequence of floats of the same length.
        rules: str, list of str or `None`, the rules to apply; `None` for
            all of `SUGGESTIONS`. Defaults to `None`.
        num_steps: int >= 1 or `None`, the number of steps the sweep was
            set to run (fastai trims by it, not by the steps that ran);
            `None` for `len(learning_rates)`. Defaults to `None`.

    Returns:
        A dict from rule name to learning rate (float), in the order of
        `rules`; every value is `None` when no loss is finite.

    Raises:
        ValueError: for an unknown rule, a bad `num_steps`, or sequences of
            different lengths.

    Example:

    >>> rates = np.geomspace(1e-5, 1, 30)
    >>> x = np.log10(rates)  # a U-shaped curve, lowest near 1e-2
    >>> losses = 2 - np.tanh(2 * (x + 3)) + 0.5 * np.exp(3 * (x + 1))
    >>> for name, value in suggest_learning_rates(rates, losses).items():
    ...     print(f"{name} {value:.1e}")
    valley 3.6e-04
    steep 7.9e-04
    minimum 1.3e-03
    slide 3.3e-05
    """
    names = check_rule_names(
        "rules", list(SUGGESTIONS) if rules is None else rules
    )
    check_int("num_steps", num_steps, allow_none=True)
    rates = np.asarray(learning_rates, dtype="float64").reshape(-1)
    values = np.asarray(smoothed_losses, dtype="float64").reshape(-1)
    if len(rates) != len(values):
        raise ValueError(
            "`learning_rates` and `smoothed_losses` must have the same "
            f"length. Received: len(learning_rates)={len(rates)}, "
            f"len(smoothed_losses)={len(values)}"
        )
    finite = np.isfinite(values)
    if not finite.any():
        return {name: None for name in names}
    start = (len(rates) if num_steps is None else num_steps) // 10
    kept = np.zeros_like(finite)
    kept[start : len(rates) - _SKIP_END] = True
    kept &= finite
    if kept.sum() < _MIN_POINTS:
        kept = finite
    low, high = rates[finite].min(), rates[finite].max()
    return {
        name: float(
            np.clip(SUGGESTIONS[name](rates[kept], values[kept]), low, high)
        )
        for name in names
    }


def suggest_learning_rate(
    learning_rates,
    smoothed_losses,
    rule: str = "valley",
    num_steps: int | None = None,
) -> float | None:
    """Returns the learning rate suggested by one rule of `SUGGESTIONS`.

    The one-rule form of `suggest_learning_rates`.

    Args:
        learning_rates: sequence of increasing floats, one per step.
        smoothed_losses: sequence of floats of the same length.
        rule: str, a rule of `SUGGESTIONS`. Defaults to `"valley"` (before
            the rules existed this function applied `"minimum"`).
        num_steps: int >= 1 or `None`, see `suggest_learning_rates`.
            Defaults to `None`.

    Returns:
        A float, or `None` when no loss is finite.

    Example:

    >>> rates = np.geomspace(1e-4, 1, 9)
    >>> losses = [2.3, 2.2, 2.0, 1.6, 1.2, 0.9, 0.8, 1.5, 3.0]
    >>> suggest_learning_rate(rates, losses, "minimum")
    0.01
    """
    check_rule_names("rule", rule)
    return suggest_learning_rates(
        learning_rates, smoothed_losses, [rule], num_steps
    )[rule]
