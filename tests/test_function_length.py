"""No function of the package is over 60 lines of code.

A function's length is its body after the docstring, blank and
comment-only lines not counted (nested functions count in their parent
too). An argparse `add_arguments` of `keras_training_kit/cli/` that is one
flat list of flags may be longer.
"""

import ast
import pathlib
import textwrap

_ROOT = pathlib.Path(__file__).resolve().parents[1]
_PACKAGE = _ROOT / "keras_training_kit"
_MAX_LINES = 60


def _code_lines(lines, node):
    """Returns the lines of code in the body of the function `node`.

    Args:
        lines: list of str, the lines of the module holding `node`.
        node: an `ast.FunctionDef` or `ast.AsyncFunctionDef`.
    """
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    code = lines[body[0].lineno - 1 : node.end_lineno]
    return sum(
        1 for line in code if line.strip() and not line.strip().startswith("#")
    )


def _functions(source):
    """Yields `(node, code lines)` for every function of `source`."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, _code_lines(lines, node)


def _is_exempt(relative_path, name):
    return name == "add_arguments" and relative_path.parts[:2] == (
        "keras_training_kit",
        "cli",
    )


def test_counts_code_lines_after_the_docstring():
    source = textwrap.dedent('''
        def documented(x):
            """Docstring.

            More docstring.
            """
            # A comment.
            y = x + 1

            return (
                y  # a trailing comment counts: the line has code
            )


        def undocumented():
            pass


        def only_a_docstring():
            """Nothing else."""


        async def outer():
            def inner():
                return 1
            return inner
    ''')
    lengths = {node.name: n for node, n in _functions(source)}
    assert lengths == {
        "documented": 4,
        "undocumented": 1,
        "only_a_docstring": 0,
        "outer": 3,
        "inner": 1,
    }


def test_only_cli_add_arguments_is_exempt():
    cli = pathlib.Path("keras_training_kit/cli/train.py")
    models = pathlib.Path("keras_training_kit/models/cnn.py")
    assert _is_exempt(cli, "add_arguments")
    assert not _is_exempt(cli, "run")
    assert not _is_exempt(models, "add_arguments")


def test_no_function_is_longer_than_60_lines():
    too_long = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        relative = path.relative_to(_ROOT)
        for node, length in _functions(path.read_text(encoding="utf-8")):
            if length > _MAX_LINES and not _is_exempt(relative, node.name):
                too_long.append(
                    f"{relative}:{node.lineno} {node.name} ({length} lines)"
                )
    assert not too_long, (
        f"Functions over {_MAX_LINES} lines of code (body after the "
        "docstring, blank and comment lines not counted); split them into "
        "helpers:\n" + "\n".join(too_long)
    )
