"""Writing the package: the manifest header and the deterministic writer.

Entries are sorted by path and every entry has the same timestamp; ``createdAt`` is the newest
change among the objects written, not the wall clock: the same definitions always give the
same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import jobferry
from jobferry.package.layout import Layout
from jobferry.package.manifest import ManifestHeader
from jobferry.package.writer import PackageWriter, WrittenPackage
from jobferry.services.context import WRITERS, Scope
from jobferry.services.exporting.contents import Contents, gather, requirements
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.selection import require_submitted
from jobferry.storage import Tx
from jobferry.storage.exports import JobHead


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
    contents = gather(tx, scope, heads, options, layout)
    header = None
    if options.with_manifest:
        header = _header(tx, scope, contents, options, layout, extra_unresolved or [])
    writer = PackageWriter(out, header, signer)
    for entry in sorted(contents.entries, key=lambda e: e.path):
        writer.add(entry.path, entry.kind, entry.name, entry.object_id, entry.text.encode())
    return writer.close()


def _header(
    tx: Tx,
    scope: Scope,
    contents: Contents,
    options: ExportOptions,
    layout: Layout,
    extra_unresolved: list[dict[str, str]],
) -> ManifestHeader:
    return ManifestHeader(
        producer_version=jobferry.__version__,
        project_id=scope.actor.project_id,
        workspace_id=scope.workspace.id,
        workspace_name=scope.workspace.name,
        created_at_ms=contents.newest,
        options=options.as_json() | {"layout": layout.value},
        requires=requirements(tx, scope, contents.requires),
        unresolved=contents.unresolved + extra_unresolved,
    )
