"""The one way the benchmarks report a ratio: median [min, max] of rounds.

Each benchmark alternates its variants round by round and pairs them per
round, so a slow moment of the host weighs on both sides of a ratio; the
spread over rounds says how far one run's figure can be trusted.
"""

import statistics


def ratios(numerators, denominators) -> list:
    """The per-round ratios of two equally long lists of measurements."""
    if len(numerators) != len(denominators) or not numerators:
        raise ValueError(
            "Need one measurement of each side per round. Received: "
            f"{len(numerators)} and {len(denominators)}"
        )
    return [a / b for a, b in zip(numerators, denominators)]


def spread(values, digits: int = 3) -> str:
    """`"median [min, max]"` of `values`, e.g. `"1.031 [0.987, 1.102]"`."""
    return (
        f"{statistics.median(values):.{digits}f} "
        f"[{min(values):.{digits}f}, {max(values):.{digits}f}]"
    )


def ratio_spread(numerators, denominators, digits: int = 3) -> str:
    """`spread(ratios(numerators, denominators))`."""
    return spread(ratios(numerators, denominators), digits)
