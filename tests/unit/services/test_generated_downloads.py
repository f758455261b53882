"""Generated stories of the download center and the upload store
(``support/download_stories.py``): exports at once and as tasks (to ``obsPath`` too), uploads
good and broken, reads, deletions and imports of each package (and of what exports put under
``obsPath``) by every role and by the other workspace's users, the held clock past the TTL
(changed meanwhile) and the sweep. After every step, whatever the story, the packages keep
the promises of docs/api.md and docs/operations.md (``support/download_model.py`` says
them):

- each workspace's download center lists its unexpired packages, newest first, ``total`` and
  ``lastGeneratedAt`` right, each with the size and sha256 of its bytes, and only to its admins
  and developers;
- a package is read, deleted or imported (``download://``) exactly when the model says, else
  refused with the documented code; its bytes are its listed size and sha256, which
  ``show_file_info`` answers too;
- an upload is kept whatever its bytes, its answer's size and sha256 true to them, refused
  past the limit; an import reads it (or refuses it) as the model says;
- an expired package is gone from the list, unreadable and unusable at once, and after the
  sweep its file is gone from the store: each store holds exactly the files of the records
  kept (no orphan, no record without its file), and the scratch folder nothing;
- a step taken writes the audit entries docs/operations.md lists: a package generated, read,
  deleted or exported at once (``package.generate``, ``package.download``, ``package.delete``,
  ``package.export``) by its user, with the package's sha256 (and size) true to its bytes;
  uploads, checks and the sweep none;
- a refused step changes nothing: no record, no file, no audit line (but the
  ``import.refused`` docs/operations.md promises).

Each story draws its package store: the local one (folders of the data directory) or the S3
one (``S3BlobStore``, as the server makes it, over an in-memory stand-in of the
``ObjectStorage`` calls it makes; the S3 client's own answers are tested against moto's server
in tests/unit/storage/test_object_blobs.py).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.exporting.options import (
    parse_background_export,
    parse_batch_export,
    parse_export_request,
)
from jobferry.services.exporting.service import ExportOutcome
from jobferry.services.importing.request import parse_import_request
from jobferry.storage import tables
from support.clock import Clock, held_clock
from support.download_model import (
    BUCKET,
    Model,
    Package,
    role_in,
    user_of,
)
from support.download_stories import (
    CAP,
    PREFIX,
    TICK_MS,
    BucketView,
    Cast,
    DownloadStory,
    LocalView,
    MemoryObjectStorage,
    broken_uploads_used,
    cast,
    cast_back,
    cast_storage,
    download_stories,
    expired_meanwhile,
    export_to_a_missing_bucket,
    lost_by_the_store,
    s3_stores,
    seed_package,
    sent_name,
    upload_bytes,
)
from support.import_stories import generated
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(3)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_900_000_000_000
Entry = tuple[str, str, str, dict[str, Any]]
"""An audit entry: actor, action, object name, detail."""


def _digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


class Teller:
    """One story told: the services, its cast, the model, the clock."""

    def __init__(self, services: Services, crew: Cast, clock: Clock, seed: Path, kind: str) -> None:
        self.services, self.crew, self.clock, self.seed = services, crew, clock, seed
        self.model = Model()
        self.storage = cast_back(services.exports.object_storage())
        self.kind = kind
        """The package store: ``local`` or ``s3``."""
        data = services.settings.data_dir
        views: tuple[LocalView | BucketView, ...] = (
            (LocalView(data / "packages"), LocalView(data / "uploads"))
            if kind == "local"
            else (BucketView(self.storage, PREFIX), BucketView(self.storage, f"{PREFIX}uploads/"))
        )
        self.stores = list(zip((tables.downloads, tables.uploads), views, strict=True))
        self.ttl = services.downloads.ttl_seconds
        self.audited: list[Entry] | None = []
        """The audit entries the step taken last must have written (``None``: not checked)."""
        for ws in (0, 1):  # the upload each workspace's jobs were imported from
            with services.db.transaction(readonly=True) as tx:
                rows = tx.conn.execute(
                    sa.select(tables.uploads).where(tables.uploads.c.workspace_id == self.ws_id(ws))
                ).all()
            for row in rows:
                self.model.uploads[row.id] = Package(
                    row.id, ws, row.created_at, row.expires_at, row.size, row.sha256
                )

    def name_of(self, who: str, ws: int) -> str:
        return self.crew.actors[user_of(who, ws)].name

    def ws_id(self, ws: int) -> str:
        return self.crew.scopes[ws].workspace.id

    def attempt(self, who: str, ws: int, call: Callable[[Any], Any]) -> tuple[Any, str | None]:
        """``call`` with who acts as ``who`` in ``ws``: its answer, or the refusal's code."""
        user = user_of(who, ws)
        try:
            return call(self.crew.scope(self.services, user, ws)), None
        except JobferryError as refused:
            return None, refused.code

    # -- the steps ---------------------------------------------------------------------------

    def export(self, ws: int, who: str, how: str, manifest: bool, obs: str | None) -> str | None:
        body: dict[str, Any] = {"withManifest": manifest}
        if obs is not None:
            body["obsPath"] = f"obs://{BUCKET if obs == 'ok' else 'nope'}/exports/"
        exports = self.services.exports
        if how in ("job", "batch"):
            if how == "job":
                answer, code = self.attempt(
                    who, ws, lambda s: exports.export_job(s, "ja", parse_export_request(body))
                )
            else:
                request = parse_batch_export({**body, "jobList": ["ja", "jb"]})
                answer, code = self.attempt(who, ws, lambda s: exports.export_batch(s, request))
            expected = self.model.center_refusal(who, ws) or ("DLF.1242" if obs == "nope" else None)
            assert code == expected, (code, expected)
            if answer is not None:
                self._exported_now(ws, who, answer)
            return code
        names = ["ja"] if how == "names" else []
        body |= {"mode": how, "names": names} if names else {"mode": how}
        prepared, code = self.attempt(
            who, ws, lambda s: exports.prepare(s, parse_background_export(body))
        )
        assert code == self.model.center_refusal(who, ws), code
        if prepared is None:
            return code
        exports.run(prepared)
        task = self.services.tasks.show(self.crew.scopes[ws], prepared.task_id)
        if obs == "nope":
            assert (task.status, task.outcome) == (TaskStatus.FAILED, {}), task.message
            return None
        assert task.status == TaskStatus.SUCCESSFUL, task.message
        result = task.outcome
        made = self.services.downloads.get(self.crew.scopes[ws], result["downloadId"])
        assert (made.size, made.sha256) == (result["size"], result["sha256"])
        if obs == "ok":
            key = result["obs"]["path"].split("/", 3)[3]
            assert _digest(self.storage.objects[(BUCKET, key)]) == (made.size, made.sha256)
            self.model.objects.add(f"{BUCKET}/{key}")
        self.model.downloads[made.id] = Package(
            made.id,
            ws,
            self.clock.now,
            made.expires_at,
            made.size,
            made.sha256,
            name=made.file_name,
        )
        detail = {"downloadId": made.id, "sha256": made.sha256, "size": made.size}
        generated = ("package.generate", made.file_name, {**detail, "taskId": task.id})
        self.audited = [(self.name_of(who, ws), *generated)]
        assert made.expires_at == self.clock.now + self.ttl * 1000
        return None

    def _exported_now(self, ws: int, who: str, answer: ExportOutcome) -> None:
        """An export answered at once: its bytes (or those it put under obsPath) audited."""
        data = answer.data
        if answer.uploaded is not None:
            key = answer.uploaded.path.split("/", 3)[3]
            data = self.storage.objects[(BUCKET, key)]
            self.model.objects.add(f"{BUCKET}/{key}")
            assert _digest(data) == (answer.uploaded.size, answer.uploaded.sha256)
        assert data is not None
        size, sha256 = _digest(data)
        detail = {"sha256": sha256, "size": size}
        self.audited = [(self.name_of(who, ws), "package.export", answer.file_name, detail)]

    def upload(self, ws: int, who: str, kind: str, style: str) -> str | None:
        data, (sent, named) = upload_bytes(kind, self.seed), sent_name(kind, style)
        imports = self.services.imports
        kept, code = self.attempt(who, ws, lambda s: imports.upload(s, io.BytesIO(data), sent))
        assert code == self.model.upload_refusal(who, ws, len(data), CAP), code
        if kept is not None:
            assert (kept.size, kept.sha256, kept.file_name) == (*_digest(data), named)
            assert kept.expires_at == self.clock.now + self.ttl * 1000
            upload_id = kept.path.removeprefix("upload://")
            size, sha = _digest(data)
            readable = kind == "valid"
            self.model.uploads[upload_id] = Package(
                upload_id, ws, self.clock.now, kept.expires_at, size, sha, readable
            )
        return code

    def _pick(self, among: dict[str, Package], pick: int) -> Package | None:
        found = list(among.values())
        return found[pick % len(found)] if found else None

    def read(self, ws: int, who: str, pick: int) -> str | None:
        package = self._pick(self.model.downloads, pick)
        download_id = package.id if package else "0" * 32
        downloads = self.services.downloads

        def both(scope: Any) -> tuple[Any, bytes]:
            shown = downloads.get(scope, download_id)
            opened, chunks = downloads.open(scope, download_id)
            assert opened == shown
            return shown, b"".join(chunks)

        answer, code = self.attempt(who, ws, both)
        now = self.clock.now
        expected = self.model.download_refusal(who, ws, download_id, now, reading=True)
        assert code == expected, (code, expected)
        if answer is not None and package is not None:
            shown, data = answer
            assert _digest(data) == (shown.size, shown.sha256) == (package.size, package.sha256)
            read = {"downloadId": package.id, "sha256": package.sha256}
            self.audited = [(self.name_of(who, ws), "package.download", package.name, read)]
        return code

    def delete(self, ws: int, who: str, pick: int) -> str | None:
        package = self._pick(self.model.downloads, pick)
        download_id = package.id if package else "0" * 32
        downloads = self.services.downloads
        _, code = self.attempt(who, ws, lambda s: downloads.delete(s, download_id))
        assert code == self.model.download_refusal(who, ws, download_id, self.clock.now), code
        if code is None and package is not None:
            package.gone = True
            gone = {"downloadId": package.id}
            self.audited = [(self.name_of(who, ws), "package.delete", package.name, gone)]
        return code

    def _named(self, ws: int, source: str, pick: int) -> tuple[str, str]:
        """A path an import in ``ws`` names: as the model says it, and as the server reads it
        (an upload, a package of either download center, an object an export put under
        obsPath; one that names nothing when the story made none)."""
        if source == "obs":
            keys = sorted(self.storage.objects)
            _, key = keys[pick % len(keys)] if keys else (BUCKET, "exports/none.zip")
            return (f"obs://{BUCKET}/{key}",) * 2
        among = self.model.uploads if source == "upload" else self.model.downloads
        package = self._pick(among, pick)
        if source == "upload":
            return (f"upload://{package.id if package else '0' * 32}",) * 2
        named = package.workspace if package else 1 - ws
        download_id = package.id if package else "0" * 32
        return f"download://{named}/{download_id}", (
            f"download://{self.ws_id(named)}/{download_id}"
        )

    def _digest_of(self, said: str) -> tuple[int, str]:
        """The size and sha256 of the package a path names, as the model says it."""
        scheme, _, rest = said.partition("://")
        if scheme == "obs":
            return _digest(self.storage.objects[(BUCKET, rest.partition("/")[2])])
        among = self.model.uploads if scheme == "upload" else self.model.downloads
        package = among[rest.rpartition("/")[2]]
        return package.size, package.sha256

    def use(self, ws: int, who: str, source: str, pick: int, importing: bool) -> str | None:
        said, path = self._named(ws, source, pick)
        expected = self.model.read_refusal(who, ws, said, self.clock.now)
        imports = self.services.imports
        if not importing:
            contents, code = self.attempt(who, ws, lambda s: imports.check_file(s, path))
            assert code == expected, (code, expected)
            if contents is not None:
                assert (contents.size, contents.sha256) == self._digest_of(said)
            return code
        self.audited = None  # an import's entries are its own (tests/api/test_audit_coverage.py)
        request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
        prepared, code = self.attempt(who, ws, lambda s: imports.prepare(s, request))
        at_once = self.model.read_refusal(who, ws, said, self.clock.now, fetching=False)
        assert code == at_once, (code, at_once)
        if prepared is not None:
            imports.run(prepared)
            task = self.services.tasks.show(self.crew.scopes[ws], prepared.task_id)
            ended = task.status, (task.outcome or {}).get("errorCode")
            failed = (TaskStatus.FAILED, expected)
            assert ended == (failed if expected else (TaskStatus.SUCCESSFUL, None)), task.message
        if code is not None and role_in(who, ws, ws) is not None:
            return "import.refused"  # docs/operations.md: a member's refused import is audited
        return code

    def lose(self, source: str, pick: int) -> None:
        """The store loses the file of a package or upload it keeps (a backup of the store
        copied before the database's)."""
        package = self._pick(
            self.model.uploads if source == "upload" else self.model.downloads, pick
        )
        if package is None or package.gone:
            return
        table, view = self.stores[0 if source == "download" else 1]
        with self.services.db.transaction(readonly=True) as tx:
            location = tx.conn.execute(
                sa.select(table.c.location).where(table.c.id == package.id)
            ).scalar_one()
        if package.id not in self.model.lost():
            view.lose(location)
        package.lost = True

    def sweep(self) -> None:
        self.services.downloads.sweep()
        self.services.imports.sweep()
        self.model.swept(self.clock.now)

    def set_ttl(self, seconds: int) -> None:
        self.ttl = self.services.downloads.ttl_seconds = seconds
        self.services.imports.packages.ttl_seconds = seconds

    # -- the checks --------------------------------------------------------------------------

    def state(self) -> tuple[Any, ...]:
        """The records and files of both workspaces' stores."""
        held = []
        for ws in (0, 1):
            for table, view in self.stores:
                with self.services.db.transaction(readonly=True) as tx:
                    rows = tx.conn.execute(
                        sa.select(table.c.id, table.c.location, table.c.size, table.c.sha256)
                        .where(table.c.workspace_id == self.ws_id(ws))
                        .order_by(table.c.id)
                    ).all()
                held.append((tuple(map(tuple, rows)), sorted(view.held(self.ws_id(ws)))))
        return tuple(held)

    def check(self) -> None:
        """Every promise at the clock's moment."""
        now = self.clock.now
        for ws in (0, 1):
            listed = self.services.downloads.list_downloads(self.crew.scopes[ws])
            assert [d.id for d in listed.downloads] == self.model.listed(ws, now), ws
            assert listed.total == len(listed.downloads)
            newest = listed.downloads[0].created_at if listed.downloads else None
            assert listed.last_generated_at == newest
            for shown in listed.downloads:
                assert shown.store == self.kind
                package = self.model.downloads[shown.id]
                said = (shown.size, shown.sha256, shown.created_at, shown.expires_at)
                assert said == (package.size, package.sha256, package.created, package.expires)
            self._check_stores(ws)
        assert list(self.services.imports.scratch.iterdir()) == []

    def _check_stores(self, ws: int) -> None:
        """Each store holds exactly the files of the records kept, each true to its record,
        and the records are those the model keeps."""
        expected = self.model.stored(ws)
        for (table, view), ids in zip(self.stores, expected, strict=True):
            with self.services.db.transaction(readonly=True) as tx:
                rows = tx.conn.execute(
                    sa.select(table.c.id, table.c.location, table.c.size, table.c.sha256).where(
                        table.c.workspace_id == self.ws_id(ws)
                    )
                ).all()
            assert {r.id for r in rows} == ids, table.name
            files, lost = view.held(self.ws_id(ws)), self.model.lost()
            held = [r for r in rows if r.id not in lost]
            assert sorted(files) == sorted(r.location for r in held), table.name
            for row in held:
                assert _digest(files[row.location]) == (row.size, row.sha256)


