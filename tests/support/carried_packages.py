"""The packages of a carried-route story (``support/carried_journeys.py``): what the model
keeps of each cut (:class:`Cut`), read from its bytes, and the same bytes altered on the way;
what the target holds of each source object (:class:`Landed`) and of each import
(:class:`Imported`)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import orjson

from support.workspace_state import State

Key = tuple[str, str]
"""(kind, stable identifier in the source)."""
Held = dict[Key, tuple[str, dict[str, Any]]]
"""(kind, identifier) → (name, definition) of the source's objects."""
SIGNATURES = {"manifest.json", "manifest.sig"}


@dataclass(frozen=True)
class Cut:
    """A package the source cut: its bytes, which cut it continues (``since``, ``None``: a
    full one), what the source held then, who signed it, what it holds and deletes."""

    index: int
    data: bytes
    sha256: str
    since: int | None
    snapshot: int
    held: Held
    signer: str | None
    contents: frozenset[tuple[str, str]]
    """(kind, name) of the jobs and scripts it holds."""
    deleted: frozenset[Key]
    selected: frozenset[tuple[str, str]]
    """(kind, name) of the source's objects the route selected at the cut."""

    @property
    def full(self) -> bool:
        return self.since is None

    def uid(self, kind: str, name: str) -> Key:
        return next(k for k, (n, _) in self.held.items() if k[0] == kind and n == name)


@dataclass(frozen=True)
class Landed:
    """What the target holds of a source object: its name, its definition (``None``: deleted),
    and the newest cut that carried it so."""

    name: str
    document: dict[str, Any] | None
    cut: int


@dataclass(frozen=True)
class Imported:
    """An import of a cut applied on the target, with what it replaced."""

    cut: int
    task_id: str
    before: State
    landed: dict[Key, Landed]
    synced: int | None
    wrote: bool


def manifest_of(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        found: dict[str, Any] = orjson.loads(zf.read("manifest.json"))
    return found


def cut_of(
    index: int,
    data: bytes,
    since: int | None,
    source: tuple[Held, frozenset[tuple[str, str]]],
    signer: str | None,
) -> Cut:
    manifest = manifest_of(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    contents = set()
    for entry in names:
        stem, _, ext = entry.rsplit("/", 1)[-1].rpartition(".")
        if ext in ("job", "script"):
            contents.add((ext, stem))
    deleted = {(str(d["kind"]), str(d["uid"])) for d in manifest.get("deleted") or ()}
    snapshot = int(manifest["route"]["snapshotAt"])
    sha = hashlib.sha256(data).hexdigest()
    held, selected = source
    return Cut(
        index,
        data,
        sha,
        since,
        snapshot,
        held,
        signer,
        frozenset(contents),
        frozenset(deleted),
        selected,
    )


def altered_entry(data: bytes) -> str | None:
    """The entry :func:`altered` changes: the first, by name, that has a byte to change (but
    the manifest and its signature; ``None``: a package of deletions alone has none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [i.filename for i in zf.infolist() if i.file_size and i.filename not in SIGNATURES]
    return min(names) if names else None


def altered(data: bytes) -> bytes:
    """The package with one byte of its first entry but the manifest and signature changed."""
    entry = altered_entry(data)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(out, "w") as changed:
        for info in zf.infolist():
            body = zf.read(info)
            if info.filename == entry:
                middle = len(body) // 2
                body = body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :]
            changed.writestr(info, body)
    return out.getvalue()


def missigned(data: bytes) -> bytes:
    """The signed package with one bit of its signature changed (its file still well formed):
    the signature no longer verifies."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(out, "w") as changed:
        for info in zf.infolist():
            body = zf.read(info)
            if info.filename == "manifest.sig":
                sig = orjson.loads(body)
                raw = bytearray(base64.b64decode(sig["signature"]))
                raw[0] ^= 1
                sig["signature"] = base64.b64encode(bytes(raw)).decode("ascii")
                body = orjson.dumps(sig, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
            changed.writestr(info, body)
    return out.getvalue()


def selected(state: State, folder: str | None) -> frozenset[tuple[str, str]]:
    """(kind, name) of the jobs and scripts of a source's ``state`` a route selects: every one,
    or the jobs of ``folder`` (its subfolders too) with the jobs they depend on
    (``withUpstream``) and the scripts all of them run."""
    if folder is None:
        return frozenset(k for k in state if k[0] in ("job", "script"))
    jobs = {
        k[1]
        for k, v in state.items()
        if k[0] == "job" and f"{v['directory']}/".startswith(f"{folder}/")
    }
    refs = {k[1]: v["refs"] for k, v in state.items() if k[0] == "job"}
    todo = list(jobs)
    while todo:
        for kind, name, _ in refs.get(todo.pop(), ()):
            if kind == "job" and name in refs and name not in jobs:
                jobs.add(name)
                todo.append(name)
    scripts = {("script", n) for job in jobs for kind, n, _ in refs[job] if kind == "script"}
    return frozenset({("job", name) for name in jobs} | scripts)
