"""A folder of definitions: read and packed (``jobferry apply -f``), or written from a package
(``jobferry pull``). Pure: files and bytes, no network.

**The folder.** A file holds one definition in DataArts' own JSON, the body the create call
takes (what an export package holds). Its kind comes from its name, as in an export package:
``*.job``, ``*.script``, ``*.resource`` are a job, a script, a resource; a ``*.json`` is the
kind of the nearest folder named ``jobs/``, ``scripts/`` or ``resources/`` above it (the folder
given counts; for one file given alone, every folder above it), and a ``*.json`` outside such a
folder is a problem. A folder is read recursively; hidden files and folders are skipped, other
extensions ignored. A file is UTF-8 JSON, with or without the byte order mark some editors write
("UTF-8 with BOM"). Every file is read and checked with the domain's validators, and every
problem of every file is collected (:class:`FolderRead`), so a caller can refuse the whole
folder naming each file at once.

**The package.** :func:`pack` writes the definitions as a package of format 2 with the
package writer, in the single layout an export writes (``jobs/<name>.job``,
``scripts/<name>.script``, ``resources/<name>.resource``), so the server's reader takes it like
any export. Each entry is the file's definition as compact JSON in the file's key order, the
keys a request steers with and the keys the server owns left out (what the workspace would
store). The same files always give the same bytes: entries in path order, the writer's fixed
timestamps, and a manifest that depends on nothing else:

* *No source workspace.* The manifest names none (``projectId``, ``workspaceId`` and
  ``workspace`` are empty) and its entries carry no object id, so an import matches a folder's
  objects by name, as it matches a DataArts package. A file has no identity beyond the name it
  defines: a made-up one (a hash of the file's path, say) would tie the workspace's ledger of
  received objects to file names, turning a moved file into a rename and letting a second
  folder inherit the first's objects. So a folder has no drift and no ledger of deletes; packed
  ``whole`` (``apply -f --prune``), its manifest's ``inventory`` names every kind it holds, and
  an import with ``propagateDeletes`` deletes what the workspace holds of them beside it.
* ``createdAt`` is 0 (1970-01-01T00:00:00.000Z): file times are not part of the definitions
  (a checkout sets them anew), and the bytes must not change when only they do.
* ``options`` is ``{"layout": "single", "origin": "folder"}``; ``requires`` and
  ``unresolved`` are empty: the import checks every reference against the target from the
  objects themselves (a job's, and a script's connection), as for any package; only the
  secrets a connection should have, which a folder cannot say, go unchecked.

**Writing a folder.** :func:`write_folder` writes objects one file each, in the layout the
reading side takes as it is: ``jobs/<name>.json``, ``scripts/<name>.json``,
``resources/<name>.json`` (plain ``.json`` so editors treat them as JSON; the folder names the
kind; a name starting with a dot is written ``%2E…``, as a hidden file would not be read, and
one too long for a file name, or differing from another's of its kind only in case, cut or
ended by ``~`` and a hash of it: :func:`file_paths`).
Each file is the definition without the server-owned and request-steering keys, as JSON with
keys sorted at every level, a two-space indent and a final newline: the same objects give the
same bytes. A file already holding those bytes is left untouched. Definition files under
``jobs/``, ``scripts/`` and ``resources/`` that the objects do not account for (stale ones,
or a hand-made ``jobs/extra/x.job``) are removed, so reading the folder back gives exactly the
objects written (a removed file naming an object written to another file is said *moved*, not
gone); other files stay. CDM jobs are environment objects, not written (they are
returned as skipped).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

import jobferry
from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.domain.enums import KIND_ORDER, ObjectKind
from jobferry.domain.names import object_name_problem
from jobferry.domain.report import Violation
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader
from jobferry.package.writer import NewEntry, PackageWriter, WrittenPackage

EXTENSIONS: dict[str, ObjectKind] = {
    ".job": ObjectKind.JOB,
    ".script": ObjectKind.SCRIPT,
    ".resource": ObjectKind.RESOURCE,
}
FOLDERS: dict[str, ObjectKind] = {
    "jobs": ObjectKind.JOB,
    "scripts": ObjectKind.SCRIPT,
    "resources": ObjectKind.RESOURCE,
}
DEFINING = frozenset((*EXTENSIONS, ".json"))
"""The extensions of the files a folder's definitions may be in."""
FOLDER_OF: dict[ObjectKind, str] = {kind: folder for folder, kind in FOLDERS.items()}
VALIDATORS: dict[ObjectKind, Callable[[Mapping[str, Any]], list[Violation]]] = {
    ObjectKind.JOB: validate_job,
    ObjectKind.SCRIPT: validate_script,
    ObjectKind.RESOURCE: validate_resource,
}
LEFT_OUT = frozenset(CONTROL_FIELDS + SERVER_FIELDS)
"""Keys neither packed nor written into a folder: the workspace would not store them."""
FOLDER_OPTIONS = {"layout": Layout.SINGLE.value, "origin": "folder"}
CREATED_AT_MS = 0
FILE_NAME_BYTES = 250
"""The longest name of a file written: 255 bytes, most file systems' limit, less the dot and
``.tmp`` of the temporary file it is written as first."""


