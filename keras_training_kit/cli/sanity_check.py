"""`ktk sanity-check`: the lecture's checks on a freshly built model."""

HELP = "Check the initial loss, regularization and overfitting a tiny subset."


def add_arguments(parser):
    from keras_training_kit.cli import flags

    flags.add_data_arguments(parser, validation_split=False)
    parser.add_argument("--model", choices=("cnn", "mlp"), default="mlp")
    parser.add_argument(
        "--hidden-units",
        type=flags.positive_int_list,
        default=[256, 128],
        help="MLP widths, comma-separated",
    )
    parser.add_argument(
        "--filters",
        type=flags.positive_int_list,
        default=[32, 64],
        help="CNN filters per stage, comma-separated",
    )
    parser.add_argument(
        "--activation",
        default="relu",
        help="any Keras activation name, or maxout",
    )
    parser.add_argument(
        "--initializer", default="auto", help="auto or a Keras initializer name"
    )
    parser.add_argument(
        "--normalization", choices=("none", "batch", "layer"), default="none"
    )
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument(
        "--l2",
        type=float,
        default=1e-3,
        help="L2 weight decay (the regularization check needs > 0)",
    )
    parser.add_argument(
        "--subset-size", type=int, default=20, help="examples to overfit"
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=300,
        help="most full-batch steps to overfit the subset",
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=1e-2,
        help="Adam learning rate for the overfitting check",
    )
    parser.add_argument("--seed", type=int, default=0)


def run(args):
    import argparse

    import keras

    from keras_training_kit.babysitting import sanity_check
    from keras_training_kit.cli import train
    from keras_training_kit.cli import flags

    flags.check_dataset(args)
    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args)
    # `ktk train`'s defaults for every flag not given here, so the model is
    # built exactly as `ktk train` builds it.
    defaults = argparse.ArgumentParser()
    train.add_arguments(defaults)
    options = defaults.parse_args([])
    for key, value in vars(args).items():
        setattr(options, key, value)
    model = train._build_model(data, options)
    report = sanity_check(
        model,
        data.train,
        data.num_classes,
        subset_size=args.subset_size,
        max_epochs=args.max_epochs,
        learning_rate=args.lr,
        seed=args.seed,
    )
    print(f"Sanity checks of a fresh {args.model} on {data.name}:")
    print(report.to_text())
    return 0 if report.passed else 1
