"""Generated round trips for property tests of export and import together
(``tests/unit/services/exporting/test_generated_round_trips.py``): a source workspace built from
drawn definitions (scripts, resources, jobs using them and depending on each other, in
folders, with cron schedules in several time zones, submitted or not, changed since, started
or not), a drawn export of it (a job, a batch, a name list or the workspace; with or without
what the jobs use and the jobs they depend on; development state or submitted versions),
the package carried as a file alone, and the import of that file into another workspace with
drawn options (policy, drift, target status, a time-zone move, a profile).

What the package must hold is computed here from the source's definitions, never from the
export's code: the selected jobs (and, with ``withUpstream``, every job they depend on), in
the state asked; with ``exportDepend`` the scripts and resources those definitions name (a
workspace export: every one the workspace holds).
"""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import note
from hypothesis import strategies as st

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest, parse_background_export
from jobferry.services.workspaces.keys import KeyToTrust
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.builders import editable
from support.import_stories import definition, job_document

JOBS = ("ja", "jb", "jc", "jd")
SCRIPTS = ("sa", "sb", "sc")
RESOURCES = ("ra", "rb")
ZONES = ("GMT+08:00", "UTC", "GMT-05:00", "Asia/Kolkata", "Asia/Tokyo")
"""Zones without daylight saving: a keepInstant move keeps every firing instant."""
EXPRESSIONS = ("0 30 2 * * ?", "0 0 */6 * * ?", "0 15 23 ? * MON-FRI")
STATES = ("saved", "submitted", "submitted", "changed")
"""A job's state in the source: development only, submitted, or submitted then saved again
with another look (its development state differs from its submitted version)."""
MODES = ("single", "batch", "names", "workspace", "workspace")
GONE = ("jx", "jy")
"""Jobs the source holds only until after the first carry."""
Key = tuple[str, str]
"""(kind, name) of a definition."""


@dataclass(frozen=True)
class SourceJob:
    """One job of the source: what its submitted version and its development state run."""

    name: str
    submitted: dict[str, Any] | None
    """The definition submitted (``None``: never submitted)."""
    developed: dict[str, Any]
    """The development state (the submitted definition, or one saved after it)."""
    started: bool


@dataclass(frozen=True)
class Trip:
    """A drawn round trip: the source's definitions, the export asked, the import asked."""

    scripts: tuple[tuple[str, dict[str, Any]], ...]
    resources: tuple[tuple[str, dict[str, Any]], ...]
    jobs: tuple[SourceJob, ...]
    mode: str
    chosen: tuple[str, ...]
    export: dict[str, Any]
    """The export's options as the wire names them."""
    signed: bool
    """The source workspace has a signing key."""
    options: dict[str, Any]
    """The import's options as the wire names them."""
    strict: bool = False
    """The target requires signed packages (and trusts the source's key, when it has one)."""
    scripts_submitted: tuple[tuple[str, dict[str, Any] | None], ...] = ()
    """Scripts whose submitted version is not their development state: the version
    (``None``: never submitted)."""

    def __repr__(self) -> str:
        jobs = " ".join(
            f"{j.name}({'v' if j.submitted else '-'}{'*' if j.developed != j.submitted else ''}"
            f"{'!' if j.started else ''}<-{upstream_of(j.developed)}"
            f"{'/' + ','.join(upstream_of(j.submitted)) if j.submitted else ''})"
            for j in self.jobs
        )
        return (
            f"Trip(scripts={[n for n, _ in self.scripts]}, "
            f"scripts_submitted={[(n, d and d['content']) for n, d in self.scripts_submitted]}, "
            f"resources="
            f"{[n for n, _ in self.resources]}, jobs=[{jobs}], mode={self.mode}, "
            f"chosen={self.chosen}, export={self.export}, signed={self.signed}, "
            f"strict={self.strict}, "
            f"options={self.options})"
        )

    @property
    def submitted(self) -> bool:
        return self.export.get("exportStatus") == "SUBMIT"

    def exported_jobs(self) -> dict[str, dict[str, Any]] | None:
        """Name → definition of every job the package must hold; ``None``: the export must
        be refused (submitted versions asked of a job never submitted)."""
        by_name = {j.name: j for j in self.jobs}
        chosen = list(self.chosen if self.mode != "workspace" else by_name)
        out: dict[str, dict[str, Any]] = {}
        while chosen:
            name = chosen.pop()
            if name in out or name not in by_name:
                continue
            job = by_name[name]
            doc = job.submitted if self.submitted else job.developed
            if doc is None:
                return None
            out[name] = doc
            if self.export.get("withUpstream"):
                chosen += upstream_of(doc)
        return out

    def expected(self) -> dict[Key, dict[str, Any]] | None:
        """(kind, name) → definition of everything the package must hold (``None``: refused)."""
        jobs = self.exported_jobs()
        if jobs is None:
            return None
        out: dict[Key, dict[str, Any]] = {("job", n): d for n, d in jobs.items()}
        if not self.export.get("exportDepend", True):
            return out
        scripts, resources = dict(self.scripts), dict(self.resources)
        if self.submitted:  # a script's submitted version, its development state without one
            scripts.update((n, d) for n, d in self.scripts_submitted if d is not None)
        if self.mode == "workspace":
            used = {("script", n) for n in scripts} | {("resource", n) for n in resources}
        else:
            used = {ref for doc in jobs.values() for ref in uses(doc)}
        for kind, name in used:
            held = (scripts if kind == "script" else resources).get(name)
            if held is not None:
                out[(kind, name)] = held
        return out


