import numpy as np
import pytest

from keras_training_kit.babysitting.surfaces import LOCAL_MINIMUM
from keras_training_kit.babysitting.surfaces import RAVINE
from keras_training_kit.babysitting.surfaces import SADDLE
from keras_training_kit.babysitting.surfaces import SURFACES


@pytest.mark.parametrize("surface", list(SURFACES.values()), ids=list(SURFACES))
def test_analytic_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    points = np.column_stack(
        [rng.uniform(*surface.x_range, 20), rng.uniform(*surface.y_range, 20)]
    )
    h = 1e-6
    for x, y in [surface.start, *points]:
        numeric = (
            (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h),
            (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h),
        )
        np.testing.assert_allclose(
            surface.gradient(x, y), numeric, rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("surface", list(SURFACES.values()), ids=list(SURFACES))
def test_the_minimum_is_zero_and_a_stationary_point(surface):
    assert surface.value(*surface.minimum) == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(
        surface.gradient(*surface.minimum), 0, atol=1e-12
    )
    xs, ys, values = surface.grid(50)
    assert values.shape == (50, 50) and values.min() >= 0
    assert values[0, -1] == pytest.approx(surface.value(xs[-1], ys[0]))


def test_saddle_and_local_minimum_have_the_promised_shape():
    # A saddle at the origin: a minimum along x, a maximum along y.
    assert SADDLE.value(0, 0) == 0.25
    assert SADDLE.value(0.1, 0) > 0.25 > SADDLE.value(0, 0.1)
    # A local minimum at x = 1 above the global one, behind a barrier at 0.
    np.testing.assert_allclose(LOCAL_MINIMUM.gradient(1.0, 0.0), 0)
    assert LOCAL_MINIMUM.value(0, 0) > LOCAL_MINIMUM.value(1, 0) > 0.6
    # The ravine: curvature 100 times higher across than along.
    gx, gy = RAVINE.gradient(1.0, 1.0)
    assert gy / gx == pytest.approx(100)
