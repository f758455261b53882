"""What the download center and the upload store must answer in a generated story
(``tests/unit/services/test_generated_downloads.py``), written from docs/api.md and
docs/operations.md, never from the code:

- ``GET /downloads``: a workspace's unexpired packages, newest first (two made in one
  millisecond: by id), for its admins and developers (``DLF.6888`` for any other role, and for
  a user with no role in the workspace);
- ``GET /downloads/{id}``, ``…/content``, ``DELETE``: a package of the workspace's own center
  that has not expired nor been deleted, else ``DLF.9005``; the bytes are the listed size and
  sha256;
- ``POST /packages``: kept for an admin or a developer whatever its bytes (a package is read
  when it is imported), refused past ``JOBFERRY_IMPORT_MAX_PACKAGE_BYTES`` (``DLF.9413``);
  uploads expire with the download-center TTL, stamped when each is made (a TTL changed later
  does not move them);
- an import (or ``show_file_info``) naming ``obs://`` reads the object an export put there
  (``DLF.0815`` when there is none); one naming ``upload://`` reads an unexpired upload of its own
  workspace, else ``DLF.0815``; one naming ``download://<workspace>/<id>`` reads a package of
  that workspace's center for a caller who may use that center (``DLF.6888`` otherwise, then
  ``DLF.9005`` as above); a kept upload that is no zip is refused by the read (``DLF.9020``);
- a package or upload whose file the store lost (docs/operations.md: a backup of the store
  copied before the database's) is listed still; reading its bytes fails, nothing else: as the
  S3 store says it, ``DLF.0815``;
- the sweep removes every expired package and upload, file and record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import Role

WHO = ("admin", "dev", "op", "viewer", "outsider", "both")
"""Who acts in a workspace: the project admin, its developer, operator and viewer, the other
workspace's developer (no role here), and a developer of both workspaces."""
WRITERS = (Role.ADMIN, Role.DEVELOPER)
DENIED, GONE, NO_UPLOAD, UNREADABLE, TOO_LARGE = (
    "DLF.6888",
    "DLF.9005",
    "DLF.0815",
    "DLF.9020",
    "DLF.9413",
)
BUCKET = "jf-out"
"""The one bucket the object storage of a story holds (``obs://nope/…`` names none)."""


def role_in(who: str, acting_in: int, workspace: int) -> Role | None:
    """The role held in ``workspace`` by who acts as ``who`` in ``acting_in``."""
    if who == "admin":
        return Role.ADMIN
    if who == "both":
        return Role.DEVELOPER
    home = 1 - acting_in if who == "outsider" else acting_in
    if home != workspace:
        return None
    return {"dev": Role.DEVELOPER, "outsider": Role.DEVELOPER, "op": Role.OPERATOR}.get(
        who, Role.VIEWER
    )


def user_of(who: str, acting_in: int) -> str:
    """Which of the story's users acts as ``who`` in ``acting_in`` (``dev1``, ``both``…)."""
    if who in ("admin", "both"):
        return who
    home = 1 - acting_in if who == "outsider" else acting_in
    return f"{'dev' if who == 'outsider' else who}{home}"


@dataclass
class Package:
    """A package kept in a workspace's download center (or an upload: ``readable`` says
    whether it is a zip an import can read)."""

    id: str
    workspace: int
    created: int
    expires: int
    size: int
    sha256: str
    readable: bool = True
    gone: bool = False
    """Deleted, or swept."""
    name: str = ""
    """Its file name."""
    lost: bool = False
    """Its file is gone from the store, its record kept (a backup copied before a dump)."""


