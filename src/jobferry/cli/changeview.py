"""A field change of a plan, a drift or a package comparison as the CLI prints it: on one
line, cut to the terminal columns it may take."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from jobferry.cli.grid import width_of
from jobferry.cli.output import to_json

VALUE_WIDTH = 70
"""Terminal columns each side of a field change takes (values past it are cut)."""


def _full_text(value: Any) -> str:
    text = value if isinstance(value, str) else to_json(value).replace("\n", " ")
    return " ".join(text.split()) if not isinstance(value, str) else repr(value)


def _within(text: str, columns: int) -> str:
    """The longest start of ``text`` that takes at most ``columns`` terminal columns (a Chinese
    character takes two)."""
    if text.isascii():
        return text[:columns]
    cut = Text(text)
    cut.truncate(columns)
    return cut.plain


def value_text(value: Any) -> str:
    """A diff value on one line: JSON-ish, shortened to :data:`VALUE_WIDTH` columns."""
    text = _full_text(value)
    return text if width_of(text) <= VALUE_WIDTH else _within(text, VALUE_WIDTH - 1) + "…"


def changed_texts(before: Any, after: Any) -> tuple[str, str]:
    """Both sides of a change on one line each. Long values are cut around where they first
    differ, so a changed suffix shows instead of two identical beginnings."""
    old, new = _full_text(before), _full_text(after)
    if width_of(old) <= VALUE_WIDTH and width_of(new) <= VALUE_WIDTH:
        return old, new
    first = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    start = max(0, first - VALUE_WIDTH // 4)

    def window(text: str) -> str:
        cut = _within(text[start:], VALUE_WIDTH - 2)
        return ("…" if start else "") + cut + ("…" if start + len(cut) < len(text) else "")

    return window(old), window(new)


ORIGINS = {
    "source": "changed in the source",
    "target": "undoes a change made here",
    "transform": "the profile or the import's settings",
}
"""Where a field change of a repeated import comes from, in words."""


def change_line(change: dict[str, Any]) -> Text:
    """``path: before → after`` (or ``+ path: after`` / ``- path: before``), with where the
    change comes from when the plan says (source, target, transform) and cosmetic ones marked;
    a target-owned field the package would change is ``= path: kept …``."""
    line = _change_text(change)
    origin = change.get("origin")
    tags = [ORIGINS.get(str(origin), str(origin))] if origin else []
    if change.get("cosmetic"):
        tags.append("cosmetic: the drawing only")
    if tags:
        line.append(f"  ({', '.join(tags)})", style="dim")
    return line


def _change_text(change: dict[str, Any]) -> Text:
    op, path = change.get("op"), change.get("path") or "(whole definition)"
    if op == "kept":
        return Text.assemble(
            ("    = ", "cyan"),
            (path, "bold"),
            f": kept {value_text(change.get('target'))} "
            f"(the package has {value_text(change.get('package'))})",
        )
    if op == "added":
        return Text.assemble(
            ("    + ", "green"), (path, "bold"), f": {value_text(change.get('after'))}"
        )
    if op == "removed":
        return Text.assemble(
            ("    - ", "red"), (path, "bold"), f": {value_text(change.get('before'))}"
        )
    old, new = changed_texts(change.get("before"), change.get("after"))
    return Text.assemble(("    ~ ", "yellow"), (path, "bold"), f": {old} → {new}")
