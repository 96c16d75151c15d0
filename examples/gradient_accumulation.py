"""Gradient accumulation on digits: batch 8 x 4 against batch 32.

Trains the default `build_cnn` on the embedded digits set with and without
batch normalization, each twice from the same initial weights on the same
shuffled stream of examples: batch 8 with `gradient_accumulation_steps=4`,
and batch 32 without. Prints, for each model, the relative difference of the
final trainable weights (`||w_8x4 - w_32|| / ||w_32||` over all of them) and
both test accuracies, on

- the first 1280 training examples (a multiple of 32: every update of the
  accumulated run sees exactly the examples of one batch of 32), and
- the whole training split (1293 examples: the last batch of an epoch is
  short, and the accumulated run's updates straddle epochs);

and, as a yardstick, the same difference between two batch-32 runs whose
only change is the shuffling seed.

    python examples/gradient_accumulation.py [--epochs 10]
"""

import argparse
import dataclasses

import keras
import numpy as np

from keras_training_kit.data import batched_splits
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.optimizers import build_optimizer


def train(data, initial, normalization, batch_size, steps, args, seed=0):
    """Trains from `initial`; returns the trainable weights and accuracy."""
    keras.utils.set_random_seed(seed)
    model = build_cnn(
        data.input_shape, data.num_classes, normalization=normalization
    )
    model.set_weights(initial)
    model.compile(
        optimizer=build_optimizer(
            args.optimizer,
            args.learning_rate,
            gradient_accumulation_steps=steps,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train_split, _, test = batched_splits(data, batch_size, seed=seed)
    model.fit(train_split, epochs=args.epochs, shuffle=False, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    return [
        keras.ops.convert_to_numpy(w) for w in model.trainable_weights
    ], accuracy


def relative_difference(weights, reference):
    difference = sum(np.sum((w - r) ** 2) for w, r in zip(weights, reference))
    return float(np.sqrt(difference / sum(np.sum(r**2) for r in reference)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    args = parser.parse_args()
    full = load_dataset("digits", seed=0)
    large_batch = args.batch_size * args.steps
    kept = full.cardinality["train"] // large_batch * large_batch
    trimmed = dataclasses.replace(
        full,
        train=full.train.take(kept),
        cardinality=dict(full.cardinality, train=kept),
    )
    print(
        f"digits, build_cnn, {args.optimizer} lr {args.learning_rate}, "
        f"{args.epochs} epochs, seed 0: batch {args.batch_size} x "
        f"{args.steps} accumulated vs batch {large_batch}"
    )
    small = f"{args.batch_size} x {args.steps}"
    print(
        "| normalization | train examples | runs compared | relative weight "
        "difference | test accuracy |"
    )
    print("|---|---|---|---|---|")
    for normalization in (None, "batch"):
        keras.utils.set_random_seed(0)
        initial = build_cnn(
            full.input_shape, full.num_classes, normalization=normalization
        ).get_weights()
        for data in (trimmed, full):
            accumulated, accumulated_accuracy = train(
                data, initial, normalization, args.batch_size, args.steps, args
            )
            large, large_accuracy = train(
                data, initial, normalization, large_batch, None, args
            )
            print(
                f"| {normalization} | {data.cardinality['train']} | {small} vs "
                f"{large_batch} | {relative_difference(accumulated, large):.2e}"
                f" | {accumulated_accuracy:.4f} vs {large_accuracy:.4f} |"
            )
        reshuffled, reshuffled_accuracy = train(
            full, initial, normalization, large_batch, None, args, seed=1
        )
        print(
            f"| {normalization} | {full.cardinality['train']} | {large_batch}"
            f", shuffling seed 1 vs 0 | "
            f"{relative_difference(reshuffled, large):.2e} | "
            f"{reshuffled_accuracy:.4f} vs {large_accuracy:.4f} |"
        )


if __name__ == "__main__":
    main()
