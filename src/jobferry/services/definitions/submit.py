"""A job's or a script's development state submitted as a new version, as DataArts' console
submits one (no call of its API does: a save with ``targetStatus`` SUBMITTED is how its
clients submit): what is stored, as it is, so nothing is sent that could differ from it.

The submit is a save: the roles, approval switch (approvers, when the workspace asks for
them), lock policy, tags and checks of an update, and in an enterprise workspace the pending
item it makes. It is made from the development state it read, so a save landing meanwhile
refuses it. A development state that is its latest version already is left as it is: no
version is made of an unchanged definition, and the answer says which version holds it, unless
the save would have been refused (another user's hard lock, a locked tag: nothing is made, and
the refusal is the save's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobferry.domain.definitions import canonical
from jobferry.domain.diff import same
from jobferry.domain.enums import ObjectKind, TargetStatus
from jobferry.errors import InvalidRequestError
from jobferry.services.context import WRITERS, Scope
from jobferry.services.definitions.compare import held_states, version_document
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.restore import VersionRestores, refuse_as_saved
from jobferry.storage import Database


@dataclass(frozen=True)
class Submitted:
    """Job or script ``name`` submitted: the version that holds its development state now
    (``made``: whether this submit made it), and the user whose lock it passed over (the soft
    lock policy), if one."""

    kind: ObjectKind
    name: str
    version: int
    made: bool
    locked_by: str | None = None


@dataclass
class VersionSubmits:
    """Submits of jobs' and scripts' development states (developers and admins)."""

    db: Database
    restores: VersionRestores

    def submit(
        self, scope: Scope, kind: ObjectKind, name: str, body: Mapping[str, Any]
    ) -> Submitted:
        """Submit job or script ``name``'s development state as a new version (``body``:
        ``approvers``, as a save takes them, or nothing): see the module."""
        scope.require_change(WRITERS, f"submit {kind}s")
        if unknown := sorted(set(body) - {"approvers"}):
            raise InvalidRequestError(
                f"A submit takes only approvers, not {', '.join(unknown)}: it submits the "
                f"{kind}'s development state as it is stored.",
                fix=f"Send approvers alone, or save the {kind} first with the change.",
                parameter=unknown[0],
            )
        approvers = body.get("approvers")
        with self.db.transaction(readonly=True) as tx:
            held = held_states(tx, scope, kind, name)
            latest = held.latest
            draft = load(held.draft)
            if latest is not None and same(
                canonical(kind, load(version_document(held, latest))), canonical(kind, draft)
            ):
                refuse_as_saved(tx, scope, kind, name, draft)
                return Submitted(kind, name, latest, False)
        body = {**draft, "targetStatus": TargetStatus.SUBMITTED.value}
        if approvers is not None:
            body["approvers"] = approvers
        locked_by = self.restores.save(scope, kind, name, (body, draft))
        with self.db.transaction(readonly=True) as tx:
            version = held_states(tx, scope, kind, name).latest
        assert version is not None
        return Submitted(kind, name, version, True, locked_by)
