"""The model flags shared by the subcommands, and the one model-from-flags.

`ktk train`, `ktk sanity-check` and `ktk lr-find` add the same option
groups and build their model with `build_model(args, data)`; `ktk tune`
shares the architecture flags and hands `architecture(args)` to the
hypermodel, which builds each trial's model with the same builders.
Importing this module does not import TensorFlow (`ktk --help` stays fast).
"""

from keras_training_kit.cli import flags
from keras_training_kit.cli.errors import UsageError

MODELS = ("cnn", "mlp")
# `--batch-norm-momentum` when not given: the running statistics of a run of
# a few hundred steps (`ktk train`'s defaults) are those of its last ~10
# batches, not a mix reaching back to the first, untrained, weights.
BATCH_NORM_MOMENTUM = 0.9


def add_architecture_arguments(group, *, default_model: str = "cnn"):
    """Adds `--model`, `--hidden-units`, `--filters`, `--kernel-size` and
    `--convs-per-stage`."""
    group.add_argument("--model", choices=MODELS, default=default_model)
    group.add_argument(
        "--hidden-units",
        type=flags.positive_int_list,
        default=[256, 128],
        help="MLP widths, comma-separated",
    )
    group.add_argument(
        "--filters",
        type=flags.positive_int_list,
        default=[32, 64],
        help="CNN filters per stage, comma-separated",
    )
    group.add_argument(
        "--kernel-size",
        type=flags.positive_int,
        default=3,
        help="CNN convolution window",
    )
    group.add_argument(
        "--convs-per-stage",
        type=flags.positive_int,
        default=1,
        help="CNN convolutions before each pooling",
    )


def add_layer_arguments(
    group,
    *,
    l2: float = 0.0,
    l2_help: str | None = None,
    normalization: str = "none",
):
    """Adds the per-layer flags: activation, initializer, normalization, ...

    Args:
        group: an argparse parser or argument group.
        l2: float, the default of `--l2`. Defaults to `0.0`.
        l2_help: str or `None`, the help of `--l2`. Defaults to `None`.
        normalization: str, the default of `--normalization`. Defaults to
            `"none"`.
    """
    group.add_argument(
        "--activation",
        default="relu",
        help="any Keras activation name, or maxout",
    )
    group.add_argument(
        "--initializer", default="auto", help="auto or a Keras initializer name"
    )
    group.add_argument(
        "--normalization", choices=flags.NORMALIZATIONS, default=normalization
    )
    group.add_argument(
        "--normalization-position",
        choices=("before_activation", "after_activation"),
        default="before_activation",
    )
    group.add_argument(
        "--batch-norm-momentum",
        type=flags.fraction,
        default=None,
        metavar="M",
        help="with --normalization batch: the momentum of the running mean "
        f"and variance (default: {BATCH_NORM_MOMENTUM}, which settles within "
        "a short run; Keras' own 0.99 needs about ten times as many steps)",
    )
    group.add_argument("--dropout", type=flags.fraction, default=0.0)
    group.add_argument(
        "--spatial-dropout",
        type=flags.fraction,
        default=0.0,
        help="CNN: SpatialDropout2D rate after each stage",
    )
    group.add_argument(
        "--l2",
        type=flags.non_negative_float,
        default=l2,
        help=l2_help or "L2 weight decay",
    )
    group.add_argument(
        "--l1", type=flags.non_negative_float, default=0.0, help="L1 penalty"
    )


def add_optimizer_argument(group, *, help: str | None = None):
    """Adds `--optimizer` (the names of `build_optimizer`)."""
    group.add_argument(
        "--optimizer",
        choices=flags.OPTIMIZERS,
        default="adam",
        help=help,
    )


def architecture(args) -> tuple:
    """`(builder name, builder kwargs)` of the architecture flags."""
    if args.model == "mlp":
        return "mlp", {"hidden_units": tuple(args.hidden_units)}
    return "cnn", {
        "filters": tuple(args.filters),
        "kernel_size": args.kernel_size,
        "convs_per_stage": args.convs_per_stage,
    }


def check_layer_arguments(args):
    """The checks across layer flags that argparse cannot make."""
    if args.batch_norm_momentum is not None and args.normalization != "batch":
        raise UsageError(
            "`--batch-norm-momentum` applies only with `--normalization "
            f"batch`. Received: --batch-norm-momentum "
            f"{args.batch_norm_momentum:g} with --normalization "
            f"{args.normalization}"
        )


def _layer_options(args, name):
    check_layer_arguments(args)
    options = dict(
        activation=args.activation,
        kernel_initializer=args.initializer,
        normalization=(
            None if args.normalization == "none" else args.normalization
        ),
        normalization_position=args.normalization_position,
        dropout=args.dropout,
        l2=args.l2,
        l1=args.l1,
    )
    if name == "cnn":
        options["spatial_dropout"] = args.spatial_dropout
    if args.normalization == "batch":
        options["batch_norm_momentum"] = (
            BATCH_NORM_MOMENTUM
            if args.batch_norm_momentum is None
            else args.batch_norm_momentum
        )
    return options


def build_model(
    args,
    data,
    *,
    learning_rate: float | None = None,
    optimizer=None,
    jit_compile="auto",
    one_hot_labels: bool = False,
):
    """Builds and compiles the model the flags describe, for `data`.

    Args:
        args: the parsed flags of a subcommand that added the architecture,
            layer and optimizer arguments.
        data: a `keras_training_kit.data.Dataset` (its input shape and
            number of classes).
        learning_rate: float or `None`, the optimizer's learning rate;
            `None` takes `--lr` when the subcommand has it, else
            `compile_classifier`'s default.
        optimizer: a `keras.optimizers.Optimizer` or `None`; `None` builds
            `--optimizer` (Adam where the subcommand has no such flag) at
            `learning_rate`. Defaults to `None`.
        jit_compile: `compile_classifier`'s `jit_compile`. Defaults to
            `"auto"`.
        one_hot_labels: bool, whether the labels are one-hot (MixUp).
            Defaults to `False`.

    Returns:
        A compiled `keras.Model`.
    """
    from keras_training_kit import models

    name, kwargs = architecture(args)
    builder = models.build_mlp if name == "mlp" else models.build_cnn
    model = builder(
        data.input_shape,
        data.num_classes,
        **kwargs,
        **_layer_options(args, name),
    )
    if learning_rate is None and getattr(args, "lr", None) != "auto":
        learning_rate = getattr(args, "lr", None)
    compile_kwargs = (
        {} if learning_rate is None else {"learning_rate": learning_rate}
    )
    return models.compile_classifier(
        model,
        # `ktk sanity-check` has no `--optimizer`: its checks use Adam.
        optimizer=optimizer or getattr(args, "optimizer", "adam"),
        jit_compile=jit_compile,
        one_hot_labels=one_hot_labels,
        **compile_kwargs,
    )
