"""Quality bar: tune lr/L2 coarse-to-fine for the CNN, retrain, report test
accuracy.

    python examples/tune_quality_bar.py --dataset mnist1d
    python examples/tune_quality_bar.py --dataset digits

The search uses the validation split only; the test split is evaluated once,
by the final model trained with the best learning rate and L2.
"""

import argparse
import json
import os
import time

import keras

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import compile_classifier
from keras_training_kit.plotting import plot_search_scatter
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import search
from keras_training_kit.tuning import write_results_csv

# A CNN for 1-D signals and small images: three stages of two convolutions
# each (kernel 5), max pooling, one dense layer.
CNN = dict(
    filters=(32, 64, 128), kernel_size=5, convs_per_stage=2, dense_units=(128,)
)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="mnist1d")
    parser.add_argument(
        "--trials", type=int, default=8, help="trials per stage"
    )
    parser.add_argument("--epochs", type=int, default=5, help="stage-1 epochs")
    parser.add_argument("--final-epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--output-dir",
        default=f"runs/example-quality-bar-{time.strftime('%Y%m%d-%H%M%S')}",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    data = load_dataset(args.dataset, seed=args.seed)
    train = (
        data.train.cache()
        .shuffle(10_000, seed=args.seed)
        .batch(args.batch_size)
    )
    validation = data.validation.batch(256).cache()
    test = data.test.batch(256)
    hypermodel = TrainingHyperModel(
        "cnn",
        data.input_shape,
        data.num_classes,
        learning_rate=(1e-4, 3e-2),
        l2=(1e-6, 1e-2),
        builder_kwargs=CNN,
    )
    directory = os.path.join(args.output_dir, args.dataset)
    start = time.perf_counter()
    result = search(
        hypermodel,
        train,
        validation,
        strategy="coarse-to-fine",
        max_trials=args.trials,
        epochs=args.epochs,
        directory=directory,
        seed=args.seed,
        verbose=1,
    )
    search_seconds = time.perf_counter() - start
    write_results_csv(result.rows, os.path.join(directory, "results.csv"))
    plot_search_scatter(result.rows, os.path.join(directory, "search.png"))
    best = result.best_hyperparameters

    keras.utils.set_random_seed(args.seed)
    model = build_cnn(data.input_shape, data.num_classes, l2=best["l2"], **CNN)
    compile_classifier(model, learning_rate=best["learning_rate"])
    start = time.perf_counter()
    model.fit(
        train,
        validation_data=validation,
        epochs=args.final_epochs,
        shuffle=False,  # `train` shuffles itself
        verbose=0,
    )
    fit_seconds = time.perf_counter() - start
    _, test_accuracy = model.evaluate(test, verbose=0)
    summary = dict(
        dataset=args.dataset,
        test_accuracy=round(float(test_accuracy), 4),
        search_seconds=round(search_seconds),
        final_fit_seconds=round(fit_seconds),
        final_epochs=args.final_epochs,
        **best,
    )
    with open(os.path.join(directory, "quality.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(
        f"{args.dataset}: test accuracy {summary['test_accuracy']:.4f} with "
        f"learning_rate={best['learning_rate']:.2g}, l2={best['l2']:.2g} "
        f"(search {search_seconds:.0f} s, final fit of {args.final_epochs} "
        f"epochs {fit_seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
