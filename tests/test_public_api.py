"""The public API: each area's `__all__`, and its page of the API reference.

An area's `__all__` names only what the area has, every name in it has a
docstring and an entry on the area's reference page (docs/api_reference.py
writes the pages from `__all__`), and every documented default
("Defaults to `x`.") is the signature's.
"""

import ast
import importlib
import importlib.util
import inspect
import pathlib
import re

import pytest

import keras_training_kit

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load_api_reference():
    path = _ROOT / "docs" / "api_reference.py"
    spec = importlib.util.spec_from_file_location("api_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_reference = _load_api_reference()
AREAS = api_reference.areas()


def _public(area):
    module = importlib.import_module(f"keras_training_kit.{area}")
    return [(name, getattr(module, name, None)) for name in module.__all__]


def test_package_all_is_the_version_and_the_areas():
    assert keras_training_kit.__all__ == ["__version__", *sorted(AREAS)]
    assert set(AREAS) == set(api_reference.TITLES)


@pytest.mark.parametrize("area", AREAS)
def test_all_names_what_the_area_has(area):
    module = importlib.import_module(f"keras_training_kit.{area}")
    names = module.__all__
    assert isinstance(names, list) and len(set(names)) == len(names)
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{area}.__all__ names missing attributes: {missing}"
    assert not [name for name in names if name.startswith("_")]
    # The reference reads `__all__` from the source, without importing.
    assert api_reference.public_names(area) == names


@pytest.mark.parametrize("area", AREAS)
def test_every_public_name_is_on_the_reference_page(area):
    page = api_reference.area_page(area)
    for name, obj in _public(area):
        path = api_reference.object_path(area, name)
        assert f"::: {path}\n" in page
        # The entry documents the object that `area.name` is.
        parent, _, attribute = path.rpartition(".")
        module = importlib.import_module(parent)
        assert getattr(module, attribute) is obj, path
    assert f"({area}.md)" in api_reference.index_page()
    assert f"{area}.md" in api_reference.pages()["SUMMARY.md"]
    assert "`keras_training_kit.__version__`" in api_reference.index_page()


def _defining_module(area, name):
    """The module whose `from ... import name` the area's `__init__` runs."""
    tree = ast.parse(api_reference.source_path(area).read_text())
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if name in [alias.name for alias in node.names]:
                return node.module
    return f"keras_training_kit.{area}"


def _has_attribute_docstring(module_name, name):
    """Whether `name = ...` in the module is followed by a string."""
    module = importlib.import_module(module_name)
    body = ast.parse(inspect.getsource(module)).body
    for node, after in zip(body, body[1:]):
        targets = getattr(node, "targets", [])
        if any(getattr(t, "id", None) == name for t in targets):
            value = getattr(after, "value", None)
            return isinstance(value, ast.Constant) and isinstance(
                value.value, str
            )
    return False


@pytest.mark.parametrize("area", AREAS)
def test_every_public_name_has_a_docstring(area):
    for name, obj in _public(area):
        if inspect.isclass(obj) or inspect.isroutine(obj):
            assert (obj.__doc__ or "").strip(), f"{area}.{name}"
        else:
            module_name = _defining_module(area, name)
            assert _has_attribute_docstring(
                module_name, name
            ), f"{area}.{name}: no docstring under `{name} = ...`"


_ARGUMENT = re.compile(
    r"^    (\*{0,2}\w+):(.*?)(?=^    \*{0,2}\w+:|\Z)", re.M | re.S
)
_DEFAULT = re.compile(r"Defaults\s+to\s+`([^`]*)`")


def _documented_functions(obj):
    """`[(function, docstring)]`: `obj` (a class: its constructor with the
    class docstring) and its public methods, those with a docstring."""
    if not inspect.isclass(obj):
        found = [(obj, obj.__doc__)] if inspect.isfunction(obj) else []
    else:
        found = [(obj.__init__, obj.__doc__)]
        for name, member in vars(obj).items():
            member = getattr(member, "__func__", member)  # class methods
            if inspect.isfunction(member) and not name.startswith("_"):
                found.append((member, member.__doc__))
    return [(function, doc) for function, doc in found if doc]


def _arguments(doc):
    """`{argument: description}` from the `Args:` section of `doc`."""
    section = re.search(r"^Args:\n(.*?)(?:\n\n|\Z)", doc, re.M | re.S)
    if section is None:
        return {}
    return {
        match.group(1).lstrip("*"): match.group(2)
        for match in _ARGUMENT.finditer(section.group(1))
    }


def _same(written, default):
    try:
        value = ast.literal_eval(written)
    except (ValueError, SyntaxError):  # a name: `time.monotonic`
        return written == f"{default.__module__}.{default.__qualname__}"
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return list(value) == list(default)
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    return value == default


def _default_errors(function, doc):
    errors = []
    parameters = inspect.signature(function).parameters
    for argument, text in _arguments(inspect.cleandoc(doc)).items():
        if argument not in parameters:
            errors.append(f"{argument}: documented, not in the signature")
            continue
        default = parameters[argument].default
        written = _DEFAULT.findall(text)
        if default is inspect.Parameter.empty:
            if written:
                errors.append(f"{argument}: required, documents a default")
        elif not written and "Required." not in text:
            errors.append(f"{argument}: no `Defaults to` ({default!r})")
        elif written and not _same(written[-1], default):
            errors.append(f"{argument}: `{written[-1]}` != {default!r}")
    return errors


@pytest.mark.parametrize("area", AREAS)
def test_documented_defaults_are_the_signatures(area):
    errors = []
    for name, obj in _public(area):
        for function, doc in _documented_functions(obj):
            found = _default_errors(function, doc)
            errors += [f"{area}.{name} {function.__name__}: {e}" for e in found]
    assert not errors, "\n".join(errors)
