"""``jobferry apply -f PATH``: job, script and resource definitions kept in files, made so in a
remote workspace.

A file holds one definition in DataArts' own JSON, the body the create call takes (what an
export package holds). Its kind comes from its name, as in an export package:

* ``*.job``, ``*.script``, ``*.resource`` are a job, a script, a resource;
* ``*.json`` is the kind of the nearest folder named ``jobs/``, ``scripts/`` or ``resources/``
  above it (the folder given with ``-f`` counts); a ``*.json`` outside such a folder is refused,
  naming the fix.

A folder is read recursively (hidden files and folders skipped, other extensions ignored). Every
file is read and checked first, with the server's own validation rules; one problem anywhere
and nothing is sent. Then, scripts first, resources next and jobs last (jobs use them), each
object is created when the workspace does not have it, updated when its definition differs,
and left alone when it is the same; one line a object says which. The first refusal of the
server stops the run: the objects before it stay applied, nothing after it is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.exits import CheckProblemsError, CliUsageError, CommandError
from jobferry.cli.jobs import walk
from jobferry.cli.session import JsonOption, WorkspaceOption, session
from jobferry.domain.report import Violation
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from jobferry.services.definitions.documents import SERVER_FIELDS, split_body

EXTENSIONS = {".job": "job", ".script": "script", ".resource": "resource"}
FOLDERS = {"jobs": "job", "scripts": "script", "resources": "resource"}
ORDER = ("script", "resource", "job")
VALIDATORS: dict[str, Callable[[Mapping[str, Any]], list[Violation]]] = {
    "job": validate_job,
    "script": validate_script,
    "resource": validate_resource,
}
DEFAULTED = {"job": {"directory", "version"}, "script": {"version"}, "resource": {"directory"}}
"""Fields a show answer fills in when the stored definition has none (compared only when the
file has them too)."""
NOT_FOUND = {"job": "DLF.0100", "script": "DLF.6201"}
MAX_SHOWN = 20


@dataclass(frozen=True)
class Definition:
    """One object read from a file."""

    kind: str
    name: str
    file: str
    """The file as the user named it (relative to the folder given)."""
    document: dict[str, Any]


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts) or not path.is_file():
            continue
        if path.suffix in EXTENSIONS or path.suffix == ".json":
            found.append(path)
    return found


def _kind(path: Path, root: Path) -> str | None:
    if path.suffix in EXTENSIONS:
        return EXTENSIONS[path.suffix]
    if path == root:
        folders = [path.resolve().parent.name]
    else:
        folders = [root.resolve().name, *path.relative_to(root).parts[:-1]]
    for folder in reversed(folders):
        if folder in FOLDERS:
            return FOLDERS[folder]
    return None


def _read(path: Path, shown: str, kind: str, problems: list[str]) -> Definition | None:
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        problems.append(f"{shown}: cannot be read: {exc.strerror or exc}")
        return None
    except orjson.JSONDecodeError as exc:
        problems.append(f"{shown}: not valid JSON ({exc}); fix the file")
        return None
    if not isinstance(document, dict):
        problems.append(f"{shown}: holds {type(document).__name__}, not a {kind} definition object")
        return None
    body, _, _ = split_body(document)
    violations = VALIDATORS[kind](body)
    problems.extend(f"{shown}: {kind} {v.field or '(document)'}: {v.message}" for v in violations)
    name = document.get("name")
    if violations or not isinstance(name, str):
        return None
    return Definition(kind, name, shown, document)


def load_definitions(root: Path) -> list[Definition]:
    """Every definition under ``root`` in apply order; refused (exit 3) with every problem of
    every file, so that nothing is sent when one file is wrong."""
    if not root.exists():
        raise CliUsageError(f"{root} does not exist; give a definition file or a folder of them.")
    problems: list[str] = []
    found: dict[tuple[str, str], Definition] = {}
    for path in _files(root):
        shown = str(path if path == root else path.relative_to(root))
        kind = _kind(path, root)
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
    if problems:
        listed = "\n  ".join(problems[:MAX_SHOWN])
        more = f"\n  … and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        raise CheckProblemsError(
            f"{len(problems)} problem(s) in the definition files; nothing was applied:\n  "
            f"{listed}{more}",
            code="apply",
            problems=problems,
        )
    if not found:
        raise CliUsageError(
            f"{root} holds no definition (*.job, *.script, *.resource, or *.json under jobs/, "
            "scripts/ or resources/)."
        )
    return sorted(found.values(), key=lambda d: (ORDER.index(d.kind), d.name))


def unchanged(kind: str, local: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether the stored definition is the file's (what the server adds left out)."""
    mine = split_body(local)[0]
    owned = set(SERVER_FIELDS) | ({"version"} if kind == "script" else set())
    mine = {k: v for k, v in mine.items() if k not in owned}
    theirs = {
        k: v
        for k, v in remote.items()
        if k not in owned and not (k in DEFAULTED[kind] and k not in mine)
    }
    return mine == theirs


class Applier:
    """Creates or updates one definition at a time through the DataArts calls."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def current(self, item: Definition) -> dict[str, Any] | None:
        """The stored definition of the same name (None when there is none)."""
        if item.kind == "resource":
            _, found = walk(self.client, "/resources", "resources", {"resourceName": item.name})
            return next((r for r in found if r.get("name") == item.name), None)
        try:
            answer: dict[str, Any] = self.client.get(f"/{item.kind}s/{segment(item.name)}")
        except ApiError as exc:
            if exc.code == NOT_FOUND[item.kind]:
                return None
            raise
        return answer

    def apply(self, item: Definition) -> str:
        """Create, update or leave the object; answers which (created/updated/unchanged)."""
        stored = self.current(item)
        if stored is None:
            self.client.call("POST", f"/{item.kind}s", item.document)
            return "created"
        if unchanged(item.kind, item.document, stored):
            return "unchanged"
        key = str(stored.get("id")) if item.kind == "resource" else item.name
        self.client.call("PUT", f"/{item.kind}s/{segment(key)}", item.document)
        return "updated"


def apply_all(
    client: ApiClient, items: Sequence[Definition], report: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """Apply each definition in order; the first refusal stops the run (CommandError naming
    the file, with what was applied before it)."""
    applier = Applier(client)
    done: list[dict[str, Any]] = []
    for item in items:
        try:
            action = applier.apply(item)
        except ApiError as exc:
            raise CommandError(
                f"{item.file}: the server refused {item.kind} '{item.name}': {exc.code} "
                f"{exc.message} Nothing after it was applied ({len(done)} object(s) before it "
                "were); fix the file and apply again.",
                code=exc.code,
                file=item.file,
                applied=done,
            ) from exc
        entry = {"kind": item.kind, "name": item.name, "file": item.file, "action": action}
        done.append(entry)
        report(entry)
    return done


def apply_command(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            help="A definition file, or a folder of them (read recursively).",
            metavar="PATH",
        ),
    ],
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Create or update jobs, scripts and resources from DataArts JSON files (one line an
    object: created, updated or unchanged)."""
    s = session(ctx, json_mode, workspace)
    items = load_definitions(path.expanduser())
    out = s.output

    def report(entry: dict[str, Any]) -> None:
        out.line(f"{entry['action']:<9} {entry['kind']:<8} {entry['name']}  ({entry['file']})")

    done = apply_all(s.client(), items, report)
    counts = {a: sum(1 for d in done if d["action"] == a) for a in ("created", "updated")}
    counts["unchanged"] = len(done) - counts["created"] - counts["updated"]
    out.finish(
        {"objects": done, **counts},
        0,
        f"{counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged in {s.workspace_label()}.",
    )
