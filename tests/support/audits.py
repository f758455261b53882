"""An audit trail as a test reads it: the newest entry's id, then the entries written after it
(every workspace's and the project's own), oldest first, as (actor, action, kind, name)."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.storage import audit as audit_repo
from support.clients import PROJECT_ID

Line = tuple[str, str, str | None, str | None]
"""An entry as read here: (actor, action, object kind, object name)."""


def last_entry(services: Services) -> int:
    """The id of the project's newest audit entry (0: none yet)."""
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=1, offset=0)
    return rows[0][0] if rows else 0


def entries_since(services: Services, last: int) -> list[Line]:
    """The project's entries (every workspace's and none's) after entry ``last``, oldest
    first."""
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=100, offset=0)
    return [
        (r.actor, r.action, r.object_kind, r.object_name)
        for entry_id, r in reversed(rows)
        if entry_id > last
    ]
