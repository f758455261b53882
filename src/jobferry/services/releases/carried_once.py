"""A signed release is taken in once, as its package is deployed once on its own server.

*Decision:* the release is known by the statement its approvals sign (the sending
workspace, the package, the approved plan hash): taken in again, it is refused naming its
ledger entry (``DLF.9076``), or, when the newest entry about it is its rollback, naming that
rollback (``DLF.9075``; production then holds again what the approvers saw, so only the
ledger tells). What the approvers sign is the same for the same plan (Ed25519 signs
deterministically), so the way back is a new approved plan on its server, or a restore here.
"""

from __future__ import annotations

import json

from jobferry.domain.remedies import Remedy
from jobferry.errors import SignedReleaseRolledBackError, SignedReleaseTakenError
from jobferry.package.releasefile import SignedRelease
from jobferry.services.context import Scope
from jobferry.services.importing.expiry import utc_minute
from jobferry.services.releases.ledger import DEPLOY, ROLLBACK
from jobferry.storage import Tx
from jobferry.storage import ledger as ledger_repo
from jobferry.storage.ledger import EntryRecord


def _statement_of(entry: EntryRecord) -> object:
    """The statement a release taken in was approved by (its approvals all sign it)."""
    approvals = json.loads(entry.approvals or "[]")
    return approvals[0].get("statement") if approvals else None


def _taken(found: list[EntryRecord], statement: object) -> list[EntryRecord]:
    """The deploys among ``found`` approved by ``statement`` (none for a release without one:
    nothing to know it by, and its approvals file is refused)."""
    if not statement:
        return []
    return [e for e in found if e.action == DEPLOY and _statement_of(e) == statement]


def refuse_taken_before(tx: Tx, scope: Scope, release: SignedRelease, source: str) -> None:
    """Refuse a signed release whose approved plan (its statement) was taken in here before:
    ``DLF.9075`` naming the rollback when the newest entry about it is one, else ``DLF.9076``
    naming its entry (a restore to it since makes it held again)."""
    found = ledger_repo.entries_of_source(tx, scope.workspace.id, source)
    taken = _taken(found, release.approvals.get("statement"))
    if not taken:
        return
    ids = {e.id for e in taken}
    last = [*taken, *(e for e in found if e.target_entry in ids)]
    newest = max(last, key=lambda e: e.id)
    entry = next(e for e in taken if e.id in (newest.id, newest.target_entry))
    ws, name = scope.workspace.name, release.approvals.get("packageName") or "?"
    head = f"The signed release '{name}' was not taken into workspace '{ws}': it was taken in"
    if newest.action != ROLLBACK:
        raise SignedReleaseTakenError(
            f"{head} already (ledger entry {entry.id}) by {entry.deployer} on "
            f"{utc_minute(entry.at)}; a signed release is taken in once.",
            fix="Read the release ledger (GET /v2/{project_id}/factory/release-ledger); to "
            "change production, release a new package.",
            remedy=Remedy.READ_RELEASE_LEDGER,
            entry_id=entry.id,
            workspace=ws,
        )
    raise SignedReleaseRolledBackError(
        f"{head} (ledger entry {entry.id}) and rolled back by {newest.deployer} on "
        f"{utc_minute(newest.at)} (ledger entry {newest.id}); a release rolled back is not "
        "taken in again, as its package is not deployed again on its server. Nothing was "
        "imported.",
        fix="Have the package approved and exported again on its server (a new package of "
        "its changes, or this one planned again once its production moved: approvals of the "
        "same plan sign the same statement) and take that in; to have production hold this "
        f"release again, restore it (POST /v2/{{project_id}}/factory/release-ledger/{entry.id}"
        "/restore).",
        remedy=Remedy.CARRY_APPROVED_AGAIN,
        entry_id=entry.id,
        rolled_back_entry=newest.id,
        workspace=ws,
    )
