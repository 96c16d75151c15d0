"""`ktk augment-preview`: save a grid of original vs augmented samples."""

import os

from keras_training_kit.cli.errors import UsageError

HELP = "Save a PNG grid of original vs augmented training samples."


def add_arguments(parser):
    from keras_training_kit.cli import flags

    flags.add_data_arguments(parser, validation_split=False)
    parser.add_argument(
        "--preset",
        default="digits",
        help="none, digits, mnist, cifar10 or cifar10_mixup",
    )
    parser.add_argument(
        "--examples",
        type=flags.positive_int,
        default=8,
        help="rows: training examples shown",
    )
    parser.add_argument(
        "--versions",
        type=flags.positive_int,
        default=4,
        help="augmented columns per example",
    )
    flags.add_seed_argument(parser, "seeds the random augmentations")
    parser.add_argument(
        "--output",
        default=None,
        help="PNG path (default: augment_preview.png in a new folder under "
        "runs/)",
    )


def run(args):
    from keras_training_kit.augmentation import AugmentationPipeline
    from keras_training_kit.augmentation import preview
    from keras_training_kit.augmentation.presets import PRESETS
    from keras_training_kit.cli import flags

    if args.preset not in ("none", *PRESETS):
        raise UsageError(
            f"`--preset` must be one of {', '.join(sorted(PRESETS))}. "
            f"Received: --preset {args.preset}"
        )
    if args.output is None:
        args.output = os.path.join(
            flags.new_run_dir("augment-preview", args.dataset, args.preset),
            "augment_preview.png",
        )
    flags.check_dataset(args)
    flags.check_output_file(args.output)
    data = flags.load_data(args)
    pipeline = AugmentationPipeline.from_preset(
        args.preset, num_classes=data.num_classes
    )
    path = preview(
        pipeline,
        data.train,
        args.output,
        num_examples=args.examples,
        num_versions=args.versions,
        seed=args.seed,
        title=(
            f"augmentation preset {args.preset!r} on the {data.name} data set"
        ),
    )
    print(
        f"Saved {path}: {args.examples} {data.name} examples, "
        f"{args.versions} augmented versions each ({pipeline!r})."
    )
    return 0
