"""The command-line reference (docs/cli_reference.py) lists all of `ktk`."""

import argparse
import importlib.util
import pathlib

from keras_training_kit.cli.main import COMMANDS
from keras_training_kit.cli.main import build_parser

_PATH = pathlib.Path(__file__).resolve().parents[1] / "docs/cli_reference.py"
_spec = importlib.util.spec_from_file_location("cli_reference", _PATH)
cli_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_reference)


def test_every_subcommand_flag_and_default_is_on_the_page():
    page = cli_reference.page()
    commands = cli_reference.subcommands(build_parser())
    assert list(commands) == [name for name, _ in COMMANDS]
    for name, parser in commands.items():
        section = page.split(f"\n## ktk {name}\n", 1)[1].split("\n## ", 1)[0]
        assert parser.format_usage().strip() in section
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            row = f"| `{cli_reference.invocation(action)}` | "
            assert row + cli_reference.default(action) + " |" in section


def test_rows_show_flags_defaults_and_escaped_help():
    rows = cli_reference.page().splitlines()
    assert "| `--model {cnn,mlp}` | `cnn` |  |" in rows
    assert any(
        r.startswith("| `--hidden-units HIDDEN_UNITS` | `256,128` |")
        for r in rows
    )
    assert cli_reference.markdown_text("a_b `c_d` <x>") == r"a\_b `c_d` &lt;x>"