@dataclass
class Model:
    """The packages and uploads a story made, as the docs say they stand."""

    downloads: dict[str, Package] = field(default_factory=dict)
    uploads: dict[str, Package] = field(default_factory=dict)
    objects: set[str] = field(default_factory=set)
    """What exports put under ``obsPath`` (``bucket/key``): kept for ever."""

    def listed(self, ws: int, now: int) -> list[str]:
        """The ids the download center of ``ws`` lists at ``now``, in order."""
        kept = [p for p in self.downloads.values() if p.workspace == ws and self.live(p, now)]
        return [p.id for p in sorted(kept, key=lambda p: (-p.created, p.id))]

    @staticmethod
    def live(package: Package, now: int) -> bool:
        """Whether ``package`` can be read at ``now``."""
        return not package.gone and package.expires > now

    def stored(self, ws: int) -> tuple[set[str], set[str]]:
        """The ids of the downloads and uploads of ``ws`` still kept (expired or not: the
        sweep has not passed them)."""
        downloads = {p.id for p in self.downloads.values() if p.workspace == ws and not p.gone}
        uploads = {p.id for p in self.uploads.values() if p.workspace == ws and not p.gone}
        return downloads, uploads

    def lost(self) -> set[str]:
        """The ids of the packages and uploads whose files the store lost."""
        return {p.id for p in [*self.downloads.values(), *self.uploads.values()] if p.lost}

    def center_refusal(self, who: str, ws: int, named: int | None = None) -> str | None:
        """``DLF.6888`` unless who acts as ``who`` in ``ws`` may use the download center of
        ``named`` (default ``ws``): they must reach ``ws``, and hold admin or developer in
        ``named``."""
        if role_in(who, ws, ws) is None:
            return DENIED
        return None if role_in(who, ws, ws if named is None else named) in WRITERS else DENIED

    def download_refusal(
        self, who: str, ws: int, download_id: str, now: int, *, reading: bool = False
    ) -> str | None:
        """The refusal of reading (``reading``: its bytes too) or deleting package
        ``download_id`` in ``ws``'s center."""
        refused = self.center_refusal(who, ws) or self._missing(download_id, ws, now)
        return refused or (self._lost(self.downloads[download_id]) if reading else None)

    @staticmethod
    def _lost(package: Package) -> str | None:
        """``DLF.0815`` when the store no longer holds the file of a package it lists
        (docs/operations.md: its download then fails, nothing else)."""
        return NO_UPLOAD if package.lost else None

    def _missing(self, download_id: str, ws: int, now: int) -> str | None:
        """``DLF.9005`` unless ``download_id`` is a live package of ``ws``'s center."""
        package = self.downloads.get(download_id)
        if package is None or package.workspace != ws or not self.live(package, now):
            return GONE
        return None

    def upload_refusal(self, who: str, ws: int, size: int, cap: int) -> str | None:
        """The refusal of an upload of ``size`` bytes in ``ws``."""
        denied = self.center_refusal(who, ws)
        if denied is not None:
            return denied
        return TOO_LARGE if size > cap else None

    def read_refusal(
        self, who: str, ws: int, path: str, now: int, *, fetching: bool = True
    ) -> str | None:
        """The refusal of reading the package ``path`` names (``show_file_info``, an import)
        in ``ws``; ``path`` is ``upload://<id>`` or ``download://<n>/<id>`` (``n`` the
        story's number of the workspace, put right by the caller) or ``obs://<bucket>/<key>``.
        ``fetching``: its bytes fetched and read too (an import takes the path at once, and its
        task reads the bytes)."""
        denied = self.center_refusal(who, ws)
        if denied is not None:
            return denied
        scheme, _, rest = path.partition("://")
        if scheme == "obs":
            return None if rest in self.objects or not fetching else NO_UPLOAD
        if scheme == "upload":
            upload = self.uploads.get(rest)
            if upload is None or upload.workspace != ws or not self.live(upload, now):
                return NO_UPLOAD
            fetched = self._lost(upload) or (None if upload.readable else UNREADABLE)
            return fetched if fetching else None
        named, _, download_id = rest.partition("/")
        refused = self.center_refusal(who, ws, int(named))
        refused = refused or self._missing(download_id, int(named), now)
        return refused or (self._lost(self.downloads[download_id]) if fetching else None)

    def swept(self, now: int) -> None:
        """The sweep at ``now``: every expired package and upload goes."""
        for package in [*self.downloads.values(), *self.uploads.values()]:
            if package.expires <= now:
                package.gone = True
