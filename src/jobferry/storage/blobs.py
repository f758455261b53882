"""Blob stores for packages: a local folder, or an S3-compatible bucket (OBS speaks S3).

``obs://bucket/key`` and ``s3://bucket/key`` both name objects in the configured S3 endpoint.
boto3 is an optional extra; without it object storage answers a clear error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

from jobferry.errors import (
    ObjectStoreUnavailableError,
    ObsBucketNotFoundError,
    ObsPathError,
    ObsReadError,
)
from jobferry.extras import S3, needs_extra

SCHEMES = ("obs://", "s3://")
CHUNK = 1 << 20


def parse_obs_path(path: str) -> tuple[str, str]:
    """Split ``obs://bucket/key`` into (bucket, key); the key may be empty or end in '/'."""
    scheme = next((s for s in SCHEMES if path.startswith(s)), None)
    rest = path[len(scheme) :] if scheme else ""
    bucket, _, key = rest.partition("/")
    if not scheme or not bucket or ".." in key.split("/"):
        raise ObsPathError(
            f"OBS path '{path}' is invalid; write it as obs://bucket/folder/ or "
            "obs://bucket/folder/file.zip.",
            path=path,
        )
    return bucket, key


@dataclass(frozen=True)
class S3Config:
    """How to reach the S3-compatible object storage, and how long to wait for it."""

    endpoint_url: str | None
    region: str
    access_key_id: str | None
    secret_access_key: str | None
    connect_timeout: float = 5
    read_timeout: float = 20
    max_attempts: int = 2
    """Attempts of one call, the first included (botocore's ``standard`` retries)."""

    @property
    def endpoint(self) -> str:
        """The endpoint as a message names it."""
        return self.endpoint_url or "AWS S3 (JOBFERRY_S3_ENDPOINT_URL unset)"


def package_gone(store: str) -> ObsReadError:
    """The refusal of a package ``store`` (how refusals name it) lists but no longer holds (a
    backup of the store copied before the database's)."""
    return ObsReadError(
        f"{store[:1].upper()}{store[1:]} no longer holds this package.",
        fix="Export or upload it again.",
    )


RETRY_AFTER_SECONDS = 60
"""What a refusal for an object storage that did not answer asks a client to wait."""
_SERVER_SIDE = ("InvalidAccessKeyId", "SignatureDoesNotMatch")
"""S3 codes that refuse the server's own credentials, whatever object was asked for."""


