import numpy as np
import pytest

from keras_training_kit.babysitting import CONFIGURATIONS
from keras_training_kit.babysitting import run_init_study


@pytest.fixture(scope="module")
def study():
    # CS231n's network (10 x 500, input dim 500) on 200 instead of 1000
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


def backprop(study, name):
    row = next(r for r in study["rows"] if r["name"] == name)
    return np.array([layer["backprop_std"] for layer in row["layers"]])


def test_backward_pass_both_ways(study):
    # The unit-normal gradient fed in at the last layer.
    for row in study["rows"]:
        assert row["layers"][-1]["backprop_std"] == pytest.approx(1, abs=0.02)
    # 0.01 * randn: each layer multiplies the gradient by about
    # 0.01 * sqrt(500) * mean tanh' ~ 0.22: it vanishes like the forward pass.
    small = backprop(study, "tanh-randn-0.01")
    assert np.all(np.diff(small) > 0)
    assert 1e-7 < small[0] < 1e-5
    # Xavier keeps tanh's gradient alive, He keeps ReLU's near 1, LSUV too.
    assert 0.2 < backprop(study, "tanh-xavier")[0] < 1
    he = backprop(study, "relu-he")
    assert np.all((he > 0.7) & (he < 1.6))
    np.testing.assert_allclose(backprop(study, "relu-lsuv"), 1, atol=0.2)
    # Xavier halves ReLU's variance per layer backwards as well.
    assert backprop(study, "relu-xavier")[0] < 0.1


def test_backprop_std_matches_the_chain_rule_in_numpy():
    import keras

    from keras_training_kit.babysitting.init_study import _initializer
    from keras_training_kit.models import build_deep_mlp

    n, d, depth, width, seed = 64, 12, 4, 16, 5
    study = run_init_study(
        ["tanh-xavier", "relu-he"],
        num_examples=n,
        input_dim=d,
        depth=depth,
        width=width,
        seed=seed,
    )
    x = np.random.default_rng(seed).standard_normal((n, d)).astype("float32")
    upstream = np.random.default_rng([seed, 1]).standard_normal((n, width))
    for row, (activation, kind) in zip(
        study["rows"], [("tanh", "xavier"), ("relu", "he")]
    ):
        model = build_deep_mlp(
            d,
            depth,
            width,
            activation=activation,
            kernel_initializer=_initializer(kind, seed),
            use_bias=False,
        )
        kernels = [
            keras.ops.convert_to_numpy(layer.kernel).astype("float64")
            for layer in model.layers
            if layer.name.startswith("layer_")
        ]
        h, slopes = x.astype("float64"), []
        for w in kernels:
            z = h @ w
            h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
            slopes.append(1 - h**2 if activation == "tanh" else (z > 0) * 1.0)
        g, want = upstream, [np.std(upstream)]
        for w, slope in zip(kernels[:0:-1], slopes[:0:-1]):
            g = (g * slope) @ w.T
            want.append(np.std(g))
        got = [layer["backprop_std"] for layer in row["layers"]]
        np.testing.assert_allclose(got, want[::-1], rtol=1e-4)
