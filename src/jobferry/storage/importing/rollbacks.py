"""What rolling an import back needs: its recorded changes, bulk deletes and version trims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from jobferry.domain.enums import ObjectKind
from jobferry.storage.jobs import depending_from
from jobferry.storage.rows import ChangeRow
from jobferry.storage.tables import (
    import_changes,
    import_rollbacks,
    job_refs,
    job_versions,
    jobs,
    resources,
    script_versions,
    scripts,
    system_tasks,
)
from jobferry.storage.tags import release_locks_of
from jobferry.storage.tx import CHUNK, Tx, chunks


def changes_of(
    tx: Tx,
    workspace_id: str,
    task_id: str,
    after: tuple[str, str, str] | None = None,
    limit: int = 500,
    actions: Sequence[str] | None = None,
) -> list[ChangeRow]:
    """A batch of the changes an import task recorded in the workspace (of these actions), by
    (kind, name, action), after ``after`` (an import of 200,000 objects is undone a batch at a
    time; one name may have two changes, e.g. a deleted object and a new one of its name)."""
    c = import_changes.c
    where = [c.task_id == task_id, c.workspace_id == workspace_id]
    if actions is not None:
        where.append(c.action.in_(list(actions)))
    if after is not None:
        where.append(tuple_(c.kind, c.name, c.action) > tuple_(*after))
    rows = tx.conn.execute(
        select(import_changes).where(*where).order_by(c.kind, c.name, c.action).limit(limit)
    )
    return [ChangeRow(**{name: r._mapping[name] for name in ChangeRow._fields}) for r in rows]


def left_as(tx: Tx, workspace_id: str, task_id: str, hashes: dict[str, str]) -> None:
    """Say that import ``task_id`` left the objects ``hashes`` names (object id → the sha256
    of the definition they hold now) as they are now."""
    _set_after(tx, workspace_id, task_id, "after_sha256", hashes)


def versions_of(
    tx: Tx, workspace_id: str, task_id: str, object_ids: Sequence[str]
) -> dict[str, tuple[int | None, int | None]]:
    """Object id → (version before, version after) import ``task_id``, of the named objects
    it changed."""
    c = import_changes.c
    versions: dict[str, tuple[int | None, int | None]] = {}
    for part in chunks(list(object_ids)):
        rows = tx.conn.execute(
            select(c.object_id, c.before_version, c.after_version).where(
                c.workspace_id == workspace_id, c.object_id.in_(part), c.task_id == task_id
            )
        )
        versions.update((str(object_id), (before, after)) for object_id, before, after in rows)
    return versions


def set_after_versions(
    tx: Tx, workspace_id: str, task_id: str, versions: Mapping[str, int | None]
) -> None:
    """Say that import ``task_id`` left the objects ``versions`` names (object id → version) at
    that version (``None``: none)."""
    _set_after(tx, workspace_id, task_id, "after_version", versions)


def _set_after(
    tx: Tx, workspace_id: str, task_id: str, column: str, values: Mapping[str, object]
) -> None:
    """Set ``column`` of import ``task_id``'s change record of each object ``values`` names
    (object id → value), found by the object's index, in one statement."""
    if not values:
        return
    c = import_changes.c
    tx.conn.execute(
        update(import_changes)
        .where(
            c.workspace_id == workspace_id,
            c.object_id == bindparam("_object"),
            c.task_id == task_id,
        )
        .values({column: bindparam("_value")}),
        [{"_object": object_id, "_value": value} for object_id, value in values.items()],
    )


def count_changes(tx: Tx, workspace_id: str, task_id: str) -> int:
    """How many changes an import task recorded in the workspace."""
    c = import_changes.c
    counted = tx.conn.execute(
        select(func.count()).where(c.task_id == task_id, c.workspace_id == workspace_id)
    ).scalar_one()
    return int(counted)


def imported_jobs_among(tx: Tx, task_id: str, job_ids: Sequence[str]) -> set[str]:
    """Which of these job ids an import task wrote."""
    found: set[str] = set()
    for part in chunks(job_ids):
        rows = tx.conn.execute(
            select(import_changes.c.object_id).where(
                import_changes.c.task_id == task_id,
                import_changes.c.kind == ObjectKind.JOB,
                import_changes.c.object_id.in_(part),
            )
        )
        found.update(str(r.object_id) for r in rows)
    return found


def import_queued(tx: Tx, task_id: str) -> int | None:
    """When import task ``task_id`` was queued (ms; ``None``: no such task)."""
    found = tx.conn.execute(select(system_tasks.c.start_time).where(system_tasks.c.id == task_id))
    return found.scalar()


def rolled_back_among(tx: Tx, task_ids: list[str]) -> set[str]:
    """Which of ``task_ids`` were rolled back (one query for a page of tasks)."""
    if not task_ids:
        return set()
    rows = tx.conn.execute(
        select(import_rollbacks.c.task_id).where(import_rollbacks.c.task_id.in_(task_ids))
    )
    return {str(r.task_id) for r in rows}


