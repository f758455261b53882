"""Packages kept in a blob store until they expire (generated downloads, uploads): removing
the expired ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jobferry.storage import Database, Tx
from jobferry.storage.blobs import BlobStore
from jobferry.storage.records import StoredPackageRecord


def remove_expired(
    db: Database,
    store: BlobStore,
    expired: Callable[[Tx], Sequence[StoredPackageRecord]],
    forget: Callable[[Tx, str], None],
) -> int:
    """Remove the packages ``expired`` reads from ``store``, each file before its row
    (``forget``, by id, a transaction each: a file that cannot be removed stays listed for the
    next sweep); how many went."""
    with db.transaction(readonly=True) as tx:
        gone = expired(tx)
    for item in gone:
        store.remove(item.location)
        with db.transaction() as tx:
            forget(tx, item.id)
    return len(gone)
