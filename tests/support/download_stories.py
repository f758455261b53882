"""Generated stories of the download center and the upload store
(``tests/unit/services/test_generated_downloads.py``): in two workspaces, exports answered at
once or run as tasks (one job, several, the whole workspace; with or without a manifest; to an
``obsPath`` of a bucket that exists or of one that does not), uploads (a package, one cut
short, an empty one, no zip at all, one of exactly the size limit, one past it), reads,
deletions and imports of each package (and of what exports put under ``obsPath``) by every
role and by the other workspace's users, files the store loses, the
held clock moving past the TTL (which may change meanwhile), and the sweep; over the local
package store or the S3 one.

:class:`~support.download_model.Model` says what every call must answer after each step.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from jobferry.domain.names import OBJECT_NAME_MAX
from jobferry.errors import ObsBucketNotFoundError, ObsReadError
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.storage.blobs import ObjectStorage, S3BlobStore, package_gone
from support.builders import make_job
from support.download_model import BUCKET, WHO
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects
from support.release_stories import Step

PACKAGE_BUCKET = "jf-packages"
"""The bucket of an S3 package store (``JOBFERRY_S3_BUCKET``)."""
PREFIX = "jobferry/packages/"
"""Its prefix (``JOBFERRY_S3_PREFIX``'s default)."""
CAP = 20_000
"""The upload limit of a story (``JOBFERRY_IMPORT_MAX_PACKAGE_BYTES``): its packages are a few
KB."""
JOBS = ("ja", "jb")
UPLOADS = ("valid", "truncated", "empty", "notzip", "atcap", "overcap")
EXPORTS = ("job", "batch", "names", "workspace")
TTLS = (60, 90, 180)
"""A story's TTLs, seconds (60 is the setting's least)."""
MOVES = (1, 1000, 30_000, 59_000, 60_000, 61_000, 120_000)
"""How far the clock moves in one step, ms."""
TICK_MS = 1000


@dataclass(frozen=True)
class DownloadStory:
    """The TTL the story starts with (seconds), its steps, and the package store: ``local``
    (folders of the data directory) or ``s3`` (a bucket of the object storage)."""

    ttl: int
    steps: tuple[Step, ...]
    store: str = "local"


_WS = st.integers(0, 1)
_WHO = st.sampled_from(WHO)
_PICK = st.integers(0, 20)


def _steps() -> st.SearchStrategy[Step]:
    obs = st.sampled_from((None, None, "ok", "nope"))
    return st.one_of(
        st.builds(
            lambda *a: Step("export", a), _WS, _WHO, st.sampled_from(EXPORTS), st.booleans(), obs
        ),
        st.builds(
            lambda *a: Step("upload", a),
            _WS,
            _WHO,
            st.sampled_from(UPLOADS),
            st.sampled_from(("plain", "plain", "long", "windows")),
        ),
        st.builds(lambda *a: Step("read", a), _WS, _WHO, _PICK),
        st.builds(lambda *a: Step("delete", a), _WS, _WHO, _PICK),
        st.builds(
            lambda *a: Step("use", a),
            _WS,
            _WHO,
            st.sampled_from(("upload", "download", "obs")),
            _PICK,
            st.booleans(),
        ),
        st.builds(lambda *a: Step("lose", a), st.sampled_from(("upload", "download")), _PICK),
        st.builds(lambda ms: Step("clock", (ms,)), st.sampled_from(MOVES)),
        st.builds(lambda s: Step("ttl", (s,)), st.sampled_from(TTLS)),
        st.just(Step("sweep")),
        st.just(Step("still")),
    )


@st.composite
def download_stories(draw: st.DrawFn) -> DownloadStory:
    """A story of 4 to 12 steps."""
    steps = draw(st.lists(_steps(), min_size=4, max_size=12))
    store = draw(st.sampled_from(("local", "s3")))
    return DownloadStory(draw(st.sampled_from(TTLS)), tuple(steps), store)


class MemoryObjectStorage:
    """The object storage an ``obsPath`` export writes to and an ``obs://`` import reads from,
    and the S3 package store's (``ObjectStorage``'s calls), held in a dictionary: buckets
    ``jf-out`` and ``jf-packages`` exist, no other does; a package store's object gone is
    refused as ``ObjectStorage`` refuses it (the S3 client's own refusals are tested against
    moto's server in tests/unit/storage)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def _held(self, bucket: str, key: str, store: str | None) -> bytes:
        data = self.objects.get((bucket, key))
        if data is not None:
            return data
        if store is not None:
            raise package_gone(store)
        raise ObsReadError(f"Fail to read OBS file: 'obs://{bucket}/{key}' does not exist.")

    def put_file(self, bucket: str, key: str, source: Path, store: str | None = None) -> None:
        """Keep the file's bytes, or refuse a bucket that does not exist."""
        if bucket not in (BUCKET, PACKAGE_BUCKET):
            raise ObsBucketNotFoundError(
                f"OBS bucket '{bucket}' does not exist; create it or correct the path.",
                path=f"obs://{bucket}/{key}",
            )
        self.objects[(bucket, key)] = source.read_bytes()

    def get_to_file(
        self, bucket: str, key: str, target: Path, max_bytes: int, store: str | None = None
    ) -> int:
        """Write an object's bytes to ``target``."""
        data = self._held(bucket, key, store)
        target.write_bytes(data)
        return len(data)

    def read(self, bucket: str, key: str, store: str | None = None) -> Iterator[bytes]:
        """An object's bytes (the object found before the first)."""
        return iter([self._held(bucket, key, store)])

    def delete(self, bucket: str, key: str, store: str | None = None) -> None:
        """Remove an object (missing is fine)."""
        self.objects.pop((bucket, key), None)


class LocalView:
    """What a local store keeps: files under its folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def held(self, workspace_id: str) -> dict[str, bytes]:
        """The bytes it keeps for a workspace, by location."""
        return {k: p.read_bytes() for k, p in stored_files(self.root, workspace_id).items()}

    def lose(self, location: str) -> None:
        """The file at ``location`` is gone."""
        (self.root / location).unlink()


class BucketView:
    """What an S3 store keeps: objects under its prefix of the package bucket."""

    def __init__(self, storage: MemoryObjectStorage, prefix: str) -> None:
        self.storage, self.prefix = storage, prefix

    def held(self, workspace_id: str) -> dict[str, bytes]:
        """The bytes it keeps for a workspace, by location (the object's key)."""
        under = f"{self.prefix}{workspace_id}/"
        return {
            key: data
            for (bucket, key), data in self.storage.objects.items()
            if bucket == PACKAGE_BUCKET and key.startswith(under)
        }

    def lose(self, location: str) -> None:
        """The object at ``location`` is gone."""
        del self.storage.objects[(PACKAGE_BUCKET, location)]


def s3_stores(storage: MemoryObjectStorage) -> tuple[S3BlobStore, S3BlobStore]:
    """The package store and the upload store in the package bucket, as the server makes
    them for ``JOBFERRY_PACKAGE_STORE=s3``."""
    named = f"(bucket '{PACKAGE_BUCKET}', JOBFERRY_S3_BUCKET)"
    real = cast_storage(storage)
    return (
        S3BlobStore(real, PACKAGE_BUCKET, PREFIX, f"the package store {named}"),
        S3BlobStore(real, PACKAGE_BUCKET, f"{PREFIX}uploads/", f"the upload store {named}"),
    )


def cast_storage(storage: MemoryObjectStorage) -> ObjectStorage:
    """The stand-in as the ``ObjectStorage`` the S3 store and the exports call."""
    return typing.cast(ObjectStorage, storage)


def cast_back(storage: ObjectStorage) -> MemoryObjectStorage:
    """The stand-in a story gave as its ``ObjectStorage``."""
    assert isinstance(storage, MemoryObjectStorage)
    return storage


@dataclass
class Cast:
    """A story's two workspaces (the admin's scope in each) and its users by name."""

    scopes: list[Scope]
    actors: dict[str, Actor] = field(default_factory=dict)

    def scope(self, services: Services, user: str, ws: int) -> Scope:
        """``user`` in workspace ``ws`` (refused when they hold no role there)."""
        actor = self.actors[user]
        return services.accounts.scope(actor, actor.project_id, self.scopes[ws].workspace.id)


def cast(services: Services, n: int, seed: Path) -> Cast:
    """Workspaces ``dl<n>_a`` and ``dl<n>_bxx…`` (a name of the longest a workspace may
    have), each holding the jobs of ``seed``; a developer, an operator and a viewer of each,
    and a developer of both."""
    names = (f"dl{n}_a", f"dl{n}_b".ljust(OBJECT_NAME_MAX, "x"))
    scopes = [workspace(services, name) for name in names]
    for scope in scopes:
        import_package(services, scope, seed)
    admin = scopes[0].actor
    found = Cast(scopes, {"admin": admin})
    held = [(f"{r}{ws}", (ws,), r) for ws in (0, 1) for r in ("dev", "op", "viewer")]
    for user, workspaces, role in [*held, ("both", (0, 1), "dev")]:
        made = services.accounts.create_user(admin, admin.project_id, f"{user}_{n}", False)
        for ws in workspaces:
            given = {"dev": "developer", "op": "operator"}.get(role, "viewer")
            services.accounts.set_role(
                admin, admin.project_id, made.name, scopes[ws].workspace.id, given
            )
        found.actors[user] = Actor(made.id, made.name, admin.project_id, False)
    return found


def seed_package(folder: Path) -> Path:
    """The package each workspace starts from: jobs ``ja`` and ``jb`` and what they use."""
    return write_objects(folder / "seed.zip", jobs_with_dependencies(*map(make_job, JOBS)))


def upload_bytes(kind: str, seed: Path) -> bytes:
    """What an upload of ``kind`` sends."""
    data = seed.read_bytes()
    return {
        "valid": data,
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "notzip": b"not a zip at all\n",
        "atcap": b"x" * CAP,
        "overcap": b"x" * (CAP + 1),
    }[kind]


def sent_name(kind: str, style: str) -> tuple[str, str]:
    """The file name an upload of ``kind`` is sent with, in ``style``, and the name it is kept
    under (docs/api.md: the file's name, no folders; the record holds 256 characters)."""
    if style == "long":
        return f"{kind}{'_' * 300}.zip", f"{kind}{'_' * (252 - len(kind))}.zip"
    if style == "windows":
        return f"C:\\Users\\me\\exports\\{kind}.zip", f"{kind}.zip"
    return f"{kind}.zip", f"{kind}.zip"


def stored_files(root: Path, workspace_id: str) -> dict[str, Path]:
    """The files a local store keeps for a workspace, by location."""
    folder = root / workspace_id
    if not folder.exists():
        return {}
    return {p.relative_to(root).as_posix(): p for p in folder.rglob("*") if p.is_file()}


def expired_meanwhile() -> DownloadStory:
    """A package and an upload read, the TTL raised (theirs stays), the clock past it: both
    refused though unswept, then swept, files and all."""
    steps = (
        Step("export", (0, "dev", "workspace", True, None)),
        Step("upload", (0, "dev", "valid", "plain")),
        Step("ttl", (180,)),
        Step("use", (1, "both", "download", 0, True)),
        Step("clock", (59_000,)),
        Step("read", (0, "admin", 0)),
        Step("use", (0, "dev", "upload", 0, False)),
        Step("sweep"),
        Step("delete", (0, "dev", 0)),
        Step("sweep"),
    )
    return DownloadStory(60, steps)


def export_to_a_missing_bucket() -> DownloadStory:
    """An export task whose ``obsPath`` names a bucket that does not exist fails, and keeps
    nothing in the download center; so is one answered at once, which writes no audit line.
    The package kept is imported into the other workspace (its audit entry names it by a
    title longer than the log's column), and what the exports put in the bucket that exists
    is imported from there."""
    steps = (
        Step("export", (1, "dev", "workspace", True, "nope")),
        Step("export", (1, "admin", "names", False, "nope")),
        Step("export", (1, "dev", "job", True, "nope")),
        Step("export", (1, "both", "names", True, "ok")),
        Step("read", (1, "dev", 0)),
        Step("use", (0, "both", "download", 0, True)),
        Step("use", (0, "both", "obs", 0, True)),
        Step("export", (0, "dev", "batch", False, "ok")),
        Step("use", (0, "dev", "obs", 1, False)),
    )
    return DownloadStory(90, steps)


def lost_by_the_store(store: str = "local") -> DownloadStory:
    """The store loses the files of a package and of an upload it lists: reading either fails
    with the refusal the S3 store gives, importing either fails in its task, deleting the
    package and the sweep still work."""
    steps = (
        Step("export", (0, "dev", "names", True, None)),
        Step("upload", (0, "dev", "valid", "plain")),
        Step("lose", ("download", 0)),
        Step("lose", ("upload", 2)),
        Step("read", (0, "dev", 0)),
        Step("use", (0, "admin", "download", 0, False)),
        Step("use", (1, "both", "download", 0, True)),
        Step("use", (0, "dev", "upload", 2, False)),
        Step("use", (0, "dev", "upload", 2, True)),
        Step("delete", (0, "dev", 0)),
        Step("clock", (120_000,)),
        Step("sweep"),
    )
    return DownloadStory(60, steps, store)


def broken_uploads_used() -> DownloadStory:
    """Uploads cut short, empty, no zip, at and past the limit; each read and imported."""
    steps = (
        *(Step("upload", (0, "admin", kind, "plain")) for kind in UPLOADS),
        *(Step("use", (0, "dev", "upload", pick, pick % 2 == 0)) for pick in range(5)),
        Step("use", (1, "dev", "upload", 0, False)),
        Step("upload", (0, "op", "valid", "plain")),
        Step("upload", (1, "dev", "valid", "long")),
        Step("upload", (1, "both", "truncated", "windows")),
        Step("use", (1, "both", "upload", 7, True)),
        Step("delete", (0, "viewer", 0)),
    )
    return DownloadStory(60, steps)