def writing_among(tx: Tx, task_ids: list[str]) -> set[str]:
    """Which of ``task_ids`` wrote an object (a change other than a ``LINK``: something to roll
    back)."""
    c = import_changes.c
    found: set[str] = set()
    for part in chunks(task_ids):
        rows = tx.conn.execute(
            select(c.task_id).where(c.task_id.in_(part), c.action != "LINK").distinct()
        )
        found.update(str(r.task_id) for r in rows)
    return found


def rollbacks_of(tx: Tx, task_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """task id → (when, by whom) of those of ``task_ids`` that were rolled back (one query
    for a page of tasks)."""
    found: dict[str, tuple[int, str]] = {}
    r = import_rollbacks.c
    for part in chunks(task_ids):
        rows = tx.conn.execute(
            select(r.task_id, r.rolled_back_at, r.rolled_back_by).where(r.task_id.in_(part))
        )
        found.update((str(row[0]), (int(row[1]), str(row[2]))) for row in rows)
    return found


def rolled_back(tx: Tx, task_id: str) -> tuple[int, str] | None:
    """(when, by whom) an import was rolled back, or None."""
    row = tx.conn.execute(
        select(import_rollbacks.c.rolled_back_at, import_rollbacks.c.rolled_back_by).where(
            import_rollbacks.c.task_id == task_id
        )
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def mark_rolled_back(tx: Tx, workspace_id: str, task_id: str, now: int, actor: str) -> None:
    """Record that an import was rolled back (the primary key refuses a second time)."""
    tx.conn.execute(
        insert(import_rollbacks).values(
            task_id=task_id, workspace_id=workspace_id, rolled_back_at=now, rolled_back_by=actor
        )
    )


_PAIRS = CHUNK // 2  # two bound parameters per (id, version) pair


def delete_jobs(tx: Tx, job_ids: Sequence[int]) -> None:
    """Remove jobs with their versions, reference index and locks."""
    for part in chunks(job_ids):
        release_locks_of(tx, ObjectKind.JOB, part)
        tx.conn.execute(delete(job_refs).where(job_refs.c.job_id.in_(part)))
        tx.conn.execute(delete(job_versions).where(job_versions.c.job_id.in_(part)))
        tx.conn.execute(delete(jobs).where(jobs.c.id.in_(part)))


def delete_scripts(tx: Tx, script_ids: Sequence[str]) -> None:
    """Remove scripts with their versions and locks."""
    for part in chunks(script_ids):
        release_locks_of(tx, ObjectKind.SCRIPT, part)
        tx.conn.execute(delete(script_versions).where(script_versions.c.script_id.in_(part)))
        tx.conn.execute(delete(scripts).where(scripts.c.id.in_(part)))


def delete_resources(tx: Tx, resource_ids: Sequence[str]) -> None:
    """Remove resources."""
    for part in chunks(resource_ids):
        tx.conn.execute(delete(resources).where(resources.c.id.in_(part)))


def _trim(tx: Tx, table: Table, owner: Column[Any], keep: Sequence[tuple[Any, int]]) -> None:
    """Delete ``table``'s versions newer than ``version`` for each (owner id, version) pair."""
    for part in chunks(keep, _PAIRS):
        newer = (and_(owner == o, table.c.version > v) for o, v in part)
        tx.conn.execute(delete(table).where(or_(*newer)))


def trim_job_versions(tx: Tx, keep: Sequence[tuple[int, int]]) -> None:
    """Delete versions newer than ``version`` for each (job id, version) pair."""
    _trim(tx, job_versions, job_versions.c.job_id, keep)


def trim_script_versions(tx: Tx, keep: Sequence[tuple[str, int]]) -> None:
    """Delete versions newer than ``version`` for each (script id, version) pair."""
    _trim(tx, script_versions, script_versions.c.script_id, keep)


def jobs_using(
    tx: Tx, workspace_id: str, kind: str, names: Sequence[str], changed_from: int | None = None
) -> list[tuple[int, str, str]]:
    """(job id, job name, referenced name) of the workspace's jobs naming (kind, name)
    (``changed_from``: only those changed at or after that moment, ms)."""
    out: list[tuple[int, str, str]] = []
    since = [] if changed_from is None else [jobs.c.updated_at >= changed_from]
    for part in chunks(names):
        rows = tx.conn.execute(
            select(jobs.c.id, jobs.c.name, job_refs.c.name.label("ref"))
            .join(job_refs, job_refs.c.job_id == jobs.c.id)
            .where(
                jobs.c.workspace_id == workspace_id,
                job_refs.c.kind == kind,
                job_refs.c.ref_workspace == "",
                job_refs.c.name.in_(part),
                *since,
            )
        )
        out += [(int(r.id), r.name, r.ref) for r in rows]
    return out


def jobs_depending_from(
    tx: Tx, project_id: str, workspace_name: str, names: Sequence[str], workspace_id: str
) -> list[tuple[str, str, str]]:
    """(workspace, job, upstream) of jobs in OTHER workspaces depending on these jobs (of the
    workspace of that name and id)."""
    out: list[tuple[str, str, str]] = []
    for part in chunks(names):
        found = depending_from(project_id, workspace_name, jobs.c.name, workspace_id=workspace_id)
        rows = tx.conn.execute(found.where(job_refs.c.name.in_(part)))
        out += [(r.workspace, r.name, r.ref) for r in rows]
    return out