def upstream_of(doc: dict[str, Any] | None) -> list[str]:
    """The jobs a job definition depends on (its cron schedule's dependJobs)."""
    if doc is None:
        return []
    depend = doc["schedule"].get("cron", {}).get("dependJobs") or {}
    return list(depend.get("jobs", []))


def uses(doc: dict[str, Any]) -> set[Key]:
    """The scripts and resources a job definition names."""
    found: set[Key] = set()
    for node in doc["nodes"]:
        for prop in node["properties"]:
            kind = {"scriptName": "script", "resourceName": "resource"}.get(prop["name"])
            if kind is not None:
                found.add((kind, prop["value"]))
    return found


@st.composite
def look_of(
    draw: st.DrawFn, name: str, scripts: list[str], resources: list[str], uppers: list[str]
) -> dict[str, Any]:
    """A job definition: its script, maybe a resource, jobs it depends on, a zone and cron."""
    script = draw(st.sampled_from(scripts))
    resource = draw(st.none() | st.sampled_from(resources)) if resources else None
    upstream = sorted(draw(st.sets(st.sampled_from(uppers), max_size=2))) if uppers else []
    doc = job_document(name, script, resource, upstream, draw(st.integers(0, 5)))
    cron = doc["schedule"]["cron"]
    cron["expressionTimeZone"] = draw(st.sampled_from(ZONES))
    cron["expression"] = draw(st.sampled_from(EXPRESSIONS))
    return doc


@st.composite
def source_jobs(draw: st.DrawFn, scripts: list[str], resources: list[str]) -> list[SourceJob]:
    """One to four jobs, each depending only on jobs made before it."""
    names = draw(st.lists(st.sampled_from(JOBS), min_size=1, max_size=4, unique=True))
    jobs: list[SourceJob] = []
    for i, name in enumerate(names):
        uppers = names[:i]
        first = draw(look_of(name, scripts, resources, uppers))
        state = draw(st.sampled_from(STATES))
        developed = first
        if state == "changed":
            developed = draw(look_of(name, scripts, resources, uppers))
        submitted = None if state == "saved" else first
        started = submitted is not None and draw(st.booleans())
        jobs.append(SourceJob(name, submitted, developed, started))
    return jobs


