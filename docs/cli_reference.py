"""The command-line reference, written from `ktk`'s argparse parsers.

`build_parser()` is what `ktk --help` prints from, so the page lists the
same subcommands, flags, choices and defaults, and cannot drift from it.
argparse has no public way to walk a parser's groups: the private
`_action_groups`, `_group_actions` and `_SubParsersAction` are read here,
in the documentation only (they have not changed since Python 3.2).
"""

import argparse
import re

from keras_training_kit.cli.main import build_parser

_SPECIAL = re.compile(r"([*_|\\])")
# Every parser has `-h/--help` (said once at the top); the subcommands have
# their own sections.
_SKIPPED = (argparse._HelpAction, argparse._SubParsersAction)


def markdown_text(text: str) -> str:
    """Escapes Markdown outside the text's `code spans`."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        parts[i] = _SPECIAL.sub(r"\\\1", parts[i]).replace("<", "&lt;")
    return "`".join(parts)


def invocation(action: argparse.Action) -> str:
    """The flag as `--help` shows it: `--model {cnn,mlp}`."""
    flags = ", ".join(action.option_strings) or action.dest
    if action.nargs == 0:
        return flags
    metavar = action.metavar
    if metavar is None and action.choices is not None:
        metavar = "{" + ",".join(str(c) for c in action.choices) + "}"
    return f"{flags} {metavar or action.dest.upper()}"


def default(action: argparse.Action) -> str:
    """The default as typed on the command line, or `""` when there is none.

    The flags `--help` shows without a default (`None`, off switches) have
    none here either.
    """
    value = action.default
    if value is None or value is False or value == argparse.SUPPRESS:
        return ""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return f"`{value}`"


def _group_table(group) -> list:
    actions = [
        a
        for a in group._group_actions
        if a.help != argparse.SUPPRESS and not isinstance(a, _SKIPPED)
    ]
    if not actions:
        return []
    lines = ["| Flag | Default | Description |", "| --- | --- | --- |"]
    for action in actions:
        text = markdown_text(" ".join((action.help or "").split()))
        lines.append(f"| `{invocation(action)}` | {default(action)} | {text} |")
    return lines + [""]


def parser_section(parser: argparse.ArgumentParser, level: str) -> list:
    """A parser's usage line, then one table of flags per argument group."""
    lines = ["```text", parser.format_usage().strip(), "```", ""]
    for group in parser._action_groups:
        table = _group_table(group)
        if table:
            title = "options" if group.title is None else group.title
            lines += [f"{level} {title.capitalize()}", ""] + table
    return lines


def subcommands(parser: argparse.ArgumentParser) -> dict:
    """`{name: parser}` of the subcommands, in `ktk --help`'s order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def page() -> str:
    """The Markdown of the command-line reference."""
    parser = build_parser()
    commands = subcommands(parser)
    lines = [
        "# Command line",
        "",
        "`ktk` is installed with the package. Each subcommand writes a new",
        "run folder under `runs/` unless told otherwise, and checks all its",
        "flags before it loads data. This page is generated from the same",
        "parsers as `ktk --help` and `ktk COMMAND --help` (`-h` for short).",
        "",
        "| Command | What it does |",
        "| --- | --- |",
    ]
    for name, sub in commands.items():
        lines.append(
            f"| [`ktk {name}`](#ktk-{name}) | "
            f"{markdown_text(sub.description or '')} |"
        )
    lines += ["", "## Global options", ""]
    lines += parser_section(parser, "###")
    for name, sub in commands.items():
        lines += [f"## ktk {name}", "", markdown_text(sub.description), ""]
        lines += parser_section(sub, "###")
    return "\n".join(lines)
