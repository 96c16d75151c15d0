"""Tests of `backend`: compiled functions and gradients on every backend."""

import keras
import numpy as np

from keras_training_kit import backend


def test_value_and_gradients_matches_the_closed_form():
    ops = keras.ops
    x = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    w = np.array([0.5, -2.0], "float32")

    def fn(params, x):
        w, b = params
        residual = ops.matmul(x, w) + b
        return ops.mean(ops.square(residual)), residual

    grad = backend.value_and_gradients(fn)
    value, residual, (dw, db) = grad(
        (ops.convert_to_tensor(w), ops.convert_to_tensor(0.25)),
        ops.convert_to_tensor(x),
    )
    r = x @ w + 0.25
    np.testing.assert_allclose(float(value), np.mean(r**2), rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(residual), r, rtol=1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(dw), 2 * x.T @ r / 2, rtol=1e-6
    )
    np.testing.assert_allclose(float(db), 2 * r.mean(), rtol=1e-6)


def test_value_and_gradients_gives_zeros_for_unused_parameters():
    ops = keras.ops
    grad = backend.value_and_gradients(
        lambda params, x: (ops.sum(params[0] * x), x)
    )
    _, _, (used, unused) = grad(
        (ops.ones((3,)), ops.ones((2,))), ops.convert_to_tensor([1.0, 2, 3])
    )
    assert ops.convert_to_numpy(used).tolist() == [1.0, 2.0, 3.0]
    assert ops.convert_to_numpy(unused).tolist() == [0.0, 0.0]


def test_value_and_gradients_reads_current_values_through_a_scope():
    # The seam is pure: variables are read through a StatelessScope, so a
    # new value is seen without retracing and nothing is assigned.
    ops = keras.ops
    v = keras.Variable(2.0)

    def fn(params, x):
        with keras.StatelessScope(state_mapping=[(v, params)]):
            out = v * x
            v.assign(100.0)  # captured by the scope, never applied
        return ops.sum(out), out

    grad = backend.value_and_gradients(fn)
    x = ops.convert_to_tensor([1.0, 2.0])
    assert float(grad(v.value, x)[0]) == 6.0
    v.assign(3.0)
    value, _, dv = grad(v.value, x)
    assert (float(value), float(dv), float(v.value)) == (9.0, 3.0, 3.0)