def _client(config: S3Config, attempts: int) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # tests/test_install.py hides boto3
        raise ObsPathError(needs_extra("Object storage (obs:// paths)", S3)) from exc
    return boto3.client(
        "s3",
        endpoint_url=config.endpoint_url,
        region_name=config.region,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
        config=Config(
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            retries={"total_max_attempts": attempts, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )


def _unanswered(exc: Exception) -> str | None:
    """What went wrong when ``exc`` is the object storage's side failing (no connection, no
    answer in time, a 5xx, credentials it refuses), else ``None``."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, BotoCoreError):
        return str(exc)
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if status >= 500 or code in _SERVER_SIDE:
            said = " ".join(dict.fromkeys(str(p) for p in (code, error.get("Message")) if p))
            return f"HTTP {status} {said.removeprefix(str(status))}".strip()
    return None


def _no_credentials(exc: Exception) -> bool:
    """Whether ``exc`` says the server has no (or half its) credentials for the object storage:
    its configuration, which no wait mends."""
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    return isinstance(exc, NoCredentialsError | PartialCredentialsError)


class ObjectStorage:
    """A thin client of the S3 API that translates its failures into jobferry errors."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._client: Any = _client(config, config.max_attempts)

    def unavailable(self, detail: str, what: str) -> ObjectStoreUnavailableError:
        """The refusal for ``what`` (an ``obs://`` path, the package store) when the object
        storage did not serve it: a 503 that names the endpoint's setting and says to retry."""
        return ObjectStoreUnavailableError(
            f"The object storage at {self.config.endpoint} did not serve {what}: {detail}.",
            fix="Retry in a minute; if it goes on failing, the server's operator checks that "
            "JOBFERRY_S3_ENDPOINT_URL reaches the store and that the JOBFERRY_S3_ACCESS_KEY_ID "
            "credentials are accepted there.",
            setting="JOBFERRY_S3_ENDPOINT_URL",
            endpoint=self.config.endpoint_url,
            retry_after=RETRY_AFTER_SECONDS,
        )

    def unconfigured(self, what: str) -> ObjectStoreUnavailableError:
        """The refusal for ``what`` when the server has no credentials for the object storage
        at all: waiting mends nothing, so no ``Retry-After``; the operator sets them."""
        return ObjectStoreUnavailableError(
            f"The object storage at {self.config.endpoint} was not asked for {what}: this "
            "server has no credentials for it.",
            fix="The server's operator sets JOBFERRY_S3_ACCESS_KEY_ID and "
            "JOBFERRY_S3_SECRET_ACCESS_KEY (and JOBFERRY_S3_ENDPOINT_URL for OBS) and starts "
            "the server again.",
            setting="JOBFERRY_S3_ACCESS_KEY_ID",
            endpoint=self.config.endpoint_url,
        )

    def _translate(
        self, exc: Exception, bucket: str, key: str, writing: bool, store: str | None = None
    ) -> Exception:
        """``exc`` as jobferry's refusal; ``store``: how to name the package store whose
        object this is (its keys are the server's own, never a path a client gave)."""
        from botocore.exceptions import ClientError

        where = f"obs://{bucket}/{key}"
        if _no_credentials(exc):
            return self.unconfigured(store or f"'{where}'")
        detail = _unanswered(exc)
        if detail is not None:
            return self.unavailable(detail, store or f"'{where}'")
        if not isinstance(exc, ClientError):
            return exc
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = exc.response.get("Error", {}).get("Message", code)
        if store is not None:
            return self._store_refusal(code, message, bucket, key, store)
        if code == "NoSuchBucket" or (code in ("404", "NotFound") and not key):
            return ObsBucketNotFoundError(
                f"OBS bucket '{bucket}' does not exist; create it or correct the path.",
                path=where,
            )
        if code in ("NoSuchKey", "404"):
            return ObsReadError(f"Fail to read OBS file: '{where}' does not exist.", path=where)
        if writing:
            return ObsPathError(f"Cannot write '{where}': {message}.", path=where)
        return ObsReadError(f"Fail to read OBS file '{where}': {message}.", path=where)

    def _store_refusal(
        self, code: str, message: str, bucket: str, key: str, store: str
    ) -> Exception:
        """The package store's object storage refusing a call: a stored package gone, or the
        server's own configuration refused (a 503 naming the setting, no retry asked)."""
        if key and code in ("NoSuchKey", "404", "NotFound"):
            return package_gone(store)
        if code in ("NoSuchBucket", "404", "NotFound"):
            return ObjectStoreUnavailableError(
                f"The object storage at {self.config.endpoint} has no bucket '{bucket}': "
                f"{store} is to be kept there, and the bucket does not exist.",
                fix=f"The server's operator creates bucket '{bucket}' there, or sets "
                "JOBFERRY_S3_BUCKET to a bucket that exists.",
                setting="JOBFERRY_S3_BUCKET",
                endpoint=self.config.endpoint_url,
                missing="bucket",
            )
        named = "" if f"'{bucket}'" in store else f" (bucket '{bucket}')"
        return ObjectStoreUnavailableError(
            f"The object storage at {self.config.endpoint} refused {store}{named}: "
            f"{code} {message}.",
            fix="The server's operator checks JOBFERRY_S3_BUCKET (the bucket must exist) and the "
            "JOBFERRY_S3_ACCESS_KEY_ID credentials.",
            setting="JOBFERRY_S3_BUCKET",
            endpoint=self.config.endpoint_url,
        )

    def probe(self, bucket: str, store: str | None = None, seconds: float | None = None) -> None:
        """Check once (no retries) that ``bucket`` answers with the configured credentials;
        ``seconds``: wait at most that long to connect, and as long for the answer."""
        config = self.config
        if seconds is not None:
            config = replace(
                config,
                connect_timeout=min(seconds, config.connect_timeout),
                read_timeout=min(seconds, config.read_timeout),
            )
        try:
            _client(config, 1).head_bucket(Bucket=bucket)
        except Exception as exc:
            raise self._translate(exc, bucket, "", False, store) from exc

    def put_file(self, bucket: str, key: str, source: Path, store: str | None = None) -> None:
        """Upload a local file (``store``: see :meth:`_translate`)."""
        self._require_bucket(bucket, store)
        try:
            with source.open("rb") as fh:
                self._client.put_object(Bucket=bucket, Key=key, Body=fh)
        except Exception as exc:
            raise self._translate(exc, bucket, key, True, store) from exc

    def _require_bucket(self, bucket: str, store: str | None = None) -> None:
        try:
            self._client.head_bucket(Bucket=bucket)
        except Exception as exc:
            raise self._translate(exc, bucket, "", False, store) from exc

    def get_to_file(
        self, bucket: str, key: str, target: Path, max_bytes: int, store: str | None = None
    ) -> int:
        """Download an object to a local file, refusing more than ``max_bytes``."""
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
            size = int(head.get("ContentLength", 0))
            if size > max_bytes:
                raise ObsReadError(
                    f"obs://{bucket}/{key} is {size} bytes, over the limit of {max_bytes}.",
                    path=f"obs://{bucket}/{key}",
                )
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
            with target.open("wb") as fh:
                shutil.copyfileobj(body, fh)
            return size
        except ObsReadError:
            raise
        except Exception as exc:
            translated = self._translate(exc, bucket, key, False, store)
            if not isinstance(translated, ObjectStoreUnavailableError):
                self._require_bucket(bucket, store)  # a missing bucket said as such
            raise translated from exc

    def read(self, bucket: str, key: str, store: str | None = None) -> Iterator[bytes]:
        """An object's bytes in chunks, as they arrive (the object is found before the first)."""
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as exc:
            raise self._translate(exc, bucket, key, False, store) from exc
        return _chunks(body)

    def delete(self, bucket: str, key: str, store: str | None = None) -> None:
        """Remove an object (missing is fine)."""
        try:
            self._client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._translate(exc, bucket, key, True, store) from exc


class BlobStore(Protocol):
    """Where the download center keeps package files."""

    kind: str

    def put(self, key: str, source: Path) -> str:
        """Store a file under ``key``; returns its location."""

    def fetch(self, location: str, target: Path) -> None:
        """Copy a stored file to ``target``."""

    def checkout(self, location: str, target: Path) -> None:
        """Give ``target`` the stored file's bytes, to be read and never written: the same
        file under a second name when the store can (nothing copied), else a copy."""

    def read(self, location: str) -> Iterator[bytes]:
        """A stored file's bytes in chunks, straight from the store (no copy written first);
        the file is opened before the first chunk is asked for."""

    def remove(self, location: str) -> None:
        """Delete a stored file (missing is fine)."""


def _chunks(body: IO[bytes]) -> Iterator[bytes]:
    """``body`` read in chunks, closed at the end (or when the reader stops early)."""
    with body:
        while chunk := body.read(CHUNK):
            yield chunk


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` (which may exist: it is replaced) as a second name for ``source``, else a
    copy of it."""
    staged = target.with_name(f"{target.name}.link")
    try:
        os.link(source, staged)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)
    else:
        os.replace(staged, target)


class LocalBlobStore:
    """Packages as files under a folder of the data directory."""

    kind = "local"

    def __init__(self, root: Path, name: str = "the package store") -> None:
        self.root = root
        self.name = name
        """How refusals name this store (never by a path of this machine)."""

    @contextmanager
    def _holding(self, location: str) -> Iterator[Path]:
        """The stored file's path, to read; the file gone from the folder is refused as the
        S3 store refuses one (anything else missing, a target's folder, is not)."""
        path = self._path(location)
        try:
            yield path
        except FileNotFoundError as exc:
            if path.exists():
                raise
            raise package_gone(self.name) from exc

    def _path(self, location: str) -> Path:
        path = (self.root / location).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ObsPathError(f"Package location '{location}' escapes the package store.")
        return path

    def put(self, key: str, source: Path) -> str:
        """Put the file into the store: a second name for it (no bytes copied) when both are
        on one file system, else a copy. The caller never writes ``source`` again."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(source, target)
            os.chmod(target, 0o600)
        except BaseException:  # a copy cut short (no space left) is never left behind
            target.unlink(missing_ok=True)
            target.with_name(f"{target.name}.link").unlink(missing_ok=True)
            raise
        return key

    def fetch(self, location: str, target: Path) -> None:
        """Copy a stored package out."""
        with self._holding(location) as stored:
            shutil.copyfile(stored, target)

    def checkout(self, location: str, target: Path) -> None:
        """A second name for a stored package where it can be (stored files are never
        rewritten; the store removing its name leaves this one whole), else a copy."""
        with self._holding(location) as stored:
            _link_or_copy(stored, target)

    def read(self, location: str) -> Iterator[bytes]:
        """The stored package's bytes from its file (a name the sweep removes meanwhile
        leaves the open file whole)."""
        with self._holding(location) as stored:
            return _chunks(stored.open("rb"))

    def remove(self, location: str) -> None:
        """Delete a stored package."""
        self._path(location).unlink(missing_ok=True)


class S3BlobStore:
    """Packages as objects under a prefix of a bucket."""

    kind = "s3"

    def __init__(
        self, storage: ObjectStorage, bucket: str, prefix: str, name: str = "the package store"
    ) -> None:
        self.storage, self.bucket, self.prefix = storage, bucket, prefix
        self.name = name
        """How refusals name this store (its keys are the server's, not a client's path)."""

    def check(self, seconds: float | None = None) -> None:
        """Refuse (``ObjectStoreUnavailableError``) unless the bucket answers now, once
        (within ``seconds`` to connect and as many to answer, when given)."""
        self.storage.probe(self.bucket, self.name, seconds)

    def put(self, key: str, source: Path) -> str:
        """Upload the file."""
        location = f"{self.prefix}{key}"
        self.storage.put_file(self.bucket, location, source, self.name)
        return location

    def fetch(self, location: str, target: Path) -> None:
        """Download a stored package."""
        self.storage.get_to_file(self.bucket, location, target, 1 << 40, self.name)

    def checkout(self, location: str, target: Path) -> None:
        """Download a stored package (as :meth:`fetch`)."""
        self.fetch(location, target)

    def read(self, location: str) -> Iterator[bytes]:
        """The stored package's bytes as object storage sends them."""
        return self.storage.read(self.bucket, location, self.name)

    def remove(self, location: str) -> None:
        """Delete a stored package."""
        self.storage.delete(self.bucket, location, self.name)