def _act(teller: Teller, step: Step) -> str | None:
    """Take ``step``; the refusal's code (``import.refused`` for an import refused at once)."""
    acts: dict[str, Callable[..., str | None]] = {
        "export": teller.export,
        "upload": teller.upload,
        "read": teller.read,
        "delete": teller.delete,
        "use": teller.use,
    }
    if step.act in acts:
        return acts[step.act](*step.args)
    if step.act == "lose":
        teller.lose(*step.args)
    elif step.act == "clock":
        teller.clock.move(step.args[0])
    elif step.act == "ttl":
        teller.set_ttl(step.args[0])
    elif step.act == "sweep":
        teller.sweep()
    return None


def _tell(services: Services, story: DownloadStory, folder: Path) -> None:
    n = next(_SERIAL)
    seed = seed_package(folder)
    exports, imports, downloads = services.exports, services.imports.packages, services.downloads
    kept = (downloads.ttl_seconds, imports.ttl_seconds, imports.limits)
    stores, reaches = (
        (downloads.store, imports.uploads),
        (exports.object_storage, imports.object_storage),
    )
    storage = MemoryObjectStorage()
    try:
        if story.store == "s3":
            downloads.store, imports.uploads = s3_stores(storage)
        exports.object_storage = imports.object_storage = lambda: cast_storage(storage)
        imports.limits = replace(imports.limits, max_package_bytes=CAP)
        with held_clock(START + n * 10**9) as clock:
            crew = cast(services, n, seed)
            teller = Teller(services, crew, clock, seed, story.store)
            teller.set_ttl(story.ttl)
            _told(teller, story)
    finally:
        downloads.ttl_seconds, imports.ttl_seconds, imports.limits = kept
        downloads.store, imports.uploads = stores
        exports.object_storage, imports.object_storage = reaches


