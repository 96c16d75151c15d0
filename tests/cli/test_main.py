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
    assert "recorded in config.json (default: 0.001)" in text
    # Flags without help text, and list defaults as they are typed.
    assert "--epochs EPOCHS (default: 30)" in text
    assert "--model {cnn,mlp} (default: cnn)" in text
    assert "comma-separated (default: 256,128)" in text
