"""Gradient accumulation (`build_optimizer(gradient_accumulation_steps=4)`).

Batch `b` accumulated over 4 batches against batch `4 * b` without
accumulation, from the same initial weights on the same examples in the
same order (`batched_splits` shuffles before it batches, so with one seed
each `4b` batch is the concatenation of four `b` batches).

Keras divides the sum of the 4 micro-batch gradients by 4, so for a model
whose loss is a mean of per-example terms (no batch statistics, no dropout)
the optimizer sees the large batch's gradient, up to float32 rounding: a
mean of four means is summed in another order than one mean of `4b`. In
these runs that rounding leaves at most about 2e-7 absolute difference on
weights of order 0.1-1 after 48 updates (a relative difference, in norm
over all weights, of 3e-8 to 1e-7; elementwise up to 3e-4, on weights that
are nearly zero, hence the `atol`). `atol=1e-6` with `rtol=1e-5` covers it
with a margin of 4, while the batch-norm models below differ by 2e-2 to
4e-2 in norm (up to 0.07 on single weights).
"""

import dataclasses

import keras
import numpy as np
import pytest

from keras_training_kit.data import batched_splits
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import build_mlp
from keras_training_kit.optimizers import build_optimizer

BATCH = 16
STEPS = 4
EXAMPLES = 1024  # A multiple of 4 * BATCH: 16 updates an epoch.
EPOCHS = 3
RTOL, ATOL = 1e-5, 1e-6
LEARNING_RATES = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3}


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    return dataclasses.replace(
        data,
        train=data.train.take(EXAMPLES),
        cardinality=dict(data.cardinality, train=EXAMPLES),
    )


def mlp(normalization=None):
    return build_mlp((8, 8, 1), 10, (64, 32), normalization=normalization)


def cnn(normalization=None):
    return build_cnn(
        (8, 8, 1),
        10,
        (8, 16),
        dense_units=(32,),
        normalization=normalization,
    )


def train(builder, weights, data, *, optimizer, batch_size, steps):
    """Fits a fresh model from `weights`; returns its trainable weights."""
    model = builder()
    model.set_weights(weights)
    model.compile(
        optimizer=build_optimizer(
            optimizer,
            LEARNING_RATES[optimizer],
            gradient_accumulation_steps=steps,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    train_split, _, _ = batched_splits(data, batch_size, seed=0)
    model.fit(train_split, epochs=EPOCHS, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations) == EPOCHS * EXAMPLES // (
        BATCH * STEPS
    )
    return [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]


def accumulated_and_large(builder, data, optimizer="sgd"):
    """Trains `b x 4` and `4b` from one set of initial weights."""
    initial = builder().get_weights()
    accumulated = train(
        builder,
        initial,
        data,
        optimizer=optimizer,
        batch_size=BATCH,
        steps=STEPS,
    )
    large = train(
        builder,
        initial,
        data,
        optimizer=optimizer,
        batch_size=BATCH * STEPS,
        steps=None,
    )
    return accumulated, large


def relative_difference(weights, reference):
    """The global L2 norm of `weights - reference` over that of `reference`."""
    difference = np.sqrt(
        sum(np.sum((w - r) ** 2) for w, r in zip(weights, reference))
    )
    return difference / np.sqrt(sum(np.sum(r**2) for r in reference))


def test_large_batches_are_concatenations_of_small_ones(digits):
    small = [x.numpy() for x, _ in batched_splits(digits, BATCH, seed=0)[0]]
    large = [
        x.numpy() for x, _ in batched_splits(digits, BATCH * STEPS, seed=0)[0]
    ]
    assert len(small) == STEPS * len(large) == EXAMPLES // BATCH
    for index, batch in enumerate(large):
        np.testing.assert_array_equal(
            batch, np.concatenate(small[STEPS * index : STEPS * (index + 1)])
        )


# Momentum SGD and Adam hold as tightly as plain SGD: each update gets the
# same mean gradient, and Adam's bias correction reads `iterations`, which
# Keras counts in updates (micro-batches // 4), so it matches too.
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_mlp_accumulated_equals_the_large_batch(digits, optimizer):
    accumulated, large = accumulated_and_large(mlp, digits, optimizer)
    for a, b in zip(accumulated, large):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "builder,normalization,equal",
    [
        (mlp, "batch", False),
        (cnn, None, True),
        (cnn, "layer", True),
        (cnn, "batch", False),
    ],
)
def test_batch_norm_makes_accumulation_differ(
    digits, builder, normalization, equal
):
    # BatchNormalization normalizes with the statistics of each micro-batch
    # of `b` (and updates its moving statistics 4 times per update), so the
    # accumulated gradient is not the `4b` batch's; LayerNormalization
    # normalizes each example alone and keeps the equality.
    accumulated, large = accumulated_and_large(
        lambda: builder(normalization), digits
    )
    difference = relative_difference(accumulated, large)
    if equal:
        assert difference < 1e-6
        for a, b in zip(accumulated, large):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    else:
        assert difference > 5e-3


def test_leftover_micro_batches_carry_over_epochs_and_fits(digits):
    # Keras counts micro-batches in one counter over the optimizer's life
    # and updates on every 4th; nothing happens at the end of an epoch or
    # of `fit`. With 5 batches an epoch, the 2nd update mixes batch 5 of
    # epoch 1 with batches 1-3 of epoch 2, batches 4-5 of epoch 2 wait in
    # the accumulators when `fit` returns (not applied, not dropped) and
    # the next `fit` adds them to its first 2 batches.
    x, y = (np.array(t) for t in next(iter(digits.train.batch(5 * BATCH))))
    initial = mlp().get_weights()

    def compiled(steps):
        model = mlp()
        model.set_weights(initial)
        model.compile(
            optimizer=build_optimizer(
                "sgd", 0.1, gradient_accumulation_steps=steps
            ),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    def fit(model, x, y, batch_size, epochs=1):
        model.fit(
            x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0
        )
        return [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]

    accumulated = compiled(STEPS)
    after_two_epochs = fit(accumulated, x, y, BATCH, epochs=2)
    assert int(accumulated.optimizer.iterations) == 2
    # The large-batch stream Keras trained on: 2 updates over micro-batches
    # 1-8 of the 10 it saw, the epoch boundary inside the 2nd.
    large = compiled(None)
    stream_x, stream_y = np.concatenate([x, x]), np.concatenate([y, y])
    cut = 2 * STEPS * BATCH
    expected = fit(large, stream_x[:cut], stream_y[:cut], STEPS * BATCH)
    for a, b in zip(after_two_epochs, expected):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    # Not what resetting at each epoch would give (batches 1-4 of each
    # epoch, batch 5 dropped): the test tells the two apart.
    reset = compiled(None)
    dropped = fit(
        reset,
        np.concatenate([x[: cut // 2], x[: cut // 2]]),
        np.concatenate([y[: cut // 2], y[: cut // 2]]),
        STEPS * BATCH,
    )
    assert relative_difference(after_two_epochs, dropped) > 1e-3

    # A 3rd epoch in a new `fit`: micro-batches 11-15, one update over
    # batches 4-5 of epoch 2 and 1-2 of epoch 3; 3-5 are left waiting.
    after_three_epochs = fit(accumulated, x, y, BATCH)
    assert int(accumulated.optimizer.iterations) == 3
    expected = fit(
        large,
        np.concatenate([x[3 * BATCH :], x[: 2 * BATCH]]),
        np.concatenate([y[3 * BATCH :], y[: 2 * BATCH]]),
        STEPS * BATCH,
    )
    for a, b in zip(after_three_epochs, expected):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