def _told(teller: Teller, story: DownloadStory) -> None:
    still = False
    teller.check()
    for step in story.steps:
        teller.clock.move(0 if still else TICK_MS)
        still = step.act == "still"
        before, last = teller.state(), _last_audit(teller.services)
        teller.audited = []
        refused = _act(teller, step)
        event(f"{step.act}: {refused or 'taken'}")
        written = _entries(teller.services, last)
        if refused is not None:
            assert teller.state() == before, step
            audited = [action for _, action, _, _ in written]
            assert audited == (["import.refused"] if refused == "import.refused" else []), step
        elif teller.audited is not None:
            _check_entries(written, teller.audited, step)
        teller.check()
    teller.clock.move(10 * max(story.ttl, teller.ttl) * 1000)
    teller.sweep()
    teller.check()


def _entries(services: Services, last: int) -> list[Entry]:
    """The audit entries written after entry ``last``, oldest first."""
    log = tables.audit_log.c
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(log.actor, log.action, log.object_name, log.detail)
            .where(log.id > last)
            .order_by(log.id)
        ).all()
    return [(r.actor, r.action, r.object_name, json.loads(r.detail or "{}")) for r in rows]


def _check_entries(written: list[Entry], expected: list[Entry], step: Step) -> None:
    """The entries a step wrote are those expected, each detail holding what is expected of
    it (docs/api.md: package generation, downloads and exports with their sha256)."""
    assert [e[:3] for e in written] == [e[:3] for e in expected], step
    for (*_, detail), (*_, asked) in zip(written, expected, strict=True):
        assert detail == {**detail, **asked}, step


def _last_audit(services: Services) -> int:
    with services.db.transaction(readonly=True) as tx:
        return int(tx.conn.execute(sa.select(sa.func.max(tables.audit_log.c.id))).scalar() or 0)


@GENERATED
@given(story=download_stories())
@example(story=expired_meanwhile())
@example(story=export_to_a_missing_bucket())
@example(story=broken_uploads_used())
@example(story=lost_by_the_store())
@example(story=lost_by_the_store("s3"))
def test_download_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, story: DownloadStory
) -> None:
    note(repr(story))
    event(f"store: {story.store}")
    _tell(services, story, tmp_path)
