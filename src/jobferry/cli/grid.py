"""Tables of plain cells drawn as lines of text, the same characters Rich draws for them.

Rich lays a table out cell by cell through its whole rendering pipeline: about half a
millisecond a row, ten seconds for the 20,000 rows of ``jobs list`` of a big workspace. A table
of one-line cells that fits the terminal's width needs none of that: each column as wide as its
widest cell, cells padded to it, ``│`` between them, the header over a ``━`` rule.
:func:`fitting` measures such a table and answers ``None`` for any other (a cell that is
not one printable line, a table wider than the terminal, whose columns Rich folds), which
``Output.table`` leaves to Rich.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

HEAD_SEPARATOR = " ┃ "
SEPARATOR = " │ "
RULE_JOINT = "━╇━"
RULE = "━"


def width_of(text: str) -> int:
    """The terminal cells ``text`` takes (two for a wide character)."""
    return len(text) if text.isascii() else cell_len(text)


def padded(text: str, width: int) -> str:
    """``text`` and the spaces that make it ``width`` cells wide."""
    return text + " " * (width - width_of(text))


def widths(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int] | None:
    """Each column's width, the widest of its cells and header; ``None`` when a cell is not one
    printable line."""
    found = [width_of(name) for name in header]
    for row in rows:
        for index, cell in enumerate(row):
            if not cell.isprintable():
                return None
            size = width_of(cell)
            if size > found[index]:
                found[index] = size
    return found


def fitting(header: Sequence[str], rows: Sequence[Sequence[str]], most: int) -> list[int] | None:
    """The columns' widths when the table fits ``most`` cells and every cell is one printable
    line; else ``None`` (a table for Rich)."""
    sizes = widths(header, rows)
    if sizes is None or sum(sizes) + len(SEPARATOR) * (len(sizes) - 1) > most:
        return None
    return sizes


def head(header: Sequence[str], sizes: Sequence[int]) -> list[tuple[str, bool]]:
    """The header line in pieces: each name padded to its column (``True``), and the
    separators between them (``False``): Rich styles the names, not the lines."""
    pieces: list[tuple[str, bool]] = []
    for index, (name, size) in enumerate(zip(header, sizes, strict=True)):
        if index:
            pieces.append((HEAD_SEPARATOR, False))
        pieces.append((padded(name, size), True))
    return pieces


def body(rows: Sequence[Sequence[str]], sizes: Sequence[int]) -> str:
    """The rule under the header and a line a row, each line ended."""
    drawn = [RULE_JOINT.join(RULE * size for size in sizes)]
    drawn.extend(
        SEPARATOR.join(padded(cell, size) for cell, size in zip(row, sizes, strict=True))
        for row in rows
    )
    drawn.append("")
    return "\n".join(drawn)
