"""What the documents promise of a folder of definitions (docs/cli.md ``apply -f`` and ``pull``,
the format in ``jobferry.package.folder``), as a model the generated stories of
``tests/unit/package/test_generated_folders.py`` are checked against.

A folder is a set of files by relative path, each holding what a story wrote (:class:`Content`:
a definition of some kind in some JSON style, or a fault). From the paths and contents alone
the model says what reading the folder finds (:func:`expected`):

- hidden files and folders are skipped, files other than ``*.job``, ``*.script``,
  ``*.resource`` and ``*.json`` ignored;
- a file's kind comes from its extension, a ``*.json``'s from the nearest ``jobs/``,
  ``scripts/`` or ``resources/`` folder above it (the folder given counts); a ``*.json`` with
  none is a problem;
- a file that is not JSON (empty, cut short, with a byte order mark, not UTF-8) is a problem,
  as is one holding something else than an object, or a definition the kind's validation
  rules refuse (a script's or a resource's definition read as another kind's among them; a
  job's rules take any definition of a valid name, as the server's do);
- two files defining one object: one is kept, each other is a problem naming the kept one;
- every problem names its file; the definitions are read without the keys the server owns.

Writing a folder (``pull``) puts each object at ``<kind folder>/<name>.json`` (a name
starting with a dot written ``%2E…``: a file named with a dot first is hidden, and would not
be read back; a name longer than a file name may be cut, ended by ``~`` and 12 hex digits of
its SHA-256), keys sorted, two-space indent, final newline, and removes the other
definition files under the three kinds' folders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from support.builders import make_job, make_resource, make_script

JOB, SCRIPT, RESOURCE = "job", "script", "resource"
KINDS = (JOB, SCRIPT, RESOURCE)
EXTENSIONS = {".job": JOB, ".script": SCRIPT, ".resource": RESOURCE}
FOLDERS = {"jobs": JOB, "scripts": SCRIPT, "resources": RESOURCE}
FOLDER_OF = {kind: folder for folder, kind in FOLDERS.items()}
KIND_ORDER = {SCRIPT: 0, RESOURCE: 1, JOB: 2}
"""What a job uses first (docs/cli.md: the folder is read as an import writes it)."""
SERVER_KEYS = {"id": "7", "createTime": 1_700_000_000_000, "lastUpdateUser": "ann"}
"""Keys the server owns (docs/cli.md ``pull``: ``id``, ``createTime``, ``lastUpdateUser``…)."""
STYLES = ("compact", "indent", "crlf", "ascii", "server", "reversed", "bom")
"""How a story writes a definition (``pulled``: as ``pull`` writes it)."""
FAULTS = ("empty", "cut", "latin1", "array", "invalid")
NOT_JSON = ("empty", "cut", "latin1")
FILE_NAME_BYTES = 250
"""The longest file name ``pull`` writes (most file systems take 255 bytes; it writes a
temporary ``.<name>.tmp`` first)."""


@dataclass(frozen=True)
class Content:
    """What a story wrote into a file: a definition of ``kind`` named ``name`` (``tweak``
    varies its text) in a JSON ``style``, or, with ``fault``, a file that is not one."""

    kind: str
    name: str
    tweak: int = 0
    style: str = "indent"
    fault: str | None = None

    def definition(self) -> dict[str, Any]:
        """The definition as the file holds it (the server's keys too, in style ``server``)."""
        if self.kind == JOB:
            doc = make_job(self.name)
            doc["basicConfig"]["tags"] = [f"t{self.tweak}"]
        elif self.kind == SCRIPT:
            doc = make_script(self.name, content=f"select {self.tweak}; -- ü")
        else:
            doc = make_resource(self.name, desc=f"r{self.tweak} ü")
        if self.fault == "invalid":
            doc["name"] = f"{self.name}/bad"
        if self.style == "server":
            doc = {**SERVER_KEYS, **doc}
        if self.style == "reversed":
            doc = dict(reversed(doc.items()))
        return doc

    def stored(self) -> dict[str, Any]:
        """The definition without the server's keys: what a read and a workspace keep."""
        return {k: v for k, v in self.definition().items() if k not in SERVER_KEYS}

    def data(self) -> bytes:
        """The file's bytes."""
        if self.fault == "empty":
            return b""
        if self.fault == "array":
            return b"[1, 2]\n"
        doc = self.definition()
        if self.style == "pulled":
            text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            return text.encode("utf-8")
        ascii_only = self.style == "ascii"
        indent = None if self.style == "compact" else 2
        text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
        if self.style == "crlf":
            text = text.replace("\n", "\r\n") + "\r\n"
        if self.fault == "cut":
            text = text[: len(text) // 2]
        if self.fault == "latin1":  # an é in ISO 8859-1: not UTF-8
            return f'{{"note": "é", {text[1:]}'.encode("latin-1", errors="replace")
        data = text.encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.style == "bom" else data  # "UTF-8 with BOM"


def pulled(kind: str, content: Content) -> tuple[str, Content]:
    """Where and how ``pull`` writes the object of ``kind`` a file held (relative path,
    content)."""
    name = content.name
    stem = f"%2E{name[1:]}" if name.startswith(".") else name
    if len(stem.encode()) > FILE_NAME_BYTES - len(".json"):
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        cut = stem.encode()[: FILE_NAME_BYTES - len(".json") - 13].decode(errors="ignore")
        stem = f"{cut}~{digest}"
    return f"{FOLDER_OF[kind]}/{stem}.json", replace(content, style="pulled")


def hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/"))


def suffix(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    stem, dot, ext = last.rpartition(".")
    return f".{ext}" if dot and stem else ""


def read_by_apply(path: str) -> bool:
    """Whether reading a folder looks into the file at all."""
    return not hidden(path) and (suffix(path) in EXTENSIONS or suffix(path) == ".json")


def kind_of(path: str, root_name: str) -> str | None:
    """A file's kind by its name, or ``None``: nothing tells."""
    if suffix(path) in EXTENSIONS:
        return EXTENSIONS[suffix(path)]
    for folder in reversed([root_name, *path.split("/")[:-1]]):
        if folder in FOLDERS:
            return FOLDERS[folder]
    return None


@dataclass(frozen=True)
class Found:
    """One object a read must find, and the files that may be the one kept (its document is
    that file's, without the server's keys)."""

    kind: str
    name: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Expected:
    """What reading the folder must answer."""

    objects: tuple[Found, ...]
    """In the order of a read: what a job uses first, then by name."""
    problems: dict[str, str]
    """File → what each of its problems starts with after ``file: `` (``twin``: it names
    another file defining the object)."""


def _problem(content: Content, kind: str) -> str | None:
    if content.fault in NOT_JSON:
        return "not valid JSON"
    if content.fault == "array":
        return f"holds list, not a {kind} definition object"
    if content.fault == "invalid" or (content.kind != kind and kind != JOB):
        return f"{kind} "
    # The server's rules take a job of a name alone (the contract: lenient about a job without
    # nodes), so a script or a resource under jobs/ reads as such a job.
    return None


def expected(files: Mapping[str, Content], root_name: str) -> Expected:
    """What reading ``files`` (a folder named ``root_name``) must find."""
    problems: dict[str, str] = {}
    defined: dict[tuple[str, str], list[str]] = {}
    for path in sorted(files):
        if not read_by_apply(path):
            continue
        kind = kind_of(path, root_name)
        if kind is None:
            problems[path] = "cannot tell a job from a script or a resource"
            continue
        said = _problem(files[path], kind)
        if said is not None:
            problems[path] = said
            continue
        defined.setdefault((kind, files[path].name), []).append(path)
    objects = []
    for (kind, name), paths in sorted(defined.items(), key=lambda i: (KIND_ORDER[i[0][0]], i[0])):
        objects.append(Found(kind, name, tuple(paths)))
        if len(paths) > 1:
            problems.update((path, "twin") for path in paths)
    return Expected(tuple(objects), problems)


def after_pull(files: Mapping[str, Content], written: Mapping[str, Content]) -> dict[str, Content]:
    """The folder once ``pull`` wrote ``written``: the definition files under the kinds'
    folders it did not write are gone, every other file stays."""
    kept = {
        path: held
        for path, held in files.items()
        if path in written or path.split("/")[0] not in FOLDERS or not read_by_apply(path)
    }
    return {**kept, **written}


# -- a workspace kept in step with a folder (apply -f, pull) ------------------------------------

Key = tuple[str, str]
"""(kind, name) of an object."""


def uses(job: str) -> tuple[Key, Key]:
    """The scripts a job of ``make_job`` runs."""
    return (SCRIPT, f"{job}_sql"), (SCRIPT, f"{job}_sh")


@dataclass(frozen=True)
class Applied:
    """What ``apply -f`` of a folder must do: refuse (the folder's or the plan's problems,
    each object the plan must name among them), or write ``after`` (nothing when it is the
    workspace as it is)."""

    folder_refused: bool
    refused: frozenset[str]
    """Names the plan's problems must include (a scheduled job deleted or overwritten, an
    object deleted that a remaining job uses, a script a job runs that nothing holds)."""
    problems: bool
    after: dict[Key, Content]
    deleted: frozenset[Key]


@dataclass
class Workspace:
    """What the workspace holds (each object as the file it came from, or as made by hand),
    and which of its jobs are scheduled (docs/cli.md ``apply -f``: written with ``--policy
    overwrite --mode atomic --scheduling refuse``)."""

    held: dict[Key, Content] = field(default_factory=dict)
    scheduled: set[str] = field(default_factory=set)

    def users(self, key: Key, among: Mapping[Key, Content]) -> list[str]:
        """The jobs of ``among`` that run the script ``key``."""
        return [name for kind, name in among if kind == JOB and key in uses(name)]

    def apply(self, files: Mapping[str, Content], root_name: str, prune: bool) -> Applied:
        """What applying the folder ``files`` must do."""
        read = expected(files, root_name)
        if read.problems or not read.objects:
            return Applied(True, frozenset(), True, dict(self.held), frozenset())
        folder = {(f.kind, f.name): files[f.files[0]] for f in read.objects}
        after = dict(folder) if prune else {**self.held, **folder}
        deleted = frozenset(self.held) - frozenset(after)
        refused = set()
        for kind, name in folder:
            if kind == JOB:
                refused.update(n for k, n in uses(name) if (k, n) not in after)
            overwritten = self.held.get((kind, name), folder[kind, name])
            if kind == JOB and name in self.scheduled and overwritten != folder[kind, name]:
                refused.add(name)
        for kind, name in deleted:
            if (kind == JOB and name in self.scheduled) or self.users((kind, name), after):
                refused.add(name)
        return Applied(False, frozenset(refused), bool(refused), after, deleted)

    def changes(self, applied: Applied) -> bool:
        """Whether the import writes anything."""
        if applied.deleted:
            return True
        return any(
            key not in self.held or self.held[key].stored() != content.stored()
            for key, content in applied.after.items()
        )