@st.composite
def trips(draw: st.DrawFn) -> Trip:
    """A whole round trip: the source, the export and the import asked."""
    scripts = draw(st.lists(st.sampled_from(SCRIPTS), min_size=1, max_size=3, unique=True))
    resources = draw(st.lists(st.sampled_from(RESOURCES), max_size=2, unique=True))
    jobs = draw(source_jobs(scripts, resources))
    names = [j.name for j in jobs]
    mode = draw(st.sampled_from(MODES))
    if mode == "single":
        chosen: tuple[str, ...] = (draw(st.sampled_from(names)),)
    elif mode == "workspace":
        chosen = ()
    else:
        chosen = tuple(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))
    export = {
        "exportDepend": draw(st.sampled_from([True, True, False])),
        "exportStatus": draw(st.sampled_from(["DEVELOP", "SUBMIT"])),
        "withUpstream": draw(st.booleans()) if mode != "workspace" else False,
    }
    zone = draw(st.none() | st.sampled_from(ZONES))
    options: dict[str, Any] = {
        "sameNamePolicy": draw(st.sampled_from(["AUTO", "OVERWRITE", "SKIP"])),
        "targetStatus": draw(st.sampled_from(["SUBMITTED", "SAVED"])),
    }
    if zone is not None:
        mode_name = draw(st.sampled_from(["keepWallClock", "keepInstant"]))
        options["timeZone"] = {"zone": zone, "mode": mode_name}
    if draw(st.booleans()):
        options["profile"] = {
            "directory": {"from": "/ops", "to": "/prod"},
            "params": {"bizdate": "prod"},
        }
    looks = {n: draw(st.integers(0, 3)) for n in scripts}
    return Trip(
        scripts=tuple((n, definition("script", n, look)) for n, look in looks.items()),
        scripts_submitted=tuple(
            (n, None if then is None else definition("script", n, then))
            for n, then in draw(script_versions(looks)).items()
        ),
        resources=tuple((n, definition("resource", n, draw(st.integers(0, 3)))) for n in resources),
        jobs=tuple(jobs),
        mode=mode,
        chosen=chosen,
        export=export,
        signed=draw(st.booleans()),
        options=options,
        strict=draw(st.booleans()),
    )


@st.composite
def script_versions(draw: st.DrawFn, looks: dict[str, int]) -> dict[str, int | None]:
    """Scripts saved since their submitted version (its look), or never submitted (None)."""
    out: dict[str, int | None] = {}
    for name, look in looks.items():
        state = draw(st.sampled_from(STATES))
        if state == "saved":
            out[name] = None
        elif state == "changed":
            out[name] = (look + 1) % 4
    return out


def build_source(services: Services, scope: Scope, trip: Trip) -> None:
    """The trip's source definitions made in the scope's workspace through the services."""
    versions = dict(trip.scripts_submitted)
    for name, doc in trip.scripts:
        if name not in versions:
            services.scripts.create(scope, copy.deepcopy(doc))
            continue
        then = versions[name]
        if then is not None:
            services.scripts.create(scope, copy.deepcopy(then))
            services.scripts.update(scope, name, {**copy.deepcopy(doc), "targetStatus": "SAVED"})
        else:
            services.scripts.create(scope, {**copy.deepcopy(doc), "targetStatus": "SAVED"})
    for _, doc in trip.resources:
        services.resources.create(scope, copy.deepcopy(doc))
    for job in trip.jobs:
        status = "SAVED" if job.submitted is None else "SUBMITTED"
        services.jobs.create(
            scope, {**copy.deepcopy(job.submitted or job.developed), "targetStatus": status}
        )
        if job.submitted is not None and job.developed != job.submitted:
            body = {**copy.deepcopy(job.developed), "targetStatus": "SAVED"}
            services.jobs.update(scope, job.name, body)
        if job.started:
            services.jobs.start(scope, job.name)
    if trip.signed:
        services.keys.create_signing_key(scope)


