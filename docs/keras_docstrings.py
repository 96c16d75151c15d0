"""A griffe extension: reads Keras-format docstrings as Google-style ones.

Keras writes an example as `Example:`, a blank line, then an unindented
doctest; griffe's Google parser wants a section's lines indented under its
title, and knows only the plural (it would print `>>>` as a Markdown
quote). Here each such section is indented under an `Examples:` title, so
griffe renders the doctest as code; and `Call arguments:` (a Keras section
griffe reads as an admonition) becomes a Markdown list, shown like `Args:`
(docs/templates). The source and the doctests are unchanged: only the text
handed to griffe's parser is.
"""

import re

import griffe

# `Example:` or `Examples:` alone on a line, at the docstring's margin.
_UNINDENTED_SECTION = re.compile(r"^Examples?:$")
# Any section title at the docstring's margin (`Args:`, `Returns:`, ...).
_SECTION = re.compile(r"^[A-Z][A-Za-z ]*:$")
# `name: description` at the start of a `Call arguments:` line.
_ARGUMENT = re.compile(r"^(\*{0,2}\w+): ")


def indent_examples(lines: list) -> list:
    """Indents the lines of each `Example:` section under its title."""
    out, inside = [], False
    for i, line in enumerate(lines):
        follows_blank = i > 0 and not lines[i - 1].strip()
        if inside and _SECTION.match(line) and follows_blank:
            inside = False
        if _UNINDENTED_SECTION.match(line):
            inside = True
            out.append("Examples:")
            continue
        if inside:
            if not line.strip() and out[-1] == "Examples:":
                continue  # the blank line under the title
            out.append(f"    {line}" if line.strip() else "")
            continue
        out.append(line)
    return out


def list_call_arguments(lines: list) -> list:
    """Writes the arguments of `Call arguments:` as a Markdown list."""
    out, inside = [], False
    for line in lines:
        if line == "Call arguments:":
            inside = True
        elif inside and line and not line.startswith("    "):
            inside = False
        elif inside and line:
            body = line[4:]
            match = _ARGUMENT.match(body)
            if match:
                name = match.group(1)
                body = f"- `{name}`: {body[match.end():]}"
            else:
                body = f"  {body.strip()}"
            line = f"    {body}"
        out.append(line)
    return out


def keras_to_google(text: str) -> str:
    """The docstring `text`, its Keras sections in Google style."""
    lines = text.split("\n")
    return "\n".join(list_call_arguments(indent_examples(lines)))


class KerasDocstrings(griffe.Extension):
    """Rewrites every loaded docstring with `keras_to_google`."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = keras_to_google(obj.docstring.value)
