"""Generated stories of a folder of definitions (``support/folder_stories.py``): files added,
changed, deleted and moved under odd but legal names, in every JSON style or broken, and the
folder pulled over. After every step, whatever the story, the folder keeps the promises of
docs/cli.md (``apply -f``, ``pull``) and of its format (``jobferry.package.folder``), which
``support/folder_model.py`` says:

- a read finds exactly the definitions the folder holds (kind from the extension or the nearest
  ``jobs/``, ``scripts/``, ``resources/`` folder, the folder given included; hidden files and
  folders and other extensions not read), in the order an import writes them (what a job uses
  first, then by name), each without the keys the server owns;
- and exactly the problems: every problem names its file, every file with one is named (not
  JSON — empty, cut short, a byte order mark, not UTF-8 —, not an object, refused by the
  kind's validation rules, a ``*.json`` of no kind, a second file defining an object, naming
  the first);
- packed, the same objects give the same bytes (in any order, from a copy of the folder with
  other file times) and a package of exactly them: the export layout's entries in path order,
  no object id, no source workspace, time 0, and ``inventory`` naming every kind exactly when
  packed whole (``apply --prune``);
- ``pull`` over the folder writes each object as ``<kind folder>/<name>.json`` (keys sorted,
  two-space indent, final newline), leaves a file holding those bytes untouched, removes the
  other definition files under the kinds' folders (said moved when their object is written to
  another file) and keeps every other file; read back, the folder holds exactly what was
  written beside what it kept; pulled again, nothing changes.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import event, example, given, note

from jobferry.package.folder import FolderObject, FolderRead, pack, read_folder, write_folder
from jobferry.package.reader import read_package
from support.folder_model import (
    FOLDER_OF,
    NOT_JSON,
    Content,
    Expected,
    after_pull,
    expected,
    kind_of,
    pulled,
)
from support.folder_stories import FolderStory, a_dot_name_pulled, every_fault_once, folder_stories
from support.import_stories import generated
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(25)
"""Stories a test tells (JOBFERRY_FUZZ_EXAMPLES=500 and a ``--hypothesis-seed`` for a longer
run)."""
_SERIAL = itertools.count()


class Told:
    """A story being told: the folder on disk and what the model says it holds."""

    def __init__(self, base: Path, root: str) -> None:
        self.root = base / str(next(_SERIAL)) / root
        self.root.mkdir(parents=True)
        self.files: dict[str, Content] = {}

    def put(self, path: str, content: Content) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.data())
        self.files[path] = content

    def picked(self, pick: int) -> str | None:
        held = sorted(self.files)
        return held[pick % len(held)] if held else None


# -- the steps -------------------------------------------------------------------------------


def _change(told: Told, step: Step) -> None:
    pick, content = step.args
    path = told.picked(pick)
    if path is not None:
        told.put(path, content)


def _delete(told: Told, step: Step) -> None:
    path = told.picked(step.args[0])
    if path is not None:
        (told.root / path).unlink()
        del told.files[path]


def _move(told: Told, step: Step) -> None:
    pick, to = step.args
    path = told.picked(pick)
    if path is None or path == to:
        return
    (told.root / to).parent.mkdir(parents=True, exist_ok=True)
    os.replace(told.root / path, told.root / to)
    told.files[to] = told.files.pop(path)


def _pull(told: Told, _: Step) -> None:
    """The folder written over from what it holds (what ``pull`` does after an ``apply``)."""
    read = read_folder(told.root)
    written = dict(pulled(obj.kind, told.files[obj.file]) for obj in read.objects)
    done = write_folder(told.root, read.objects)
    assert done.problems == []
    assert done.skipped == []
    same = {p for p, c in written.items() if p in told.files and told.files[p].data() == c.data()}
    assert sorted(done.unchanged) == sorted(same)
    assert sorted(done.written) == sorted(set(written) - same)
    after = after_pull(told.files, written)
    held = {(o.kind, o.name) for o in read.objects}
    moved = {
        path: pulled(kind, content)[0]
        for path, content in told.files.items()
        if path not in after
        and content.fault not in (*NOT_JSON, "array")
        and (kind := kind_of(path, told.root.name)) is not None
        and (kind, content.name) in held
    }
    assert done.moved == moved
    assert sorted(done.removed) == sorted(set(told.files) - set(after) - set(moved))
    told.files = after
    again = write_folder(told.root, read_folder(told.root).objects)
    assert (again.written, again.removed) == ([], []), "a second pull changes nothing"
    event(f"pull: {len(done.removed)} removed")


ACTS = {
    "add": lambda told, step: told.put(*step.args),
    "change": _change,
    "delete": _delete,
    "move": _move,
    "pull": _pull,
}


# -- the checks ------------------------------------------------------------------------------


def _problems_by_file(read: FolderRead, files: dict[str, Content]) -> dict[str, list[str]]:
    """Each problem under the file it names first (the longest path it starts with)."""
    found: dict[str, list[str]] = {}
    for problem in read.problems:
        named = [path for path in files if problem.startswith(f"{path}: ")]
        assert named, f"a problem names no file: {problem}"
        found.setdefault(max(named, key=len), []).append(problem)
    return found


def _check_objects(read: FolderRead, model: Expected, files: dict[str, Content]) -> set[str]:
    """The objects found are the model's; answers the files of twins kept."""
    assert [(o.kind, o.name) for o in read.objects] == [(f.kind, f.name) for f in model.objects]
    kept = set()
    for obj, found in zip(read.objects, model.objects, strict=True):
        assert obj.file in found.files, (obj.file, found.files)
        assert obj.document == files[obj.file].stored(), obj.file
        if len(found.files) > 1:
            kept.add(obj.file)
    return kept


