"""Import, read: the sources an import reads from, each an :class:`~.ports.ImportSource`.

- :class:`PackageFile`: a package file, uploaded to this server (``upload://``), in a
  download center of this server (``download://``) or in object storage (``obs://``,
  ``s3://``), fetched into a scratch file and read from there.
- :class:`WorkspaceSource`: a workspace of this server, exported whole (with its manifest: the
  objects' stable identifiers and the inventory travel along) into a scratch package, then read
  like any package. Exporting first keeps one reader for every source: what the pipeline sees
  of a workspace is exactly what a package exported from it holds.
- :class:`FolderSource`: a folder of definition files, checked whole and packed
  deterministically (:mod:`jobferry.package.folder`: no source workspace, so its objects match
  by name) into a scratch package, then read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobferry.errors import InvalidRequestError
from jobferry.package.folder import pack, read_folder
from jobferry.package.layout import Layout
from jobferry.package.reader import PackageReader, ReadLimits
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.package import write_package
from jobferry.services.exporting.selection import ordered, workspace_jobs
from jobferry.services.importing.ports import OpenedPackage
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.support.scratch import new_zip
from jobferry.storage import Database


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


@dataclass(frozen=True)
class WorkspaceSource:
    """Every job of a workspace of this server, with the scripts and resources they use."""

    db: Database
    scope: Scope
    """The source workspace, and who reads it (export rights are required)."""
    limits: ReadLimits
    scratch: Path
    max_jobs: int = 0
    """At most this many jobs (0: any), as ``JOBFERRY_EXPORT_WORKSPACE_MAX_JOBS`` caps."""
    helper_jobs: int = 0
    """A workspace of at least this many jobs is written by a helper process (0: never)."""

    def title(self) -> str:
        """``workspace '<name>'``."""
        return f"workspace '{self.scope.workspace.name}'"

    @contextmanager
    def open(self, helper_from: int | None = None) -> Iterator[OpenedPackage]:
        """Export the workspace into a scratch package (one read-only snapshot) and open it
        for one streaming read; the package is removed after."""
        path = new_zip(self.scratch)
        try:
            with self.db.transaction(readonly=True) as tx:
                heads = workspace_jobs(tx, self.scope, None, self.max_jobs)
                selection = ordered(heads, Layout.SINGLE)
                helper = 0 < self.helper_jobs <= len(selection)
                options = ExportOptions(export_depend=True, with_manifest=True)
                write_package(
                    tx, self.scope, selection, options, path, inventory=True, helper=helper
                )
            with PackageReader(path, self.limits, self.scratch, helper_from) as reader:
                yield reader
        finally:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class FolderSource:
    """A folder of definitions (or one definition file) on this machine."""

    root: Path
    limits: ReadLimits
    scratch: Path

    def title(self) -> str:
        """``folder '<name>'``."""
        return f"folder '{self.root.name}'"

    @contextmanager
    def open(self, helper_from: int | None = None) -> Iterator[OpenedPackage]:
        """Read and check every file (refused naming every problem of every file), pack the
        definitions into a scratch package and open it for one streaming read."""
        read = read_folder(self.root)
        if read.problems:
            shown = "; ".join(read.problems[:10])
            more = f" and {len(read.problems) - 10} more" if len(read.problems) > 10 else ""
            raise InvalidRequestError(
                f"The folder '{self.root.name}' has {len(read.problems)} problem(s) in its "
                f"definition files: {shown}{more}; correct those files and import again.",
                problems=list(read.problems),
            )
        path = new_zip(self.scratch)
        try:
            with path.open("wb") as out:
                pack(read.objects, out)
            with PackageReader(path, self.limits, self.scratch, helper_from) as reader:
                yield reader
        finally:
            path.unlink(missing_ok=True)
