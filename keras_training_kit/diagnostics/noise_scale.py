"""The gradient noise scale: McCandlish et al. (2018)'s `B_simple`.

`B_simple = tr(Sigma) / |G|^2` in examples, the batch size beyond which a
larger batch stops shortening training much. Both terms are estimated
without bias from the squared gradient norms of small batches and of one
big batch (appendix A of "An Empirical Model of Large-Batch Training").
"""

import math


def two_batch_estimates(
    small_squared_norm: float,
    big_squared_norm: float,
    small_batch: int,
    big_batch: int,
) -> tuple:
    """Unbiased estimates of `|G|^2` and `tr(Sigma)` from two batch sizes.

    Args:
        small_squared_norm: float, `|G_small|^2`, the squared norm of the
            mean gradient of a batch of `small_batch` examples (averaged
            over several such batches).
        big_squared_norm: float, `|G_big|^2`, of a batch of `big_batch`.
        small_batch: int, `B_small`.
        big_batch: int, `B_big > B_small`.

    Returns:
        `(g2, trace)`: `(B_big |G_big|^2 - B_small |G_small|^2) / (B_big -
        B_small)` and `(|G_small|^2 - |G_big|^2) / (1 / B_small - 1 /
        B_big)`.

    Raises:
        ValueError: unless `0 < small_batch < big_batch`.

    Example:

    >>> two_batch_estimates(5.0, 2.0, 1, 4)
    (1.0, 4.0)
    """
    if not 0 < small_batch < big_batch:
        raise ValueError(
            "The batch sizes must satisfy 0 < small_batch < big_batch. "
            f"Received: small_batch={small_batch}, big_batch={big_batch}"
        )
    g2 = (big_batch * big_squared_norm - small_batch * small_squared_norm) / (
        big_batch - small_batch
    )
    trace = (small_squared_norm - big_squared_norm) / (
        1 / small_batch - 1 / big_batch
    )
    return g2, trace


def noise_scale(estimates) -> float:
    """`B_simple` from summed `(g2, trace)` estimates; NaN unless `g2 > 0`.

    A ratio of one small sample's estimates is mostly noise: summing
    several before dividing is McCandlish et al.'s advice.

    Example:

    >>> noise_scale([(1.0, 4.0), (0.5, 2.0)])
    4.0
    """
    g2 = sum(e[0] for e in estimates)
    trace = sum(e[1] for e in estimates)
    return trace / g2 if g2 > 0 else math.nan