def export_file(
    services: Services, scope: Scope, trip: Trip, path: Path, *, check: bool = True
) -> Path | None:
    """The trip's export written to ``path`` (``None``: the export was refused, as
    :meth:`Trip.expected` says it must be, when ``check``; any other refusal fails)."""
    body = {**trip.export, "withManifest": True}
    try:
        if trip.mode in ("single", "batch"):
            request = ExportRequest(
                export_depend=body.get("exportDepend", True),
                submitted=body.get("exportStatus") == "SUBMIT",
                with_upstream=body.get("withUpstream", False),
                with_manifest=True,
                names=trip.chosen,
                deletions_for=body.get("deletionsFor"),
            )
            if trip.mode == "single":
                outcome = services.exports.export_job(scope, trip.chosen[0], request)
            else:
                outcome = services.exports.export_batch(scope, request)
            assert outcome.data is not None
            path.write_bytes(outcome.data)
            return path
        asked = {"mode": trip.mode, **body}
        if trip.mode == "names":
            asked["names"] = list(trip.chosen)
        prepared = services.exports.prepare(scope, parse_background_export(asked))
    except JobferryError:
        assert not check or trip.expected() is None, trip
        return None
    services.exports.run(prepared)
    task = services.tasks.show(scope, prepared.task_id)
    if check and trip.expected() is None:
        assert task.status is TaskStatus.FAILED, task.message
        return None
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    _, chunks = services.downloads.open(scope, task.outcome["downloadId"])
    path.write_bytes(b"".join(chunks))
    return path


def held_in(package: Path) -> dict[Key, dict[str, Any]]:
    """(kind, name) → definition of every object a package file holds (each once: a batch
    package repeats a shared script in every job's folder, alike)."""
    out: dict[Key, dict[str, Any]] = {}
    for obj in read_package(package).objects:
        key = (str(obj.kind), obj.name)
        assert out.get(key, obj.document) == obj.document, key
        out[key] = dict(obj.document)
    return out


