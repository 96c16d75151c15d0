"""`activation_statistics`: per-layer statistics on the device vs NumPy."""

import numpy as np
import pytest

from keras_training_kit.backend import compile_function
from keras_training_kit.backend import compiles_with_xla
from keras_training_kit.diagnostics.reductions import activation_statistics
from keras_training_kit.diagnostics.reductions import histogram_edges
from keras_training_kit.diagnostics.reductions import unpack_statistics

_RNG = np.random.default_rng(0)


def _outputs():
    relu = np.maximum(_RNG.normal(size=(32, 6, 5)), 0).astype("float32")
    relu[..., 2] = 0.0  # one dead unit
    return [
        relu,
        np.tanh(3 * _RNG.normal(size=(32, 6, 5))).astype("float32"),
        (1 / (1 + np.exp(-4 * _RNG.normal(size=(32, 7))))).astype("float32"),
        np.round(4 * _RNG.normal(size=(32, 7))).astype("float32") / 4,
        np.full((32, 7), 2.5, "float32"),
    ]


def _saturation():
    return [None, "tanh", "sigmoid", None, None]


@pytest.mark.parametrize("exact", [False, True])
def test_statistics_equal_numpy(exact):
    outputs = _outputs()
    records = unpack_statistics(
        activation_statistics(outputs, 12, _saturation(), exact=exact),
        _saturation(),
    )
    for a, record in zip(outputs, records):
        np.testing.assert_allclose(record["mean"], a.mean(), rtol=1e-5)
        np.testing.assert_allclose(record["std"], a.std(), rtol=1e-5, atol=1e-7)
        assert record["zero_fraction"] == pytest.approx(np.mean(a == 0))
        dead = np.all(a.reshape(-1, a.shape[-1]) == 0, axis=0).mean()
        assert record["dead_fraction"] == pytest.approx(dead)
        counts, edges = np.histogram(a, bins=12)
        assert record["histogram_min"] == edges[0]
        assert record["histogram_max"] == edges[-1]
        assert (
            histogram_edges(
                record["histogram_min"], record["histogram_max"], 12
            )
            == edges.tolist()
        )
        if exact:
            np.testing.assert_array_equal(record["histogram"], counts)
        else:
            assert record["histogram"].sum() == a.size
            assert np.abs(record["histogram"] - counts).sum() <= 0.01 * a.size
    assert records[0]["dead_fraction"] == pytest.approx(0.2)
    assert records[1]["saturated_fraction"] == pytest.approx(
        np.mean(np.abs(outputs[1]) > 0.99)
    )
    sigmoid = outputs[2]
    assert records[2]["saturated_fraction"] == pytest.approx(
        np.mean((sigmoid < 0.01) | (sigmoid > 0.99))
    )
    assert "saturated_fraction" not in records[0]
    # A constant output: np.histogram's range value +- 0.5.
    assert (records[4]["histogram_min"], records[4]["histogram_max"]) == (
        2.0,
        3.0,
    )


@pytest.mark.parametrize("jit_compile", [False, True])
def test_exact_histogram_in_a_compiled_function(jit_compile):
    # Values on the edges (quarters) and a constant output: Grappler's
    # reciprocal and XLA's fused multiply-add must not move a count
    # (`tf.function` under TensorFlow, `jax.jit` under JAX).
    outputs = [o for o in _outputs() if o.ndim == 2]

    def reduce(values):
        return activation_statistics(
            values, 30, exact=True, jit_compile=compiles_with_xla(jit_compile)
        )

    reduce = compile_function(reduce, jit_compile)

    for record, a in zip(unpack_statistics(reduce(outputs)), outputs):
        np.testing.assert_array_equal(
            record["histogram"], np.histogram(a, bins=30)[0]
        )


def test_float64_statistics_equal_numpy_float64():
    a = (1e-7 * _RNG.normal(size=(1000, 50)) + 3e-9).astype("float32")
    record = unpack_statistics(activation_statistics([a], dtype="float64"))[0]
    assert record["mean"] == pytest.approx(
        np.mean(a, dtype=np.float64), rel=1e-10
    )
    assert record["std"] == pytest.approx(
        np.std(a, dtype=np.float64), rel=1e-10
    )


def test_rows_keep_the_order_of_the_outputs():
    # Shapes interleave, so the groups are reduced out of order.
    outputs = [np.full((4, 3), v, "float32") for v in (1.0, 2.0)]
    outputs.insert(1, np.full((4, 5), 3.0, "float32"))
    rows = activation_statistics(outputs, 4)
    assert rows.shape == (3, 7 + 4)
    means = [r["mean"] for r in unpack_statistics(rows)]
    assert means == [1.0, 3.0, 2.0]


def test_errors():
    with pytest.raises(ValueError, match="one entry per output"):
        activation_statistics([np.ones((2, 2), "float32")], 3, [None, None])
    with pytest.raises(ValueError, match="saturation=\\['relu'\\]"):
        activation_statistics([np.ones((2, 2), "float32")], 3, ["relu"])
