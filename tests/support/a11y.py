"""What a screen reader and a keyboard need of a console page, read from its HTML: the page's
language and title, one ``<h1>`` and headings in order, the landmarks and the skip link to the
main content, a name for every control, link, button and image, header cells with a scope and
a name for every table, and an error that is announced. ``problems(html)`` lists what a page
lacks, in words a failing test can show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_UNNAMED_INPUTS = frozenset({"hidden", "submit", "button", "reset", "image"})


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    parent: _Element | None
    text: list[str] = field(default_factory=list)
    children: list[_Element] = field(default_factory=list)

    def ancestors(self) -> list[_Element]:
        found, at = [], self.parent
        while at is not None:
            found.append(at)
            at = at.parent
        return found

    def all_text(self) -> str:
        """The text inside, images' alt text included (what a screen reader reads out)."""
        parts = list(self.text)
        for child in self.children:
            if child.tag == "img":
                parts.append(child.attrs.get("alt", ""))
            elif "aria-hidden" not in child.attrs:
                parts.append(child.all_text())
        return " ".join(p.strip() for p in parts if p.strip())


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#document", {}, None)
        self.at = self.root
        self.elements: list[_Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(element)
        self.elements.append(element)
        if tag not in _VOID:
            self.at = element

    def handle_endtag(self, tag: str) -> None:
        at: _Element | None = self.at
        while at is not None and at.tag != tag:
            at = at.parent
        if at is not None and at.parent is not None:
            self.at = at.parent

    def handle_data(self, data: str) -> None:
        self.at.text.append(data)


def _named(element: _Element, ids: dict[str, _Element]) -> bool:
    """Whether ``element`` has an accessible name of its own (aria-label, aria-labelledby
    naming elements with text)."""
    if element.attrs.get("aria-label", "").strip():
        return True
    labelled = element.attrs.get("aria-labelledby", "").split()
    return bool(labelled) and all(i in ids and ids[i].all_text() for i in labelled)


def _control_problem(control: _Element, ids: dict[str, _Element], labels: set[str]) -> str:
    """What a form control lacks to say what it is ("" when nothing)."""
    if control.tag == "input" and control.attrs.get("type", "text") in _UNNAMED_INPUTS:
        if control.attrs.get("type") in ("submit", "button") and not (
            control.attrs.get("value", "").strip() or _named(control, ids)
        ):
            return "an input button without a value"
        return ""
    if _named(control, ids) or control.attrs.get("id", "") in labels:
        return ""
    if any(a.tag == "label" for a in control.ancestors()):
        return ""
    return f"a {control.tag} ({_describe(control)}) without a label"


def _describe(element: _Element) -> str:
    shown = {k: v for k, v in element.attrs.items() if k in ("name", "id", "type", "class")}
    return " ".join(f'{k}="{v}"' for k, v in shown.items()) or element.tag


def _landmark(element: _Element) -> bool:
    """Whether a screen reader's list of landmarks has ``element`` (a named region too)."""
    if element.tag in ("header", "nav", "main", "footer", "aside"):
        return True
    named = bool(element.attrs.get("aria-label") or element.attrs.get("aria-labelledby"))
    return named and (element.tag == "section" or element.attrs.get("role") == "region")


def _heading_problems(tree: _Tree) -> list[str]:
    levels = [int(e.tag[1]) for e in tree.elements if re.fullmatch(r"h[1-6]", e.tag)]
    found = []
    if levels.count(1) != 1:
        found.append(f"{levels.count(1)} <h1> elements, not one")
    previous = 0
    for level in levels:
        if level > previous + 1:
            found.append(f"an <h{level}> after an <h{previous}>: a heading level skipped")
        previous = level
    return found


def _frame_problems(tree: _Tree) -> list[str]:
    found = []
    html = next((e for e in tree.elements if e.tag == "html"), None)
    if html is None or not html.attrs.get("lang"):
        found.append("no <html lang>")
    title = next((e for e in tree.elements if e.tag == "title"), None)
    if title is None or not title.all_text().strip().removesuffix("· jobferry").strip():
        found.append("no page title")
    mains = [e for e in tree.elements if e.tag == "main"]
    if len(mains) != 1:
        found.append(f"{len(mains)} <main> landmarks, not one")
    elif mains[0].attrs.get("id") != "main":
        found.append('<main> has no id="main" for the skip link')
    if not any(e.tag == "header" for e in tree.elements):
        found.append("no <header> landmark")
    body = next((e for e in tree.elements if e.tag == "body"), None)
    for part in body.children if body is not None else []:
        if not _landmark(part) and part.attrs.get("class") != "skiplink":
            found.append(f"a part of the page outside every landmark: {_describe(part)}")
    first_link = next((e for e in tree.elements if e.tag == "a"), None)
    if first_link is None or first_link.attrs.get("href") != "#main":
        found.append("the first link is not the skip link to the main content")
    return found


def _table_problems(tree: _Tree, ids: dict[str, _Element]) -> list[str]:
    found = []
    for table in (e for e in tree.elements if e.tag == "table"):
        caption = any(c.tag == "caption" and c.all_text() for c in table.children)
        if not (caption or _named(table, ids)):
            found.append(f"a table ({_describe(table)}) without a caption or a label")
    for th in (e for e in tree.elements if e.tag == "th"):
        if th.attrs.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            found.append(f"a header cell without a scope: <th>{th.all_text()[:40]}</th>")
    return found


def _name_problems(tree: _Tree, ids: dict[str, _Element]) -> list[str]:
    found = []
    labels = {e.attrs["for"] for e in tree.elements if e.tag == "label" and "for" in e.attrs}
    for element in tree.elements:
        if element.tag in ("input", "select", "textarea"):
            problem = _control_problem(element, ids, labels)
            if problem:
                found.append(problem)
        elif element.tag in ("button", "a") and not (element.all_text() or _named(element, ids)):
            if element.tag == "a" and "href" not in element.attrs:
                continue
            found.append(f"a {element.tag} ({_describe(element)}) without a name")
        elif element.tag == "img" and "alt" not in element.attrs:
            found.append(f"an image ({element.attrs.get('src', '')}) without alt text")
    return found


def _alert_problems(tree: _Tree) -> list[str]:
    found = []
    for element in tree.elements:
        classes = element.attrs.get("class", "").split()
        announced = element.attrs.get("role") == "alert" or "aria-live" in element.attrs
        if "alert" in classes and "error" in classes and not announced:
            found.append(f"an error shown but not announced: {element.all_text()[:60]}")
    return found


def problems(html: str) -> list[str]:
    """What the page ``html`` lacks for a screen reader or a keyboard (empty when nothing)."""
    tree = _Tree()
    tree.feed(html)
    ids = {e.attrs["id"]: e for e in tree.elements if "id" in e.attrs}
    return [
        *_frame_problems(tree),
        *_heading_problems(tree),
        *_name_problems(tree, ids),
        *_table_problems(tree, ids),
        *_alert_problems(tree),
    ]


def fragment_problems(html: str) -> list[str]:
    """``problems`` of a piece of a page (a folder's listing loaded into the jobs page): its
    names, tables and alerts, not the page's frame."""
    tree = _Tree()
    tree.feed(html)
    ids = {e.attrs["id"]: e for e in tree.elements if "id" in e.attrs}
    return [*_name_problems(tree, ids), *_table_problems(tree, ids), *_alert_problems(tree)]
