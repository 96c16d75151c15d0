"""`ktk`: the command line's entry point and subcommand registry.

Each subcommand lives in `keras_training_kit/cli/<name>.py` and defines
`HELP` (one line), `add_arguments(parser)` and `run(args) -> int`. Modules
import TensorFlow inside `run`, so `ktk --help` answers at once.
"""

import argparse
import copy
import importlib
import logging
import os
import signal
import sys
import threading

from keras_training_kit.cli.advice import FlagAdvice
from keras_training_kit.cli.errors import RunFailed
from keras_training_kit.cli.errors import UsageError

# (subcommand, module under keras_training_kit.cli)
COMMANDS = (
    ("train", "train"),
    ("init-study", "init_study"),
    ("optimizer-study", "optimizer_study"),
    ("tune", "tune"),
    ("lr-find", "lr_find"),
    ("sanity-check", "sanity_check"),
    ("diagnose", "diagnose"),
    ("augment-preview", "augment_preview"),
)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends `(default: ...)` unless the help says it or it is `None`.

    Flags without help text get their default too (argparse shows nothing
    for them otherwise).
    """

    def _format_action(self, action):
        if action.help is None and not _no_default(action):
            action = copy.copy(action)
            action.help = ""
            action.help = self._get_help_string(action)
        return super()._format_action(action)

    def _get_help_string(self, action):
        help = action.help or ""
        if _no_default(action) or "default:" in help:
            return action.help
        default = action.default
        if isinstance(default, (list, tuple)):
            default = ",".join(str(v) for v in default)  # as typed
        shown = str(default).replace("%", "%%")
        return f"{help} (default: {shown})".strip()


def _no_default(action) -> bool:
    default = action.default
    return (
        default is None
        or default is False
        or default == argparse.SUPPRESS
        or not action.option_strings
    )


class Terminated(BaseException):
    """SIGTERM, raised like `KeyboardInterrupt` (not an `Exception`, so no
    `except Exception` of a library, KerasTuner's trial loop included,
    takes it for a failure)."""


class _Renamed(argparse.Action):
    """`ktk --verbose COMMAND`: a usage error naming `--debug`."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            "argument --verbose: `ktk --verbose COMMAND` is now `ktk --debug "
            "COMMAND` (DEBUG lines and TensorFlow's C++ logs); `--verbose` "
            "after the command is Keras' fit verbosity, 0, 1 or 2."
        )


def _terminate(signum, frame):
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktk",
        description=(
            "keras-training-kit: train, diagnose and tune Keras models."
        ),
    )
    from keras_training_kit import __version__

    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the package's DEBUG lines (per-step details) and "
        "TensorFlow's C++ log lines, hidden by default (`ktk --debug train "
        "...`)",
    )
    # `ktk --verbose COMMAND`, the name earlier 0.1.0 builds gave `--debug`,
    # is refused with a line naming `--debug`; each command's `--verbose`
    # is Keras' fit verbosity.
    parser.add_argument(
        "--verbose", action=_Renamed, nargs=0, help=argparse.SUPPRESS
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command, module_name in COMMANDS:
        module = importlib.import_module(
            f"keras_training_kit.cli.{module_name}"
        )
        sub = subparsers.add_parser(
            command,
            help=module.HELP,
            description=module.HELP,
            formatter_class=_HelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(
            _run=module.run, _resumes=getattr(module, "RESUMES", None)
        )
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at each record.

    `hidden_native_logs` points descriptor 2 at the null device and
    `sys.stderr` at a copy of the terminal while a command runs; a plain
    `StreamHandler` would keep the object it was given and lose every
    warning of the package's callbacks.
    """

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def main(argv: list | None = None) -> int:
    """Runs `ktk` on `argv` (default `sys.argv[1:]`); returns the exit code."""
    # The package's own progress lines (INFO) and every library's warnings;
    # not other libraries' INFO, such as matplotlib's "generated new
    # fontManager" on a machine's first plot.
    handler = _StderrHandler()
    # The diagnostics' fixes as flags (the library writes Python words).
    handler.addFilter(FlagAdvice())
    logging.basicConfig(
        level=logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=[handler],
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger("keras_training_kit").setLevel(
        logging.DEBUG if args.debug else logging.INFO
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if args.debug:
        return _run(args)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from keras_training_kit.cli.native_logs import hidden_native_logs

    with hidden_native_logs():
        return _run(args)


def _run(args) -> int:
    given = getattr(args, "output_dir", None)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print(_interrupted(args, given), file=sys.stderr)
        return 130
    except Terminated:
        print(_interrupted(args, given, "terminated"), file=sys.stderr)
        return 143
    except UsageError as error:
        print(f"ktk {args.command}: error: {error}", file=sys.stderr)
        return 2
    except RunFailed as error:
        print(f"ktk {args.command}: error: {error}", file=sys.stderr)
        return 1


def _interrupted(args, given, what="interrupted") -> str:
    """The one line `ktk` prints when Ctrl-C or SIGTERM stops a command."""
    line = f"ktk {args.command}: {what}"
    folder = getattr(args, "output_dir", None)
    if not args._resumes or not folder or not os.path.isdir(folder):
        return line + "."
    again = (
        "run the same command again"
        if given
        else f"run the same command with `--output-dir {folder}`"
    )
    return f"{line}; {again} to resume from {args._resumes}."


if __name__ == "__main__":
    sys.exit(main())
