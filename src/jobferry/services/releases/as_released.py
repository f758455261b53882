"""Which development version production holds of what an import as released wrote: an import
with target status production into an enterprise workspace changes production outside the
release ledger (it makes no entry), so ``deployed.deployed_versions`` asks here about the
objects such an import wrote or deleted last.

Production knows each object it received from development by its development identity (the
promotion ledger). A row written by a task no ledger entry names (a release's, a restore's, a
signed release's import) was written by an import as released (or put back as it wrote it by
a release rollback undoing what came after it). Production then holds the development version
whose definition that import's package held, compared as documents with the name aside (an
export of the submitted versions writes each under the object's name now): the newest such
version submitted by the time the import wrote it. A version submitted since, even of that
same definition (a change undone), was put in production by nothing, as after a release: it
moves nothing. A definition development had not submitted by then is the first version
submitted since that holds it; one development never submitted names no version: the ledger's
answer stands. An object such an import deleted (its package carried development's deletion)
is held in no version.

Development keeps its newest ``VERSIONS_KEPT`` versions (as DataArts): past as many submits
since the import, the version it held is no longer there to compare. Every item of the object
made or waiting since was told that version (the import tells the waiting ones, a submit
reads it again into its item), so the object's newest item no release took says it then
(``pending.told_versions``), whatever the count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from jobferry.storage import Tx
from jobferry.storage import pending as undone
from jobferry.storage import production as sides
from jobferry.storage.importing import ledger as promotion_repo
from jobferry.storage.importing.ledger import LedgerRow


def imported_versions(
    tx: Tx, development: str, kind: str, uids: Sequence[str], released: Callable[[], set[str]]
) -> dict[str, int]:
    """uid → the development version production holds of each of these objects that an
    import as released wrote or deleted last (0: it deleted it; absent: no import as released
    did, or it wrote a definition development never submitted); ``released`` gives the tasks
    the ledger's entries name."""
    workspace = sides.get_workspace_by_id(tx, development)
    production = workspace.production_id if workspace is not None else None
    if production is None or not uids:
        return {}
    tasks = promotion_repo.ledger_tasks(tx, production, development, kind, uids)
    gone = [uid for uid in uids if uid not in tasks]
    deletions = promotion_repo.ledger_deletions(tx, production, development, kind, gone)
    if not tasks and not deletions:
        return {}
    ledger_tasks = released()
    written = [uid for uid, task in tasks.items() if task not in ledger_tasks]
    found = _matched(tx, (production, development), kind, written)
    found.update((uid, 0) for uid, d in deletions.items() if d.task_id not in ledger_tasks)
    return found


def _matched(tx: Tx, where: tuple[str, str], kind: str, uids: Sequence[str]) -> dict[str, int]:
    """uid → the version of each object whose definition the package of the import that last
    wrote it into production held: the newest submitted by then, else the first since; once
    development keeps no more the versions that say it, what its items were told."""
    if not uids:
        return {}
    production, development = where
    rows = promotion_repo.ledger_rows(tx, production, development, kind, uids)
    submitted = undone.submitted_documents(tx, development, kind, list(rows))
    cut = [u for u, row in rows.items() if not _kept_since(submitted.get(u, []), row.recorded_at)]
    told = undone.told_versions(tx, development, kind, cut) if cut else {}
    found: dict[str, int] = {}
    for uid, row in rows.items():
        version = told.get(uid) or _compared(row, submitted.get(uid, []))
        if version:
            found[uid] = version
    return found


def _compared(row: LedgerRow, submitted: Sequence[undone.Submitted]) -> int | None:
    """The version of ``submitted`` (newest first) holding the definition the package of
    ``row``'s import held: the newest submitted by then, else the first since (``None``:
    none)."""
    held = _unnamed(row.source)
    matching = [s for s in submitted if _unnamed(s.document) == held]
    then = next((s for s in matching if s.at <= row.recorded_at), None)
    if then is None and not matching:
        return None
    return (then or matching[-1]).version  # newest first: else the first submitted since


def _kept_since(submitted: Sequence[undone.Submitted], at: int) -> bool:
    """Whether ``submitted`` (newest first) still holds every version that can say what an
    import at ``at`` put in production: none was dropped (version 1 kept), or the oldest kept
    was submitted by then. Past ``VERSIONS_KEPT`` submits, the version it held is gone."""
    return not submitted or submitted[-1].version == 1 or submitted[-1].at <= at


def _unnamed(text: str) -> object:
    """A definition as compared: its document without its name (the text itself when it is no
    JSON object)."""
    try:
        document = json.loads(text)
    except ValueError:
        return text
    if isinstance(document, dict):
        document.pop("name", None)
    return document
