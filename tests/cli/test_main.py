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


def test_help_adds_the_defaults_it_does_not_say(capsys):
    assert "recorded in config.json (default: 0.001)" in _help("train", capsys)
