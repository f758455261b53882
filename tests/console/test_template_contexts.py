"""Every console template reads only what its typed context gives it (datasette's template
context test, for jobferry's frozen dataclasses).

A page's view builds one :class:`PageContext` subclass per template (``template`` names it);
``render`` gives the template that context's fields plus the globals every page has
(``GLOBALS``). Here, from the templates' parsed source: the variables a template reads
(through what it extends, includes and imports as well) are all fields of its context or
globals, every field is read, each ``name.attribute`` a template reads off a field exists on
the field's type, and every context's template exists. So a renamed field, a template reading
a missing variable, or a record attribute spelt the wire's way fails here, not in a browser.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2 import meta, nodes

import jobferry.console
from jobferry.console.web import GLOBALS, TEMPLATES, PageContext

TEMPLATE_DIR = Path(jobferry.console.__file__).parent / "templates"
FRAMES = frozenset({"base.html", "macros.html"})
"""Templates no view renders on its own: the frame every page extends and the macros."""


def _contexts() -> dict[str, type[PageContext]]:
    """Every context class of the console's modules, by template."""
    for module in pkgutil.iter_modules(jobferry.console.__path__):
        importlib.import_module(f"jobferry.console.{module.name}")
    found: dict[str, type[PageContext]] = {}
    pending = list(PageContext.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        name = cls.__dict__.get("template")
        if name is None:
            continue  # a base shared by several pages (an admin page, a wizard step)
        assert name not in found, f"{name} has two contexts: {found[name]} and {cls}"
        found[name] = cls
    return found


CONTEXTS = _contexts()


@cache
def _parsed(name: str) -> nodes.Template:
    source = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
    return TEMPLATES.env.parse(source, name=name)


def _family(name: str) -> list[str]:
    """The template and every template it extends, includes or imports, transitively."""
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        for referenced in meta.find_referenced_templates(_parsed(current)):
            assert referenced is not None, f"{current} names a template only at run time"
            pending.append(referenced)
    return seen


def _names(node: nodes.Node) -> Iterator[str]:
    """The names in an expression, the expression itself included."""
    if isinstance(node, nodes.Name):
        yield node.name
    yield from (n.name for n in node.find_all(nodes.Name))


def _assigned(tree: nodes.Template) -> tuple[set[str], set[str]]:
    """Names a template sets for the templates it includes or is included in (``set`` outside
    its macros: a macro's ``set`` and every ``for`` target stay local, so a page reading
    ``name`` is not excused by a macro's loop over ``name``), and those among them it sets to a
    default of the same name (``{% set options = options or … %}``), which the context may
    still give."""
    bound: set[str] = set()
    defaulted: set[str] = set()
    for node in _outside_macros(tree):
        if not isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            continue
        for target in _names(node.target):
            bound.add(target)
            if isinstance(node, nodes.Assign) and target in _names(node.node):
                defaulted.add(target)
    return bound, defaulted


def _defined(tree: nodes.Template) -> set[str]:
    """Names a template defines for itself alone: its imports and its macros."""
    found = {macro.name for macro in tree.find_all(nodes.Macro)}
    for imported in tree.find_all(nodes.FromImport):
        found.update(n if isinstance(n, str) else n[1] for n in imported.names)
    found.update(whole.target for whole in tree.find_all(nodes.Import))
    return found


def _read(name: str) -> set[str]:
    """The variables a page template takes from its context (globals and filters aside): what
    each template of its family reads and does not define itself, less what a template of the
    family sets for the others (``{% set reload = False %}{% include … %}``)."""
    read: set[str] = set()
    bound: set[str] = set()
    defaulted: set[str] = set()
    for member in _family(name):
        tree = _parsed(member)
        own_bound, own_defaulted = _assigned(tree)
        read |= meta.find_undeclared_variables(tree) - _defined(tree)
        bound |= own_bound
        defaulted |= own_defaulted
    return read - (bound - defaulted) - set(TEMPLATES.env.globals)


def _outside_macros(node: nodes.Node) -> Iterator[nodes.Node]:
    """Every node below ``node``, not entering macro bodies (their names are parameters)."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Macro):
            continue
        yield child
        yield from _outside_macros(child)


def _attributes(name: str, fields: set[str]) -> set[tuple[str, str]]:
    """(field, attribute) for each ``field.attribute`` the page's templates read."""
    family = _family(name)
    bound: set[str] = set()
    for member in family:
        bound |= _assigned(_parsed(member))[0]
    found: set[tuple[str, str]] = set()
    for member in family:
        for node in _outside_macros(_parsed(member)):
            if (
                isinstance(node, nodes.Getattr)
                and isinstance(node.node, nodes.Name)
                and node.node.name in fields
                and node.node.name not in bound
            ):
                found.add((node.node.name, node.attr))
    return found


def _classes(hint: Any) -> list[type] | None:
    """The classes a field's type allows (``None`` when an attribute cannot be checked: a
    mapping reads keys as attributes in Jinja, ``Any`` allows anything)."""
    arms = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if typing.get_origin(hint) is typing.Union:
        arms = typing.get_args(hint)
    classes: list[type] = []
    for arm in arms:
        if arm is type(None):
            continue
        origin = typing.get_origin(arm) or arm
        if origin is Any or not isinstance(origin, type) or issubclass(origin, dict):
            return None
        classes.append(origin)
    return classes


def _has(cls: type, attribute: str) -> bool:
    if dataclasses.is_dataclass(cls) and attribute in {f.name for f in dataclasses.fields(cls)}:
        return True
    return hasattr(cls, attribute)


def _page_templates() -> list[str]:
    return sorted(
        p.name
        for p in TEMPLATE_DIR.glob("*.html")
        if not p.name.startswith("_") and p.name not in FRAMES
    )


def test_every_page_template_has_a_context_and_every_context_a_template() -> None:
    assert sorted(CONTEXTS) == _page_templates()
    for name, cls in CONTEXTS.items():
        assert (TEMPLATE_DIR / name).is_file(), f"{cls.__qualname__}: no template {name}"


def test_globals_are_what_render_gives_every_page() -> None:
    assert {"request", "base", "viewer", "csrf_token"} == GLOBALS


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_no_context_field_hides_a_global(template: str) -> None:
    """A field named as a global replaces it on that page: the editor's ``base`` (the
    definition it was opened with) once made every stylesheet and script link of the page
    point at that text, and the page drew without its CSS."""
    names = {f.name for f in dataclasses.fields(CONTEXTS[template])}
    assert not names & GLOBALS, f"{template}'s context hides {sorted(names & GLOBALS)}"


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_a_template_reads_only_its_contexts_fields_and_all_of_them(template: str) -> None:
    cls = CONTEXTS[template]
    fields = {f.name for f in dataclasses.fields(cls)}
    read = _read(template)
    assert read - GLOBALS <= fields, (
        f"{template} reads {sorted(read - GLOBALS - fields)}, which {cls.__qualname__} lacks"
    )
    assert fields <= read, f"{cls.__qualname__} has {sorted(fields - read)}, unread by {template}"


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_a_template_reads_attributes_its_fields_have(template: str) -> None:
    cls = CONTEXTS[template]
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for field, attribute in sorted(_attributes(template, fields)):
        classes = _classes(hints[field])
        if classes is None:
            continue
        for allowed in classes:
            assert _has(allowed, attribute), (
                f"{template} reads {field}.{attribute}; {cls.__qualname__}.{field} is "
                f"{allowed.__qualname__}, which has no {attribute!r}"
            )


def test_the_checks_see_a_missing_variable_and_a_misspelt_attribute() -> None:
    """The parsing above finds what a template would read at run time."""
    env = jinja2.Environment()
    tree = env.parse(
        "{% set x = 1 %}{{ summary.fileName }}{{ x }}{% for t in items %}{{ t }}{% endfor %}"
    )
    assert meta.find_undeclared_variables(tree) == {"summary", "items"}
    read = {
        (n.node.name, n.attr)
        for n in tree.find_all(nodes.Getattr)
        if isinstance(n.node, nodes.Name)
    }
    assert read == {("summary", "fileName")}
    from jobferry.console.tasks import TaskSummary

    assert not _has(TaskSummary, "fileName")
    assert _has(TaskSummary, "file_name")
