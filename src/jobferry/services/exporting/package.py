"""Writing the package: entries streamed in path order, then the manifest.

Entries are sorted by path and every entry has the same timestamp; ``createdAt`` is the newest
change among the objects written, not the wall clock: the same definitions always give the
same bytes. Entries are deflated on two threads while the next batch is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import jobferry
from jobferry.package.layout import Layout
from jobferry.package.manifest import ManifestHeader
from jobferry.package.writer import PackageWriter, WrittenPackage
from jobferry.services.context import WRITERS, Scope
from jobferry.services.exporting.contents import Summary, package_entries, requirements
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.selection import require_submitted
from jobferry.storage import Tx
from jobferry.storage.exports import JobHead

COMPRESS_THREADS = 2


def write_package(
    tx: Tx,
    scope: Scope,
    heads: list[JobHead],
    options: ExportOptions,
    layout: Layout,
    out: IO[bytes],
    extra_unresolved: list[dict[str, str]] | None = None,
    signer: Callable[[bytes], bytes] | None = None,
) -> WrittenPackage:
    """Write the package of ``heads`` into ``out`` (signed when ``signer`` is given)."""
    scope.require(WRITERS, "export jobs")
    if options.submitted:
        require_submitted(scope, heads)
    summary = Summary()
    writer = PackageWriter(out, None, signer, threads=COMPRESS_THREADS)
    for entries in package_entries(tx, scope, heads, options, layout, summary):
        writer.add_many(entries)
    header = None
    if options.with_manifest:
        header = ManifestHeader(
            producer_version=jobferry.__version__,
            project_id=scope.actor.project_id,
            workspace_id=scope.workspace.id,
            workspace_name=scope.workspace.name,
            created_at_ms=summary.newest,
            options=options.as_json() | {"layout": layout.value},
            requires=requirements(tx, scope, summary.requires),
            unresolved=summary.unresolved + (extra_unresolved or []),
        )
    return writer.close(header)
