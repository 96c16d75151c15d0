"""`ktk sanity-check`: CS231n's checks on a freshly built model."""

HELP = "Check the initial loss, regularization and overfitting a tiny subset."


def add_arguments(parser):
    from keras_training_kit.cli import flags
    from keras_training_kit.cli import model_flags

    flags.add_data_arguments(parser, validation_split=False)
    model = parser.add_argument_group("model")
    model_flags.add_architecture_arguments(model, default_model="mlp")
    model_flags.add_layer_arguments(
        model,
        l2=1e-3,
        l2_help="L2 weight decay (the regularization check needs > 0)",
    )
    checks = parser.add_argument_group("checks")
    checks.add_argument(
        "--subset-size",
        type=flags.positive_int,
        default=20,
        help="examples to overfit",
    )
    checks.add_argument(
        "--max-epochs",
        type=flags.positive_int,
        default=300,
        help="most full-batch steps to overfit the subset",
    )
    checks.add_argument(
        "--lr",
        type=flags.positive_float,
        default=1e-2,
        help="Adam learning rate for the overfitting check",
    )
    flags.add_seed_argument(checks)


def run(args):
    import keras

    from keras_training_kit.babysitting import sanity_check
    from keras_training_kit.cli import flags
    from keras_training_kit.cli import model_flags

    flags.check_dataset(args)
    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args)
    # Built as `ktk train` builds it.
    model = model_flags.build_model(args, data)
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
