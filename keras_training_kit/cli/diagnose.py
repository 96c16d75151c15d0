"""`ktk diagnose`: `babysitting.diagnose` on the model `ktk train` would train.

Writes a run folder (`runs/diagnose-...` or `--output-dir`) holding
`config.json`, `report.json` (`findings`, `layers`, `initial_loss`,
`expected_loss`, `noise_scale`) and `diagnosis.png`, and prints the table
and the findings. `--strict` exits 1 when anything is found.
`ktk train --diagnose` runs the same check before training
(`report_findings`).
"""

import json
import os

from keras_training_kit.cli import advice
from keras_training_kit.cli import flags
from keras_training_kit.cli import model_flags
from keras_training_kit.cli.errors import UsageError
from keras_training_kit.cli.run_folder import check_overwrite
from keras_training_kit.cli.run_folder import discard
from keras_training_kit.cli.train import DEFAULTS as TRAIN_DEFAULTS

HELP = "Check a model's forward and backward pass before training."

EXAMPLES = 512


def add_arguments(parser):
    data = parser.add_argument_group("data")
    flags.add_data_arguments(data, validation_split=False)
    data.add_argument(
        "--examples",
        type=flags.positive_int,
        default=EXAMPLES,
        metavar="N",
        help="training examples measured on",
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model-file",
        default=None,
        metavar="PATH",
        help="a compiled .keras model (e.g. a run folder's model.keras) "
        "instead of the model flags",
    )
    model_flags.add_architecture_arguments(model)
    # The model and rate `ktk train` trains by default.
    model_flags.add_layer_arguments(
        model, normalization=TRAIN_DEFAULTS["normalization"]
    )
    fit = parser.add_argument_group("training")
    model_flags.add_optimizer_argument(fit)
    fit.add_argument(
        "--lr", type=flags.positive_float, default=TRAIN_DEFAULTS["lr"]
    )
    flags.add_batch_size_argument(
        fit,
        "the training batch the advice is about (default: the run's, from "
        "config.json beside --model-file, else ktk train's "
        f"{TRAIN_DEFAULTS['batch_size']})",
        default=None,
    )
    fit.add_argument(
        "--accumulate",
        type=flags.positive_int,
        default=None,
        metavar="N",
        help="batches per optimizer update the advice is about (default: "
        "the run's, from config.json beside --model-file, else 1)",
    )
    flags.add_seed_argument(fit)
    out = parser.add_argument_group("output")
    out.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 when anything is found",
    )
    flags.add_output_arguments(
        out, "run folder", overwrite="delete what --output-dir holds first"
    )


def _check_args(args):
    flags.check_dataset(args)
    if args.model_file is not None:
        if not args.model_file.endswith(".keras"):
            raise UsageError(
                "`--model-file` must be a .keras file. Received: "
                f"--model-file {args.model_file}"
            )
        if not os.path.isfile(args.model_file):
            raise UsageError(
                f"`--model-file`: no such file {args.model_file!r}."
            )
    if args.output_dir is None:
        name = "model-file" if args.model_file else args.model
        args.output_dir = flags.new_run_dir("diagnose", args.dataset, name)
    flags.check_output_dir(args.output_dir)
    if os.path.exists(os.path.join(args.output_dir, "report.json")):
        if not args.overwrite:
            raise UsageError(
                f"`--output-dir` {args.output_dir!r} holds a report already. "
                "Give a new folder or add `--overwrite`."
            )
    if args.overwrite:
        check_overwrite(args.output_dir)


def examples(data, count: int) -> tuple:
    """`(x, y)` NumPy arrays of the first `count` training examples."""
    from keras_training_kit.diagnostics.probe_data import first_examples

    return first_examples(
        data.train, count, example_rank=len(data.train.element_spec[0].shape)
    )[:2]


def report_findings(diagnosis) -> str:
    """The lines `ktk train --diagnose` prints: the findings only."""
    if not diagnosis.findings:
        return "diagnose: no finding"
    lines = [f"diagnose: {len(diagnosis.findings)} finding(s)"]
    for finding in diagnosis.findings:
        where = f" [{finding.layer}]" if finding.layer else ""
        lines.append(f"- {finding.kind}{where}: {advice.render(finding)}")
    return "\n".join(lines)


def run_batch(args) -> tuple:
    """`(batch_size, accumulate)` the advice is about.

    The flags when given; else, for `--model-file`, the run's own from
    the `config.json` `ktk train` wrote beside it; else `ktk train`'s
    default batch size and 1.
    """
    recorded = {}
    if args.model_file is not None:
        path = os.path.join(os.path.dirname(args.model_file), "config.json")
        if os.path.isfile(path):
            with open(path) as file:
                recorded = json.load(file)
    batch = (
        args.batch_size
        or recorded.get("batch_size")
        or TRAIN_DEFAULTS["batch_size"]
    )
    accumulate = args.accumulate or recorded.get("accumulate") or 1
    return int(batch), int(accumulate)


def _model(args, data):
    import keras

    if args.model_file is None:
        return model_flags.build_model(args, data)
    from keras_training_kit import registration

    # Registered here, not by the import hook: in this process Keras may
    # have been imported before the hook could run (a one-cycle run's
    # `OneCycle` schedule was then unknown to `load_model`).
    registration.register_all()
    model = keras.models.load_model(args.model_file)
    if not model.compiled or model.loss is None:
        raise UsageError(
            "`--model-file` must hold a compiled model (with its loss), as "
            "`ktk train` saves it. Received: --model-file "
            f"{args.model_file} (not compiled)"
        )
    return model


def run(args):
    _check_args(args)
    import keras

    from keras_training_kit import run_files
    from keras_training_kit.babysitting import diagnose
    from keras_training_kit.plotting import plot_diagnosis

    keras.utils.set_random_seed(args.seed)
    data = flags.load_data(args)
    model = _model(args, data)
    x, y = examples(data, args.examples)
    args.batch_size, args.accumulate = run_batch(args)
    diagnosis = diagnose(
        model,
        x,
        y,
        batch_size=args.batch_size,
        gradient_accumulation_steps=args.accumulate,
        training_examples=data.cardinality.get("train"),
    )
    # Measured: only now is anything written.
    if args.overwrite:
        discard(args.output_dir)
    folder = args.output_dir
    os.makedirs(folder, exist_ok=True)
    config = {
        key: value
        for key, value in vars(args).items()
        if not key.startswith("_") and key not in ("overwrite", "command")
    }
    run_files.write_json(os.path.join(folder, "config.json"), config)
    run_files.write_json(
        os.path.join(folder, "report.json"), diagnosis.to_dict()
    )
    title = (
        args.model_file
        if args.model_file
        else (
            f"{args.model} on {data.name}, --activation {args.activation} "
            f"--initializer {args.initializer}"
        )
    )
    plot_diagnosis(
        diagnosis.to_dict(), os.path.join(folder, "diagnosis.png"), title
    )
    print(diagnosis.text(advice.render))
    print(f"Run folder: {folder}")
    return 1 if args.strict and diagnosis.findings else 0