@dataclass(frozen=True)
class FolderObject:
    """One definition read from a file."""

    kind: ObjectKind
    name: str
    file: str
    """The file as the user named it: relative to the folder given, ``/``-separated."""
    document: dict[str, Any]
    """The definition, without the keys a workspace would not store (:data:`LEFT_OUT`)."""


@dataclass(frozen=True)
class FolderRead:
    """What a folder holds: its definitions (what a job uses first, then by name), and every
    problem found, each naming its file."""

    objects: tuple[FolderObject, ...]
    problems: tuple[str, ...]


def stored_part(document: Mapping[str, Any]) -> dict[str, Any]:
    """A definition without the keys a workspace does not store (key order kept)."""
    return {k: v for k, v in document.items() if k not in LEFT_OUT}


# -- reading ------------------------------------------------------------------------------


def _definition_files(root: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """The files under ``root`` that may hold a definition with their parts below it, by path
    (hidden ones skipped; a link to a file counts, one to a folder is not followed, as
    ``Path.rglob`` walks), in plain strings: a pull walks 10,000 files three times."""
    found: list[tuple[tuple[str, ...], str]] = []
    _walk(os.fspath(root), (), found)
    found.sort()
    return [(Path(path), parts) for parts, path in found]


def _walk(folder: str, parts: tuple[str, ...], found: list[tuple[tuple[str, ...], str]]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone or unreadable meanwhile: as rglob, nothing under it
        return
    for entry in (e for e in entries if not e.name.startswith(".")):
        try:
            if entry.is_dir() and not entry.is_symlink():
                _walk(entry.path, (*parts, entry.name), found)
            elif entry.is_file() and os.path.splitext(entry.name)[1] in DEFINING:
                found.append(((*parts, entry.name), entry.path))
        except OSError:
            continue


def _kind(
    path: Path, root: Path, root_name: str | None = None, parts: tuple[str, ...] | None = None
) -> ObjectKind | None:
    """The kind a file holds: by its extension, else by the nearest kind folder above it (up
    to ``root``, whose own name, ``root_name`` when known, counts too; ``parts``: the file's
    path below ``root``, when known)."""
    if path.suffix in EXTENSIONS:
        return EXTENSIONS[path.suffix]
    if path == root:  # one file given: every folder above it counts, the nearest first
        folders = [parent.name for parent in reversed(path.resolve().parents)]
    else:
        top = root.resolve().name if root_name is None else root_name
        below = path.relative_to(root).parts if parts is None else parts
        folders = [top, *below[:-1]]
    for folder in reversed(folders):
        if folder in FOLDERS:
            return FOLDERS[folder]
    return None


_BOM = b"\xef\xbb\xbf"


def json_document(data: bytes) -> Any:
    """The JSON document of a file's bytes, a UTF-8 byte order mark before it skipped (an
    editor's "UTF-8 with BOM": RFC 8259 lets a reader ignore it)."""
    return orjson.loads(data.removeprefix(_BOM))


def _json_in(path: Path) -> Any:
    """The JSON document of a file (:func:`json_document`)."""
    return json_document(path.read_bytes())


def _read(path: Path, shown: str, kind: ObjectKind, problems: list[str]) -> FolderObject | None:
    try:
        document = _json_in(path)
    except OSError as exc:
        problems.append(f"{shown}: cannot be read: {exc.strerror or exc}")
        return None
    except orjson.JSONDecodeError as exc:
        problems.append(f"{shown}: not valid JSON ({exc}); fix the file")
        return None
    if not isinstance(document, dict):
        problems.append(f"{shown}: holds {type(document).__name__}, not a {kind} definition object")
        return None
    body = stored_part(document)
    violations = VALIDATORS[kind](body)
    problems.extend(f"{shown}: {kind} {v.field or '(document)'}: {v.message}" for v in violations)
    name = body.get("name")
    if violations or not isinstance(name, str):
        return None
    return FolderObject(kind, name, shown, body)


def read_folder(root: Path) -> FolderRead:
    """Every definition under ``root`` (a folder, or one definition file), and every problem
    of every file; ``root`` must exist."""
    problems: list[str] = []
    found: dict[tuple[ObjectKind, str], FolderObject] = {}
    files = [(root, (root.name,))] if root.is_file() else _definition_files(root)
    root_name = root.resolve().name  # once: resolving asks the file system at each step
    for path, parts in files:
        shown = "/".join(parts)
        kind = _kind(path, root, root_name, parts)
        if kind is None:
            problems.append(
                f"{shown}: cannot tell a job from a script or a resource; put it under a jobs/, "
                "scripts/ or resources/ folder, or name it .job, .script or .resource"
            )
            continue
        item = _read(path, shown, kind, problems)
        if item is None:
            continue
        twin = found.get((item.kind, item.name))
        if twin is not None:
            problems.append(
                f"{shown}: {item.kind} '{item.name}' is also defined in {twin.file}; keep one"
            )
            continue
        found[(item.kind, item.name)] = item
    ordered = sorted(found.values(), key=lambda o: (KIND_ORDER[o.kind], o.name))
    return FolderRead(tuple(ordered), tuple(problems))


# -- packing ------------------------------------------------------------------------------


def folder_header(*, whole: bool = False) -> ManifestHeader:
    """The manifest of a folder's package: no source workspace, no time (module docstring);
    ``whole``: it holds every job, script and resource (``inventory``), so that an import with
    ``propagateDeletes`` deletes what the target holds of them beside it (``apply --prune``)."""
    return ManifestHeader(
        producer_version=jobferry.__version__,
        project_id="",
        workspace_id="",
        workspace_name="",
        created_at_ms=CREATED_AT_MS,
        options=dict(FOLDER_OPTIONS),
        inventory=tuple(FOLDER_OF) if whole else (),
    )


def package_entries(objects: Iterable[FolderObject]) -> list[NewEntry]:
    """The package entries of ``objects``, in path order (no object id: matched by name)."""
    entries = [
        NewEntry(
            entry_path(Layout.SINGLE, obj.kind, obj.name),
            obj.kind,
            obj.name,
            "",
            orjson.dumps(stored_part(obj.document)),
        )
        for obj in objects
    ]
    return sorted(entries, key=lambda e: e.path)


def pack(objects: Iterable[FolderObject], out: IO[bytes], *, whole: bool = False) -> WrittenPackage:
    """Write ``objects`` into ``out`` as a package: the same objects, the same bytes
    (``whole``: the package says it holds every job, script and resource, see
    :func:`folder_header`)."""
    writer = PackageWriter(out, folder_header(whole=whole))
    writer.add_many(package_entries(objects))
    return writer.close()


# -- writing a folder ---------------------------------------------------------------------


class Definition(Protocol):
    """An object to write into a folder (a package's object, or one read from a folder)."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def document(self) -> dict[str, Any]: ...


@dataclass
class FolderWrite:
    """What writing a folder did (paths relative to the folder, ``/``-separated)."""

    written: list[str] = field(default_factory=list)
    """Files created or changed."""
    unchanged: list[str] = field(default_factory=list)
    """Files that held the same bytes already."""
    removed: list[str] = field(default_factory=list)
    """Definition files of objects no longer present."""
    moved: dict[str, str] = field(default_factory=dict)
    """Definition files removed whose object is written to another file (``jobs/etl/x.json``
    → ``jobs/x.json``): the object is still there."""
    skipped: list[str] = field(default_factory=list)
    """Objects of kinds a folder does not hold (``cdm_job 'name'``)."""
    problems: list[str] = field(default_factory=list)
    """Objects that cannot be written (nothing is written when there is one)."""
    hashes: dict[str, str] = field(default_factory=dict)
    """The SHA-256 of each file the folder holds now of the objects written."""


def file_bytes(document: Mapping[str, Any]) -> bytes:
    """A definition as a folder holds it: sorted keys, two-space indent, final newline."""
    return orjson.dumps(stored_part(document), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def file_stem(name: str, *, marked: bool = False) -> str:
    """The name of an object's file without ``.json``: the object's name, a dot first written
    ``%2E`` (a file named with a dot first is hidden, which a read skips: pulled, the object
    would not be read back, and ``apply --prune`` would delete it), a name too long for a file
    name (128 Chinese characters are 384 bytes) cut and ended by ``~`` and 12 hex digits of its
    SHA-256, and so ended too when ``marked`` (a name another of its kind differs from only in
    case). No object name holds a ``%`` or a ``~``, so no two objects share a file."""
    stem = f"%2E{name[1:]}" if name.startswith(".") else name
    if not marked and len(stem.encode()) + len(".json") <= FILE_NAME_BYTES:
        return stem
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    cut = stem.encode()[: FILE_NAME_BYTES - len(".json") - len(digest) - 1]
    return f"{cut.decode(errors='ignore')}~{digest}"


def file_path(kind: ObjectKind, name: str, *, marked: bool = False) -> str:
    """Where an object is written, relative to the folder."""
    return f"{FOLDER_OF[kind]}/{file_stem(name, marked=marked)}.json"


def file_paths(objects: Iterable[tuple[ObjectKind, str]]) -> dict[tuple[ObjectKind, str], str]:
    """Where each object is written: names of a kind that differ only in case (``Daily``,
    ``daily``) would be one file where file names ignore case (macOS, Windows), the second
    written over the first; each but the first of them, in code point order, is ``marked``."""
    paths: dict[tuple[ObjectKind, str], str] = {}
    taken: set[str] = set()
    for kind, name in sorted(set(objects)):
        path = file_path(kind, name)
        if path.casefold() in taken:
            path = file_path(kind, name, marked=True)
        taken.add(path.casefold())
        paths[(kind, name)] = path
    return paths


def folder_files(
    objects: Iterable[Definition], done: FolderWrite
) -> tuple[dict[str, bytes], dict[tuple[ObjectKind, str], str]]:
    """Relative path → bytes of every object a folder holds (others noted in ``done``), and
    where each object is."""
    kept: dict[tuple[ObjectKind, str], bytes] = {}
    for obj in objects:
        kind = ObjectKind(obj.kind)
        if kind not in FOLDER_OF:
            done.skipped.append(f"{kind} '{obj.name}'")
            continue
        problem = object_name_problem(obj.name, str(kind))
        if problem is not None:
            done.problems.append(f"{kind} '{obj.name}': {problem.message}")
            continue
        kept[(kind, obj.name)] = file_bytes(obj.document) + b"\n"
    paths = file_paths(kept)
    return {paths[key]: data for key, data in kept.items()}, paths


def _owned_files(root: Path) -> set[str]:
    """The definition files under ``jobs/``, ``scripts/`` and ``resources/`` (relative)."""
    found: set[str] = set()
    for folder in FOLDERS:
        base = root / folder
        if base.is_dir():
            found.update("/".join((folder, *parts)) for _, parts in _definition_files(base))
    return found


def _write_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (a hidden temporary file beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_folder(
    root: Path,
    objects: Iterable[Definition],
    check: Callable[[set[str], Mapping[str, bytes]], None] | None = None,
) -> FolderWrite:
    """Write ``objects`` into ``root``, one file each, and remove the stale definition files
    (nothing is written when an object cannot be: see :attr:`FolderWrite.problems`).
    ``check`` is given the folder's definition files and what would be written (path → bytes)
    before anything is: what it raises leaves the folder as it was."""
    done = FolderWrite()
    objects = list(objects)
    files, paths = folder_files(objects, done)
    if done.problems:
        return done
    present = _owned_files(root)
    if check is not None:
        check(present, files)
    root.mkdir(parents=True, exist_ok=True)  # an empty workspace too gives its folder
    stale = present - set(files)
    for relative, data in sorted(files.items()):
        done.hashes[relative] = hashlib.sha256(data).hexdigest()
        path = root / relative
        if path.is_file() and path.read_bytes() == data:
            done.unchanged.append(relative)
            continue
        _write_file(path, data)
        done.written.append(relative)
    by_case = {relative.casefold(): relative for relative in files}
    for relative in sorted(stale):
        twin = by_case.get(relative.casefold())
        if twin is not None and os.path.samefile(root / relative, root / twin):
            continue  # the file just written, listed as it was named (file names ignore case)
        defined = _defined(root / relative, root)
        (root / relative).unlink()
        if defined in paths:
            done.moved[relative] = paths[defined]
        else:
            done.removed.append(relative)
    return done


def _defined(path: Path, root: Path) -> tuple[ObjectKind, str] | None:
    """The (kind, name) a definition file names, if it names one."""
    kind = _kind(path, root)
    try:
        document = _json_in(path)
    except (OSError, orjson.JSONDecodeError):
        return None
    name = document.get("name") if isinstance(document, dict) else None
    return (kind, name) if kind is not None and isinstance(name, str) else None
