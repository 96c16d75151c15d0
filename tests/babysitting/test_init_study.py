import numpy as np
import pytest

from keras_training_kit.babysitting import CONFIGURATIONS
from keras_training_kit.babysitting import run_init_study


@pytest.fixture(scope="module")
def study():
    # The lecture's network (10 x 500, input dim 500) on 200 instead of 1000
    # examples: the statistics pool 100 000 activations per layer.
    return run_init_study(num_examples=200)


def stds(study, name):
    row = next(r for r in study["rows"] if r["name"] == name)
    return np.array([layer["std"] for layer in row["layers"]])


def test_rows_and_layers(study):
    assert [row["name"] for row in study["rows"]] == list(CONFIGURATIONS)
    for row in study["rows"]:
        assert [layer["layer"] for layer in row["layers"]] == list(range(1, 11))
        for layer in row["layers"]:
            assert sum(layer["histogram"]["counts"]) == 200 * 500
            assert len(layer["histogram"]["edges"]) == 51


def test_published_numbers(study):
    small = stds(study, "tanh-randn-0.01")
    assert small[0] == pytest.approx(0.21, abs=0.01)
    assert 1e-7 < small[-1] < 1e-6  # Published: about 3e-7.
    assert np.all(np.diff(small) < 0)
    np.testing.assert_allclose(stds(study, "tanh-randn-1"), 0.98, atol=0.01)
    xavier_tanh = stds(study, "tanh-xavier")
    assert np.all(np.diff(xavier_tanh) < 0)
    assert xavier_tanh[-1] == pytest.approx(0.23, abs=0.03)
    # Published: 0.02-0.03; halving the variance per layer gives 0.026 in
    # expectation, a finite network drifts around it.
    assert 0.015 < stds(study, "relu-xavier")[-1] < 0.05
    # Published: 0.7-0.9; 0.83 in expectation, with a random drift over
    # depth in a finite network (0.7-1.2 over seeds).
    assert np.all(
        (stds(study, "relu-he") > 0.6) & (stds(study, "relu-he") < 1.3)
    )
    np.testing.assert_allclose(stds(study, "relu-lsuv"), 1.0, atol=0.1)
    lsuv_row = study["rows"][-1]
    assert all(entry["converged"] for entry in lsuv_row["lsuv"])


def test_reproducible_and_seeded():
    kwargs = dict(num_examples=50, input_dim=30, depth=3, width=30)
    first = run_init_study(["tanh-xavier", "relu-he"], seed=3, **kwargs)
    second = run_init_study(["tanh-xavier", "relu-he"], seed=3, **kwargs)
    other = run_init_study(["tanh-xavier", "relu-he"], seed=4, **kwargs)
    assert first == second
    assert stds(first, "relu-he")[0] != stds(other, "relu-he")[0]
    assert first["settings"] == dict(kwargs, bins=50, seed=3)


def test_errors():
    with pytest.raises(ValueError, match="configurations=\\['relu-glorot'\\]"):
        run_init_study(["relu-glorot"])
    with pytest.raises(ValueError, match="num_examples=0"):
        run_init_study(num_examples=0)
    with pytest.raises(ValueError, match="depth"):
        run_init_study(["relu-he"], depth=0)
