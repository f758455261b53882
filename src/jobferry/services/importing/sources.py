"""Import, read: the source an import reads from, the :class:`~.ports.ImportSource` of this
server.

:class:`PackageFile`: a package file, uploaded to this server (``upload://``), in a download
center of this server (``download://``) or in object storage (``obs://``, ``s3://``), fetched
into a scratch file and read from there. Every import reads a package file: what reaches the
pipeline from elsewhere is packed first, by the one writer of each kind of package, and kept
where a path names it — a route's cut (:mod:`jobferry.services.routes.cutting`: kept as an
upload of the target, or in the source's download center) and a folder of definitions
(:mod:`jobferry.package.folder`, packed by ``jobferry apply -f`` and uploaded).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from jobferry.services.context import Scope
from jobferry.services.importing.ports import OpenedPackage
from jobferry.services.importing.uploads import PackageSource


@dataclass(frozen=True)
class PackageFile:
    """A package file an import path names (an upload, a download-center package, or an
    object in object storage)."""

    packages: PackageSource
    scope: Scope
    """Whose uploads an ``upload://`` path is looked up in."""
    path: str

    def title(self) -> str:
        """The upload's file name, else the path."""
        return self.packages.title(self.scope, self.path)

    def open(self, helper_from: int | None = None) -> AbstractContextManager[OpenedPackage]:
        """Fetch the package and open it for one streaming read."""
        return self.packages.open(self.scope, self.path, helper_from)
