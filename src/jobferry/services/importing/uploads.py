"""Import, read: where packages come from: uploads kept for a while, the packages of a
download center (``download://``, another workspace's exports read in place), object storage.

A package is fetched into a local temporary file and read from there (never held in memory).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from jobferry.errors import JobferryError, ObsPathError, ObsReadError, PayloadTooLargeError
from jobferry.package.reader import PackageReader, ReadLimits
from jobferry.services.context import Scope, now_ms
from jobferry.services.downloads import DOWNLOAD_SCHEME, DownloadService
from jobferry.services.support.expiring import remove_expired
from jobferry.services.support.scratch import new_zip
from jobferry.settings import Settings
from jobferry.space import Store, writing
from jobferry.storage import Database, Tx
from jobferry.storage.blobs import BlobStore, parse_obs_path
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing.plans import UploadRecord

UPLOAD_SCHEME = "upload://"
FILE_NAME_LENGTH = 256
"""The longest file name an upload keeps (its record's column holds no more)."""


def upload_name(file_name: str) -> str:
    """What an uploaded package is called: the client's file name without its folders (either
    slash: a browser on Windows may send the whole path), cut to :data:`FILE_NAME_LENGTH`
    characters keeping its extension; ``package.zip`` when it names no file."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    if name in ("", ".", ".."):
        return "package.zip"
    _, dot, suffix = name.rpartition(".")
    kept = f"{dot}{suffix}" if dot and len(suffix) < 16 else ""  # an extension, not a tail
    return name if len(name) <= FILE_NAME_LENGTH else name[: FILE_NAME_LENGTH - len(kept)] + kept


@dataclass(frozen=True)
class KeptUpload:
    """An uploaded package kept for a later import: the ``path`` an import names."""

    path: str
    file_name: str
    size: int
    sha256: str
    expires_at: int


def package_too_large(cap: int) -> PayloadTooLargeError:
    """The refusal of an uploaded package larger than ``cap`` bytes."""
    return PayloadTooLargeError(
        f"The uploaded package is larger than {cap} bytes, the import limit "
        "(JOBFERRY_IMPORT_MAX_PACKAGE_BYTES); split the export or raise that limit.",
        limit=cap,
    )


@dataclass
class PackageSource:
    """Uploads, and the fetch of a package named by an ``upload://`` or ``obs://`` path."""

    db: Database
    uploads: BlobStore
    object_storage: Any
    limits: ReadLimits
    scratch: Path
    ttl_seconds: int
    """How long an upload is kept."""
    downloads: DownloadService
    """The download centers a ``download://`` path names a package of."""

    def upload(self, scope: Scope, stream: IO[bytes], file_name: str) -> KeptUpload:
        """Keep an uploaded package for a later import; answers the path to import. A package
        over the cap, or one a store has no room for, is refused and nothing of it kept."""
        name = upload_name(file_name)
        what = f"the uploaded package '{name}'"
        with writing(Store.SCRATCH, what):
            path = new_zip(self.scratch)
        try:
            with writing(Store.SCRATCH, what):
                size, sha256 = self._receive(stream, path)
            upload_id, now = uuid.uuid4().hex, now_ms()
            with writing(Store.UPLOADS, f"{what} ({size} bytes)"):
                location = self.uploads.put(f"{scope.workspace.id}/{upload_id}.zip", path)
            item = UploadRecord(
                upload_id,
                scope.actor.project_id,
                scope.workspace.id,
                name,
                size,
                sha256,
                self.uploads.kind,
                location,
                scope.actor.name,
                now,
                now + self.ttl_seconds * 1000,
            )
            try:
                with writing(Store.DATABASE, f"the record of {what}"), self.db.transaction() as tx:
                    plan_repo.insert_upload(tx, item)
            except BaseException:  # not recorded: not kept either
                self.uploads.remove(location)
                raise
        finally:
            path.unlink(missing_ok=True)
        return KeptUpload(f"{UPLOAD_SCHEME}{upload_id}", name, size, item.sha256, item.expires_at)

    def _receive(self, stream: IO[bytes], path: Path) -> tuple[int, str]:
        """Copy the upload to ``path``: (size, sha256), refused as soon as it passes the cap."""
        digest, size, cap = hashlib.sha256(), 0, self.limits.max_package_bytes
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > cap:
                    raise package_too_large(cap)
                digest.update(chunk)
                out.write(chunk)
        return size, digest.hexdigest()

    def _upload_of(self, scope: Scope, path: str) -> UploadRecord:
        """The unexpired upload an ``upload://`` path names, or one a task still running
        reads (DLF.0815 otherwise)."""
        with self.db.transaction(readonly=True) as tx:
            key = path[len(UPLOAD_SCHEME) :]
            item = plan_repo.get_upload(tx, scope.workspace.id, key)
            development = scope.workspace.production_of
            if item is None and development is not None:
                # An import as released into a production side reads what was uploaded into
                # its development workspace (where the client sent it).
                item = plan_repo.get_upload(tx, development, key)
            if item is not None and item.expires_at <= now_ms():
                # past its TTL: still read by a task accepted before it (running, or queued)
                item = item if item.id in named_by_running(tx).uploads else None
        if item is None:
            raise ObsReadError(
                f"Fail to read OBS file: no uploaded package '{path}' in workspace "
                f"'{scope.workspace.name}' (uploads expire); upload it again.",
                path=path,
            )
        return item

    def described(self, scope: Scope, path: str) -> tuple[str, int | None]:
        """What to call the package ``path`` names in the audit log, and its size in bytes when
        it is known (an upload's); never refused: a path naming no package is said as it is."""
        try:
            if path.startswith(UPLOAD_SCHEME):
                item = self._upload_of(scope, path)
                return item.file_name, item.size
            return self.title(scope, path), None
        except JobferryError:
            return path, None

    def check_path(self, scope: Scope, path: str) -> None:
        """Refuse at once a path that cannot name a package (the fetch happens in the task)."""
        self.title(scope, path)

    def title(self, scope: Scope, path: str) -> str:
        """What to call the package a path names in task titles: an upload's file name (its
        ``upload://`` id means nothing to a person), a download-center package's file name,
        workspace and time, else the path itself. Refuses a path that
        cannot name a package, as ``check_path`` does."""
        if path.startswith(UPLOAD_SCHEME):
            return self._upload_of(scope, path).file_name
        if path.startswith(DOWNLOAD_SCHEME):
            return self.downloads.exported(scope.actor, path).title
        parse_obs_path(path)
        return path

    def fetch(self, scope: Scope, path: str) -> Path:
        """The package named by ``path`` as a local temporary file to read (caller deletes
        it); an upload or a download-center package in a local package store is not copied,
        only given a second name."""
        target = new_zip(self.scratch)
        try:
            if path.startswith(UPLOAD_SCHEME):
                self.uploads.checkout(self._upload_of(scope, path).location, target)
            elif path.startswith(DOWNLOAD_SCHEME):
                self.downloads.checkout_exported(scope.actor, path, target)
            else:
                bucket, key = parse_obs_path(path)
                if not key or key.endswith("/"):
                    raise ObsPathError(
                        f"OBS path '{path}' names a folder; name the package file, e.g. "
                        f"obs://{bucket}/exports/DLF_job.zip.",
                        path=path,
                    )
                self.object_storage().get_to_file(
                    bucket, key, target, max_bytes=self.limits.max_package_bytes
                )
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    @contextmanager
    def open(
        self, scope: Scope, path: str, helper_from: int | None = None
    ) -> Iterator[PackageReader]:
        """Fetch a package and open it for one streaming read (its files are removed after);
        ``helper_from``: see :class:`PackageReader`."""
        with writing(Store.SCRATCH, f"the package {path} being read, and its index"):
            local = self.fetch(scope, path)
            try:
                with PackageReader(local, self.limits, self.scratch, helper_from) as reader:
                    yield reader
            finally:
                local.unlink(missing_ok=True)

    def sweep(self, now: int) -> int:
        """Delete expired uploads; returns how many went."""
        return remove_expired(
            self.db,
            self.uploads,
            lambda tx: plan_repo.expired_uploads(tx, now, named_by_running(tx).uploads),
            plan_repo.delete_upload,
        )


@dataclass(frozen=True)
class Named:
    """What the tasks still running (queued ones included) name: the uploads they read (ids)
    and the kept plans they apply. The sweep keeps them past their TTL, and such an upload is
    read past it, until the task ends: it was accepted while they were kept."""

    uploads: frozenset[str]
    plans: frozenset[str]


def named_by_running(tx: Tx) -> Named:
    """What the tasks still running name in their requests (a path, a ``planId``)."""
    uploads: set[str] = set()
    plans: set[str] = set()
    for request in plan_repo.running_requests(tx):
        asked = orjson.loads(request)
        path, plan_id = asked.get("path"), asked.get("planId")
        if isinstance(path, str) and path.startswith(UPLOAD_SCHEME):
            uploads.add(path[len(UPLOAD_SCHEME) :])
        if isinstance(plan_id, str):
            plans.add(plan_id)
    return Named(frozenset(uploads), frozenset(plans))


def read_limits(settings: Settings) -> ReadLimits:
    """The reader's limits from the settings (``dataarts`` = DataArts' 10 MB / 10 MB)."""
    if settings.import_limits == "dataarts":
        return ReadLimits.dataarts()
    return ReadLimits(
        max_package_bytes=settings.import_max_package_bytes,
        max_total_bytes=settings.import_max_uncompressed_bytes,
        max_entries=settings.import_max_entries,
        max_ratio=settings.import_max_entry_ratio,
    )
