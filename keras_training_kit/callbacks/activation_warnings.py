"""`ActivationWarnings`: the lecture's diagnostics of activation statistics.

Dead units, saturated units, a collapsed std and an update ratio outside
its healthy range, each reported once per layer and condition, with the
advice that goes with it.
"""

import math


class ActivationWarnings:
    """Turns per-layer statistics into warnings, once per layer and condition.

    Args:
        dead_threshold: float, warn when more than this fraction of a
            layer's units are dead.
        saturation_threshold: float, warn when more than this fraction of a
            tanh/sigmoid layer's outputs are saturated.
        std_threshold: float, warn when a layer's output std falls below it
            (unless its units are dead: that warning says more).
        update_ratio_range: `(low, high)`, warn when a kernel's update ratio
            leaves it.

    Example:

    >>> checks = ActivationWarnings(0.5, 0.5, 1e-3, (1e-4, 1e-2))
    >>> checks.check("dense", 10, {"dead_fraction": 0.75, "std": 0.3})
    ['dense: 75% of units dead since step 10: lower the learning rate or \
use LeakyReLU/He initialization']
    >>> checks.check("dense", 20, {"dead_fraction": 0.8, "std": 0.3})
    []
    """

    def __init__(
        self,
        dead_threshold: float,
        saturation_threshold: float,
        std_threshold: float,
        update_ratio_range: tuple,
    ):
        self.dead_threshold = dead_threshold
        self.saturation_threshold = saturation_threshold
        self.std_threshold = std_threshold
        self.update_ratio_range = update_ratio_range
        self._warned = set()
        self._first_seen = {}

    def check(self, name: str, step: int, stats: dict) -> list:
        """The new warnings for layer `name`'s statistics at `step`.

        Args:
            name: str, the layer.
            step: int, the training step of the sample.
            stats: dict with `"dead_fraction"` and `"std"`, and optionally
                `"saturated_fraction"` and `"update_ratio"` (NaN: unknown).

        Returns:
            A list of str, the messages not given before for this layer.
        """
        found = []
        dead = stats["dead_fraction"]
        if dead > self.dead_threshold:
            since = self._first_seen.setdefault((name, "dead"), step)
            found.append(
                (
                    "dead",
                    f"{name}: {dead:.0%} of units dead since step {since}: "
                    "lower the learning rate or use LeakyReLU/He "
                    "initialization",
                )
            )
        saturated = stats.get("saturated_fraction", 0.0)
        if saturated > self.saturation_threshold:
            found.append(
                (
                    "saturated",
                    f"{name}: {saturated:.0%} saturated at step {step}: use "
                    "Xavier initialization or BatchNormalization",
                )
            )
        std = stats["std"]
        if std < self.std_threshold and dead <= self.dead_threshold:
            found.append(
                (
                    "collapsed",
                    f"{name}: activation std {std:.2g} below "
                    f"{self.std_threshold:g} at step {step}: the signal "
                    "collapses with depth; use Xavier/He initialization or "
                    "BatchNormalization",
                )
            )
        ratio = stats.get("update_ratio", float("nan"))
        low, high = self.update_ratio_range
        healthy = "(SGD ~1e-3, Adam up to ~1e-1 are healthy)"
        if math.isfinite(ratio) and ratio > high:
            found.append(
                (
                    "update_high",
                    f"{name}: update/weight ratio {ratio:.2g} above {high:g} "
                    f"at step {step} {healthy}: lower the learning rate",
                )
            )
        elif math.isfinite(ratio) and ratio < low:
            found.append(
                (
                    "update_low",
                    f"{name}: update/weight ratio {ratio:.2g} below {low:g} "
                    f"at step {step} {healthy}: raise the learning rate, "
                    "unless only the first layers are this low (vanishing "
                    "gradients: run `ktk diagnose` or `GradientStatistics`)",
                )
            )
        new = [(c, m) for c, m in found if (name, c) not in self._warned]
        self._warned.update((name, c) for c, _ in new)
        return [message for _, message in new]
