"""The optimizer study's 2-D loss surfaces, with their analytic gradients.

Each `Surface` is plain NumPy (it broadcasts over grids, for the contour
plots) and fixes what the study needs to be reproducible: the starting
point, the one learning rate every optimizer gets on it, the number of
steps CS231n's effects take to show, and the plotting range.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Surface:
    """A 2-D loss surface `f(x, y)` with its gradient and study settings.

    Attributes:
        name: str, the surface's name in the study's CSV (`"ravine"`).
        formula: str, `f` written out, for titles and docs.
        value: callable `(x, y) -> f`, NumPy, broadcasting over arrays.
        gradient: callable `(x, y) -> (df/dx, df/dy)`, analytic, NumPy.
        start: tuple `(x, y)`, the starting point of every optimizer.
        learning_rate: float, the learning rate every optimizer uses here.
        x_range: tuple `(low, high)`, the plotted range of `x`.
        y_range: tuple `(low, high)`, the plotted range of `y`.
        minimum: tuple `(x, y)`, the global minimum (where `f` is 0).

    Example:

    >>> float(RAVINE.value(1.0, 0.0)), RAVINE.gradient(1.0, 1.0)
    (0.05, (0.1, 10.0))
    """

    name: str
    formula: str
    value: object
    gradient: object
    start: tuple
    learning_rate: float
    x_range: tuple
    y_range: tuple
    minimum: tuple

    def grid(self, num: int = 200) -> tuple:
        """Returns `(xs, ys, values)` on a `num x num` grid of the ranges.

        `values[i, j]` is `f(xs[j], ys[i])`, the layout `contour` expects.
        """
        xs = np.linspace(*self.x_range, num)
        ys = np.linspace(*self.y_range, num)
        grid_x, grid_y = np.meshgrid(xs, ys)
        return xs, ys, self.value(grid_x, grid_y)


# Ravine: f = 0.5 * (0.1 x^2 + 10 y^2), curvatures 0.1 and 10 (condition
# number 100). At lr = 0.13, lr * 10 = 1.3 > 1: plain SGD overshoots the
# floor of the ravine each step, so its y flips sign (a zig-zag shrinking by
# 0.3 per step), while x only shrinks by 1 - 0.013 per step. It is below
# Nesterov's stability limit for momentum 0.9 (2 * 1.9 / 2.8 = 1.36).
def _ravine_value(x, y):
    return 0.5 * (0.1 * np.square(x) + 10.0 * np.square(y))


def _ravine_gradient(x, y):
    return 0.1 * x, 10.0 * y


RAVINE = Surface(
    name="ravine",
    formula="0.5 (0.1 x² + 10 y²)",
    value=_ravine_value,
    gradient=_ravine_gradient,
    start=(-4.0, 1.0),
    learning_rate=0.13,
    x_range=(-4.5, 1.5),
    y_range=(-1.3, 1.3),
    minimum=(0.0, 0.0),
)
"""A ravine 100 times steeper across than along (condition number 100):
plain SGD zig-zags across its floor, momentum runs along it.
"""


# Saddle: f = 0.5 x^2 + 0.25 (y^2 - 1)^2, a saddle at (0, 0) (f = 0.25)
# between minima at (0, +-1) (f = 0), so it is bounded from below. Started
# 1e-3 off the saddle's ridge, y's gradient is y^3 - y ~ -1e-3: SGD's y
# grows by only (1 + lr) per step and it stalls at the saddle.
def _saddle_value(x, y):
    return 0.5 * np.square(x) + 0.25 * np.square(np.square(y) - 1.0)


def _saddle_gradient(x, y):
    return x, y**3 - y


SADDLE = Surface(
    name="saddle",
    formula="0.5 x² + 0.25 (y² - 1)²",
    value=_saddle_value,
    gradient=_saddle_gradient,
    start=(-1.5, 1e-3),
    learning_rate=0.05,
    x_range=(-1.8, 1.8),
    y_range=(-1.4, 1.4),
    minimum=(0.0, 1.0),
)
"""A saddle point at `(0, 0)` between two minima: SGD, started just off the
ridge, stalls at the saddle; momentum and the adaptive optimizers escape.
"""


# Local minimum: f = g(x) + 0.5 y^2 with g' = x (x + 1.5) (x - 1): a local
# minimum at x = 1 (f = 0.651) beside the global one at x = -1.5 (f = 0),
# with a barrier at x = 0 (f = 0.984). From x = 2.5 SGD settles in the
# local minimum; momentum's velocity carries it over the barrier.
_LOCAL_MINIMUM_OFFSET = 63 / 64  # -g(-1.5): the global minimum is 0.


def _local_minimum_value(x, y):
    g = x**4 / 4 + x**3 / 6 - 0.75 * np.square(x)
    return g + _LOCAL_MINIMUM_OFFSET + 0.5 * np.square(y)


def _local_minimum_gradient(x, y):
    return x**3 + 0.5 * np.square(x) - 1.5 * x, y


LOCAL_MINIMUM = Surface(
    name="local_minimum",
    formula="x⁴/4 + x³/6 - 0.75 x² + 63/64 + 0.5 y²",
    value=_local_minimum_value,
    gradient=_local_minimum_gradient,
    start=(2.5, 0.5),
    learning_rate=0.02,
    x_range=(-2.2, 2.8),
    y_range=(-1.0, 1.0),
    minimum=(-1.5, 0.0),
)
"""A local minimum beside the global one: SGD stops in the local minimum,
momentum's velocity carries it over the barrier to the global one.
"""

SURFACES = {s.name: s for s in (RAVINE, SADDLE, LOCAL_MINIMUM)}
"""`RAVINE`, `SADDLE` and `LOCAL_MINIMUM` by name."""
