"""Generated stories of the offline package tools (``tests/unit/cli/
test_generated_package_tools.py``): a source workspace whose jobs and scripts change (edited,
renamed keeping their identifier, deleted, added, a name taken again by a new object), packages
exported from it with or without a manifest, two signing keys (made, and made again with
``--force``), and what happens to a package on its way to an air-gapped network: signed (in
place or to another file), signed again with the other key, harmed (:data:`HARMS`) or
transformed (a profile or a time-zone move, signed with a key or not).
:class:`~support.package_tool_model.Model` says what each tool must answer after each step.

The harms are done to the zip's bytes here, as a hand or a broken copy would do them.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st

from jobferry.package.writer import PackageWriter
from support.packages import HEADER

HARMS = (
    "alter",
    "add",
    "remove",
    "rename",
    "manifest",
    "sig",
    "strip",
    "truncate",
    "duplicate",
    "slip",
)
"""How a package is changed on its way: an entry's content altered, an entry added, removed or
renamed, ``manifest.json`` edited, ``manifest.sig`` edited (or one put in an unsigned package),
the signature taken out, the zip cut short, an entry written twice, an entry climbing out of the
package (zip slip)."""
VERBS = ("change", "rename", "take", "delete", "add", "reuse")
"""How the source workspace changes between exports: a field of an object edited, an object
renamed (its identifier kept), one renamed to the name of another of its kind deleted, an
object deleted, a job added, an object deleted and another made under its name (a new
identifier)."""
STOWAWAY = "jobs/stowaway.job"
SLIP = "../evil.job"


@dataclass(frozen=True)
class Step:
    """One step of a story: what, and its drawn arguments."""

    what: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ToolStory:
    """The steps; the first package is exported with a manifest or without."""

    manifest: bool
    steps: tuple[Step, ...]


_PICK = st.integers(0, 40)
"""Which package (or object) a step acts on, modulo how many there are."""


def _steps() -> st.SearchStrategy[Step]:
    return st.one_of(
        st.builds(lambda m: Step("export", (m,)), st.sampled_from((True, True, False))),
        st.builds(lambda v, i: Step("evolve", (v, i)), st.sampled_from(VERBS), _PICK),
        st.builds(lambda k, f: Step("keygen", (k, f)), st.integers(0, 1), st.booleans()),
        st.builds(
            lambda p, k, here: Step("sign", (p, k, here)), _PICK, st.integers(0, 1), st.booleans()
        ),
        st.builds(lambda p, h, i: Step("harm", (p, h, i)), _PICK, st.sampled_from(HARMS), _PICK),
        st.builds(
            lambda p, mode, k: Step("transform", (p, mode, k)),
            _PICK,
            st.sampled_from(("profile", "zone")),
            st.sampled_from((None, 0, 1)),
        ),
    )


@st.composite
def tool_stories(draw: st.DrawFn) -> ToolStory:
    """A story of 3 to 10 steps after the first export."""
    return ToolStory(draw(st.booleans()), tuple(draw(st.lists(_steps(), min_size=3, max_size=10))))


# -- harms to a zip's bytes -----------------------------------------------------------------------


def _entries(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def rewritten(
    data: bytes,
    change: dict[str, bytes | None],
    rename: dict[str, str] | None = None,
    extra: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    """The zip with entries replaced (``None``: removed), renamed, and ``extra`` ones appended
    (a name already there is written again: the zip then holds it twice)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, body in _entries(data):
            name = info.filename
            new = change.get(name, body)
            if new is not None:
                zf.writestr((rename or {}).get(name, name), new)
        for name, body in extra:
            with warnings.catch_warnings():  # a duplicate name warns: it is the harm
                warnings.simplefilter("ignore")
                zf.writestr(name, body)
    return out.getvalue()


def written(objects: list[tuple[str, str, str, str, bytes]], manifest: bool) -> bytes:
    """A package of ``objects`` ((entry path, kind, name, uid) and the document's bytes) as
    jobferry's writer writes it, from the source workspace ``ws-test``, with a manifest (objects
    carry their identifiers) or without (a DataArts export: matched by name)."""
    buf = io.BytesIO()
    writer = PackageWriter(buf, HEADER if manifest else None)
    for path, kind, name, uid, data in sorted(objects):
        writer.add(path, kind, name, uid, data)
    writer.close()
    return buf.getvalue()


def entry_bytes(data: bytes, name: str) -> bytes:
    """One entry's content."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def canonical(document: dict[str, Any]) -> bytes:
    """JSON as jobferry writes ``manifest.json``: sorted keys, two-space indent, newline."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
