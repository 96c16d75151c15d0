import argparse
import importlib

import pytest

from keras_training_kit.cli.main import COMMANDS
from keras_training_kit.cli.main import build_parser


def _help(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", [c for c, _ in COMMANDS])
def test_help_says_each_default_once(command, capsys):
    text = _help(command, capsys)
    assert "(default: None)" not in text.replace("--", "")
    assert text.count("(default:") == text.count("default:")


@pytest.mark.parametrize("command", [c for c, _ in COMMANDS])
def test_help_shows_every_default(command, capsys):
    # Every option with a value to default to, with help text or without.
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--help"])
    blocks = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  -"):
            name = line.split()[0].rstrip(",")
            blocks[name] = line
        elif blocks and line.startswith("    "):
            blocks[name] += " " + line.strip()
    module = importlib.import_module(
        f"keras_training_kit.cli.{dict(COMMANDS)[command]}"
    )
    sub = argparse.ArgumentParser()
    module.add_arguments(sub)
    for action in sub._actions:
        default = action.default
        if not action.option_strings or default is None or default is False:
            continue  # nothing to default to (a switch, or no value)
        if default == argparse.SUPPRESS:
            continue
        block = " ".join(blocks[action.option_strings[0]].split())
        assert block.count("default:") == 1, block


def test_help_adds_the_defaults_it_does_not_say(capsys):
    text = _help("train", capsys)
    assert "recorded in config.json (default: 0.005)" in text
    # Flags without help text, and list defaults as they are typed.
    assert "--epochs EPOCHS (default: 5)" in text
    assert "--model {cnn,mlp} (default: cnn)" in text
    assert "comma-separated (default: 256,128)" in text


def _actions(option):
    """`{command: the argparse action of option}` where a command has it."""
    parser = build_parser()
    subparsers = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    found = {}
    for command, sub in subparsers.choices.items():
        for action in sub._actions:
            if option in action.option_strings:
                found[command] = action
    return found


def test_shared_options_have_one_definition():
    from keras_training_kit.cli import flags

    seeds = _actions("--seed")
    assert set(seeds) == {c for c, _ in COMMANDS}
    assert {(a.type, a.default) for a in seeds.values()} == {
        (flags.non_negative_int, 0)
    }
    sizes = _actions("--batch-size")
    assert {a.type for a in sizes.values()} == {flags.positive_int}
    outputs = _actions("--output-dir")
    assert all(a.default is None for a in outputs.values())
    assert all(
        a.help.endswith("(default: a new folder under runs/)")
        for a in outputs.values()
    )
    assert {a.help for a in _actions("--overwrite").values()} and all(
        "--output-dir" in a.help for a in _actions("--overwrite").values()
    )
    # `--verbose` is Keras' fit verbosity wherever a command has it.
    verbose = _actions("--verbose")
    assert set(verbose) == {"train", "tune"}
    assert {tuple(a.choices) for a in verbose.values()} == {(0, 1, 2)}


def test_top_level_verbose_names_debug(capsys):
    from keras_training_kit.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["--verbose", "train"])
    assert stop.value.code == 2
    assert "is now `ktk --debug COMMAND`" in capsys.readouterr().err


def _raising(error):
    def run(args):
        raise error

    return argparse.Namespace(
        command="train", _run=run, _resumes=None, output_dir=None
    )


def test_only_usage_errors_exit_2_and_a_bug_shows_its_traceback(capsys):
    from keras_training_kit.cli import main
    from keras_training_kit.cli.errors import RunFailed
    from keras_training_kit.cli.errors import UsageError

    usage = UsageError("`--epochs` must be >= 1. Received: --epochs 0")
    assert main._run(_raising(usage)) == 2
    assert capsys.readouterr().err == f"ktk train: error: {usage}\n"
    assert main._run(_raising(RunFailed("every trial diverged"))) == 1
    assert capsys.readouterr().err == (
        "ktk train: error: every trial diverged\n"
    )
    for bug in (ValueError("a bug"), TypeError("a bug"), KeyError("a bug")):
        with pytest.raises(type(bug)):
            main._run(_raising(bug))


def test_debug_shows_the_package_debug_lines(capsys):
    import logging

    from keras_training_kit.cli.main import main

    logger = logging.getLogger("keras_training_kit")
    try:
        assert main(["--debug"]) == 2  # no command: the help
        assert logger.getEffectiveLevel() == logging.DEBUG
        assert main([]) == 2
        assert logger.getEffectiveLevel() == logging.INFO
    finally:
        logger.setLevel(logging.NOTSET)
    assert "--debug" in capsys.readouterr().out