def moved(doc: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """What the import's documented rewrites make of a definition: the profile's folder and
    parameter values, and a keepWallClock move's zone (a keepInstant move is checked by its
    firings, :func:`firings`)."""
    out = copy.deepcopy(doc)
    profile = options.get("profile")
    if profile is not None:
        old, new = profile["directory"]["from"], profile["directory"]["to"]
        folder = out.get("directory")
        if isinstance(folder, str) and (folder == old or folder.startswith(old + "/")):
            out["directory"] = new + folder[len(old) :]
        for param in out.get("params") or []:
            if param.get("name") in profile["params"]:
                param["value"] = profile["params"][param["name"]]
    move = options.get("timeZone")
    if move is not None and "schedule" in out and move["mode"] == "keepWallClock":
        out["schedule"]["cron"]["expressionTimeZone"] = move["zone"]
    return out


def without_schedule(doc: dict[str, Any]) -> dict[str, Any]:
    """A job definition but its cron's expression, zone and start (what keepInstant moves)."""
    out = copy.deepcopy(doc)
    cron = out.get("schedule", {}).get("cron")
    if cron is not None:
        for key in ("expression", "expressionTimeZone", "startTime", "endTime"):
            cron.pop(key, None)
    return out


def firings(doc: dict[str, Any], count: int = 6) -> list[datetime]:
    """The next firing instants of a job's cron schedule after the start of 2027 (UTC)."""
    from jobferry.domain.schedule import next_firings

    cron = doc["schedule"]["cron"]
    start = datetime(2027, 1, 1, tzinfo=UTC)
    found = next_firings(cron["expression"], cron["expressionTimeZone"], start, count)
    return [moment.astimezone(UTC) for moment in found]


ALTERATIONS = ("flip", "drop", "manifest")
"""How a package is altered in carriage: a byte of an entry inverted, an entry removed, the
manifest changed (refused by its signature; an unsigned package's byte is inverted instead)."""


def alter(data: bytes, trip: Trip, tamper: tuple[str, int, int]) -> bytes:
    """The package altered in carriage: ``tamper`` is how, which entry (modulo their count)
    and which byte of it."""
    how, which, at = tamper
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [
            i.filename
            for i in zf.infolist()
            if i.filename.endswith((".job", ".script", ".resource"))
        ]
    if how == "manifest" and trip.signed:
        return rewritten(data, change="manifest.json")
    entry = names[which % len(names)]
    note(f"altered: {how} {entry}")
    if how == "drop":
        return rewritten(data, drop=entry)
    return flipped(data, entry, at)


def rewritten(data: bytes, drop: str | None = None, change: str | None = None) -> bytes:
    """A package's zip written again entry by entry, ``drop`` left out, ``change``'s bytes
    altered (a space added after its JSON): a package altered in carriage."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename == drop:
                continue
            body = src.read(info)
            if info.filename == change:
                body += b" "
            dst.writestr(info, body, compress_type=info.compress_type)
    return out.getvalue()


def flipped(data: bytes, entry: str, at: int) -> bytes:
    """A package with one byte of ``entry``'s compressed data inverted (``at``: which, modulo
    the data's length less its last byte, whose spare bits a deflate stream may not use)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(entry)
    header = data[info.header_offset : info.header_offset + 30]
    name_len = int.from_bytes(header[26:28], "little")
    extra_len = int.from_bytes(header[28:30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    span = max(info.compress_size - 1, 1)
    where = start + at % span
    return data[:where] + bytes([data[where] ^ 0xFF]) + data[where + 1 :]


@dataclass(frozen=True)
class Prior:
    """What the target held before the trip's import: the source's whole workspace carried
    once before (its jobs then as ``earlier`` says), then changed by hand in the target."""

    carried: tuple[str, ...]
    """The jobs the first carry named (with the jobs they depended on and what they used)."""
    earlier: tuple[tuple[str, dict[str, Any]], ...]
    """Jobs the source submitted in another look before that first carry."""
    edited: tuple[str, ...]
    """Jobs the target edits after the first carry (drift)."""
    touched: tuple[str, ...]
    """Scripts the target edits after the first carry."""
    started: tuple[str, ...]
    """Jobs the target starts after the first carry."""
    options: dict[str, Any]
    """The trip's import options the second import adds (onDrift, scheduling,
    propagateDeletes)."""
    gone: tuple[str, ...] = ()
    """Jobs of the source carried the first time, deleted in the source since."""
    label: bool = False
    """Both exports carry the deletions since the last export for the target (``deletionsFor``)."""

    def __repr__(self) -> str:
        return (
            f"Prior(gone={self.gone}, label={self.label}, carried={self.carried}, "
            f"earlier={[n for n, _ in self.earlier]}, "
            f"edited={self.edited}, touched={self.touched}, started={self.started}, "
            f"options={self.options})"
        )


@st.composite
def priors(draw: st.DrawFn, trip: Trip) -> Prior:
    """A target that holds the source as it was carried once before, changed by hand."""
    scripts = [n for n, _ in trip.scripts]
    resources = [n for n, _ in trip.resources]
    names = [j.name for j in trip.jobs]
    submitted = [j.name for j in trip.jobs if j.submitted is not None]
    earlier = []
    for name in draw(st.lists(st.sampled_from(submitted), unique=True)) if submitted else []:
        uppers = names[: names.index(name)]
        earlier.append((name, draw(look_of(name, scripts, resources, uppers))))
    return Prior(
        carried=tuple(draw(st.lists(st.sampled_from(names), min_size=1, unique=True))),
        earlier=tuple(earlier),
        edited=tuple(sorted(draw(st.sets(st.sampled_from(names), max_size=2)))),
        touched=tuple(sorted(draw(st.sets(st.sampled_from(scripts), max_size=1)))),
        started=tuple(sorted(draw(st.sets(st.sampled_from(names), max_size=2)))),
        options={
            "onDrift": draw(st.sampled_from(["FAIL", "KEEP_TARGET", "TAKE_PACKAGE"])),
            "scheduling": draw(st.sampled_from(["REFUSE", "PAUSE_AND_RESTORE"])),
            "propagateDeletes": draw(st.booleans()),
        },
        gone=tuple(draw(st.lists(st.sampled_from(GONE), unique=True))),
        label=draw(st.booleans()),
    )


def build_earlier(services: Services, scope: Scope, trip: Trip, prior: Prior) -> None:
    """The source as it was before: the prior's jobs in their earlier look, submitted."""
    earlier = dict(prior.earlier)
    then = tuple(
        SourceJob(j.name, earlier[j.name], earlier[j.name], False) if j.name in earlier else j
        for j in trip.jobs
    )
    build_source(services, scope, Trip(**{**trip.__dict__, "jobs": then, "signed": False}))
    script = trip.scripts[0][0]
    for name in prior.gone:
        services.jobs.create(scope, job_document(name, script, None, [], 0))


def bring_up_to_date(services: Services, scope: Scope, trip: Trip, prior: Prior) -> None:
    """The source's jobs the prior held in another look, as the trip has them now; the
    jobs gone since, deleted."""
    for name in prior.gone:
        services.jobs.delete(scope, name)
    for job in trip.jobs:
        if job.name not in dict(prior.earlier) or job.submitted is None:
            continue
        services.jobs.update(scope, job.name, copy.deepcopy(job.submitted))
        if job.developed != job.submitted:
            body = {**copy.deepcopy(job.developed), "targetStatus": "SAVED"}
            services.jobs.update(scope, job.name, body)
    if trip.signed:
        services.keys.create_signing_key(scope)


def act_in_target(services: Services, scope: Scope, prior: Prior, held: set[Key]) -> None:
    """The target's hand edits after the first carry, of what it ``held`` of them."""
    for name in (n for n in prior.edited if ("job", n) in held):
        body = editable(services.jobs.show(scope, name).document)
        services.jobs.update(scope, name, {**body, "description": "edited in the target"})
    for name in (n for n in prior.touched if ("script", n) in held):
        doc = dict(services.scripts.show(scope, name).document)
        services.scripts.update(scope, name, {**doc, "content": "select 0;"})
    for name in (n for n in prior.started if ("job", n) in held):
        services.jobs.start(scope, name)


@st.composite
def carried_twice(draw: st.DrawFn) -> tuple[Trip, Prior]:
    """A trip, and what the target held of its source before it."""
    trip = draw(trips())
    return trip, draw(priors(trip))


def upstream_of_a_version() -> Trip:
    """The trip that found exports of submitted versions following the development state's
    dependJobs: jb's submitted version depends on ja, its development state on nothing; jb
    exported alone, submitted, with its upstream, must bring ja."""
    sa = definition("script", "sa", 0)
    ja = job_document("ja", "sa", None, [], 0)
    submitted = job_document("jb", "sa", None, ["ja"], 1)
    developed = job_document("jb", "sa", None, [], 2)
    return Trip(
        scripts=(("sa", sa),),
        resources=(),
        jobs=(SourceJob("ja", ja, ja, False), SourceJob("jb", submitted, developed, False)),
        mode="single",
        chosen=("jb",),
        export={"exportDepend": True, "exportStatus": "SUBMIT", "withUpstream": True},
        signed=False,
        options={"sameNamePolicy": "AUTO", "targetStatus": "SUBMITTED"},
    )


def older(trip: Trip, prior: Prior) -> set[Key]:
    """What a package of submitted versions holds older than the first carry held it (its
    development state then, saved after the version): an import judges it an older package's
    (``older_package``; docs/design.md, "An older package of the same source")."""
    if not trip.submitted:
        return set()
    earlier = dict(prior.earlier)
    found = {
        ("job", j.name)
        for j in trip.jobs
        if j.name not in earlier and j.submitted is not None and j.submitted != j.developed
    }
    developed = dict(trip.scripts)
    found |= {
        ("script", n) for n, d in trip.scripts_submitted if d is not None and d != developed[n]
    }
    return found


def strict_target(services: Services, source: Scope, target: Scope) -> Scope:
    """The target requiring signed packages, trusting the source's signing key if it has
    one; its scope read again."""
    actor = target.actor
    settings = WorkspaceSettings(require_signed=True)
    services.accounts.update_workspace(actor, actor.project_id, target.workspace.id, settings)
    try:
        key = services.keys.signing_key(source)
    except JobferryError:
        pass
    else:
        services.keys.trust(target, KeyToTrust("source", key.public_key))
    return services.accounts.scope(actor, actor.project_id, target.workspace.id)
