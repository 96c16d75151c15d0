"""The API reference's pages, written from each area's `__all__`.

One page per public area of `keras_training_kit` (the package's
`__all__`), one mkdocstrings entry per name of the area's `__all__`, in its
order: a name joins the reference when it joins `__all__`, and nothing else
can. `__all__` is read from the source (`ast`), so writing the pages
imports neither Keras nor TensorFlow.
"""

import ast
import pathlib

PACKAGE = "keras_training_kit"
ROOT = pathlib.Path(__file__).resolve().parent.parent / PACKAGE

# Page titles, as keras.io names its API sections.
TITLES = {
    "augmentation": "Augmentation",
    "babysitting": "Babysitting",
    "callbacks": "Callbacks",
    "data": "Data sets",
    "diagnostics": "Diagnostics",
    "initializers": "Initializers",
    "layers": "Layers",
    "models": "Model builders",
    "optimizers": "Optimizers",
    "plotting": "Plotting",
    "schedules": "Learning-rate schedules",
    "tuning": "Hyperparameter tuning",
}


def source_path(module: str) -> pathlib.Path:
    """The file of `keras_training_kit.<module>`: a package or a module."""
    package = ROOT / module / "__init__.py"
    return package if package.exists() else ROOT / f"{module}.py"


def _tree(module: str) -> ast.Module:
    return ast.parse(source_path(module).read_text(encoding="utf-8"))


def public_names(module: str) -> list:
    """The names of `__all__` in `keras_training_kit.<module>`, in order.

    Raises:
        ValueError: if the module has no literal `__all__` list.
    """
    for node in _tree(module).body:
        targets = getattr(node, "targets", [])
        if any(getattr(t, "id", None) == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    raise ValueError(f"{PACKAGE}.{module} has no literal `__all__` list.")


def areas() -> list:
    """The public areas: the package's `_SUBMODULES`, sorted (its `__all__`
    less `__version__`)."""
    for node in _tree("").body:
        targets = getattr(node, "targets", [])
        if any(getattr(t, "id", None) == "_SUBMODULES" for t in targets):
            return sorted(ast.literal_eval(node.value))
    raise ValueError(f"{PACKAGE}/__init__.py has no `_SUBMODULES` tuple.")


def summary(module: str) -> str:
    """The first line of the module's docstring."""
    docstring = ast.get_docstring(_tree(module)) or ""
    return docstring.split("\n", 1)[0]


def object_path(module: str, name: str) -> str:
    """Where mkdocstrings reads `name` of `keras_training_kit.<module>`.

    The area's own path (`keras_training_kit.layers.Maxout`), except for a
    name its area shares with a submodule: the function `tuning.search` is
    imported over the submodule `tuning/search.py`, and griffe would
    document the submodule, so the function is read where the area imports
    it from (`keras_training_kit.tuning.search.search`).
    """
    path = source_path(module)
    if not (path.parent / f"{name}.py").exists():
        return f"{PACKAGE}.{module}.{name}"
    for node in _tree(module).body:
        if isinstance(node, ast.ImportFrom):
            if name in [alias.name for alias in node.names]:
                return f"{node.module}.{name}"
    raise ValueError(f"{PACKAGE}.{module} does not import `{name}`.")


def area_page(module: str) -> str:
    """The Markdown of one area's page: its docstring, then each name."""
    path = f"{PACKAGE}.{module}"
    lines = [
        f"# {TITLES.get(module, module)}",
        "",
        f"`{path}`",
        "",
        f"::: {path}",
        "    options:",
        "      show_root_heading: false",
        "      members: false",
        "",
    ]
    for name in public_names(module):
        lines += [f"::: {object_path(module, name)}", ""]
    return "\n".join(lines)


def index_page() -> str:
    """The Markdown of the reference's front page: a table of the areas."""
    lines = [
        "# API reference",
        "",
        "Every public name of `keras_training_kit`, area by area: what an",
        "area's `__all__` lists, with the docstrings of the code. Import",
        "from the area, e.g. `from keras_training_kit.layers import",
        "Maxout`. `keras_training_kit.__version__` is the package's version.",
        "",
        "| Area | What it holds |",
        "| --- | --- |",
    ]
    for module in areas():
        title = TITLES.get(module, module)
        lines.append(f"| [{title}]({module}.md) | {summary(module)} |")
    return "\n".join(lines) + "\n"


def pages() -> dict:
    """Every page of the reference, `{path under docs/api: Markdown}`.

    `SUMMARY.md` is the section's navigation (mkdocs-literate-nav).
    """
    written = {"index.md": index_page()}
    nav = ["* [Overview](index.md)"]
    for module in areas():
        written[f"{module}.md"] = area_page(module)
        nav.append(f"* [{TITLES.get(module, module)}]({module}.md)")
    written["SUMMARY.md"] = "\n".join(nav) + "\n"
    return written