def _check_read(told: Told) -> FolderRead:
    read = read_folder(told.root)
    model = expected(told.files, told.root.name)
    kept = _check_objects(read, model, told.files)
    problems = _problems_by_file(read, told.files)
    assert set(problems) == set(model.problems) - kept, (read.problems, model.problems)
    of = {(o.kind, o.name): o.file for o in read.objects}
    for path, said in problems.items():
        expect = model.problems[path]
        if expect == "twin":
            kind, name = kind_of(path, told.root.name), told.files[path].name
            assert kind is not None
            twin = f"{kind} '{name}' is also defined in {of[kind, name]}; keep one"
            assert said == [f"{path}: {twin}"], said
        else:
            assert all(p.startswith(f"{path}: {expect}") for p in said), (said, expect)
            assert len(said) == 1 or expect.endswith(" "), said  # validation: every rule
    event(f"problems: {len(problems)}")
    return read


def packed(objects: tuple[FolderObject, ...] | list[FolderObject], whole: bool = False) -> bytes:
    out = io.BytesIO()
    pack(objects, out, whole=whole)
    return out.getvalue()


def _check_pack(read: FolderRead, whole: bool) -> bytes:
    """The package of the objects read: the same bytes in any order, exactly the objects."""
    data = packed(read.objects, whole)
    assert packed(list(reversed(read.objects)), whole) == data
    if not read.objects:
        return data  # apply -f refuses a folder holding no definition before it packs
    package = read_package(data)
    entry = {(o.kind, o.name): f"{FOLDER_OF[o.kind]}/{o.name}.{o.kind}" for o in read.objects}
    shown = {(o.kind, o.name): (o.path, o.uid, o.document) for o in package.objects}
    assert shown == {
        (o.kind, o.name): (entry[o.kind, o.name], None, o.document) for o in read.objects
    }
    names = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "/" in n]
    assert names == sorted(entry.values())
    manifest = package.manifest
    assert manifest is not None
    assert manifest["source"] == {"projectId": "", "workspace": "", "workspaceId": ""}
    assert manifest["createdAt"] == "1970-01-01T00:00:00.000Z"
    assert manifest.get("inventory") == (["job", "resource", "script"] if whole else None)
    return data


def _check_copy(told: Told, data: bytes, whole: bool) -> None:
    """A copy of the folder elsewhere, its files of other times, packs into the same bytes."""
    copy = told.root.parent.parent / f"copy-{told.root.parent.name}" / told.root.name
    shutil.copytree(told.root, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert packed(read_folder(copy).objects, whole) == data


@GENERATED
@given(told=folder_stories())
@example(told=a_dot_name_pulled())
@example(told=every_fault_once())
def test_folder_stories_keep_the_format_s_promises(tmp_path: Path, told: FolderStory) -> None:
    note(repr(told))
    story = Told(tmp_path, told.root)
    for number, step in enumerate(told.steps):
        ACTS[step.act](story, step)
        read = _check_read(story)
        _check_pack(read, whole=number % 2 == 1)
    whole = len(told.steps) % 2 == 0
    _check_copy(story, _check_pack(_check_read(story), whole), whole)
