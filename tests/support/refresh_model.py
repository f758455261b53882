"""What a remote's shadow promises to hold after a refresh, as plain values to compare: the
model the generated refresh stories (``support/refresh_stories.py``) check the product with.

A **mirror** is what a workspace holds as a shadow shows it (docs/remotes.md, docs/design.md
"Remotes"): per job its definition (the server's keys left out, as the refresh hashes it), its
scheduling status and its latest submitted version (its name left out: a rename submits
nothing, so a version made before it keeps the old name); per script and resource its
definition; per environment variable its value; per data connection its type, settings and
which secret settings are set (never their values). :func:`remote_mirror` reads one from the
DataArts stand-in, :func:`shadow_mirror` from the shadow workspace.

- An online refresh brings the shadow to exactly the remote's mirror.
- A refresh from a DataArts batch export (a snapshot) brings the jobs' definitions to it (a job
  it lacks is gone), keeps each job's scheduling status (a new job is stopped) and its submitted
  versions (a new job has none), and keeps the scripts, resources and variables, which such an
  export does not hold (docs/remotes.md, "carry a snapshot").
- A refresh's counts say what it changed: :func:`counts_between` the shadow before and after,
  a job followed across a rename by its id (a rename is an update, the shadow job's id kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.connections import is_secret_key
from jobferry.domain.definitions import canonical
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.standin_workspace import DataArtsWorkspace
from support.workspace_state import workspace_state

Mirror = dict[tuple[str, str], Any]
"""(kind, name) → what is held of it (kinds: job, script, resource, variable)."""
KINDS = ("job", "script", "resource", "variable", "connection")
ACTIONS = ("created", "updated", "deleted", "unchanged")


def unnamed(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """A submitted version but its name (``None``: none)."""
    return None if doc is None else {k: v for k, v in canonical("job", doc).items() if k != "name"}


def _status(status: str) -> str:
    return status if status in ("SCHEDULING", "NORMAL") else "STOPPED"


def held_secrets(config: dict[str, Any]) -> list[str]:
    """The secret settings a connection's ``config`` has set, by name."""
    return sorted(k for k, v in config.items() if is_secret_key(k) and v)


def remote_mirror(ws: DataArtsWorkspace) -> Mirror:
    """What the stand-in's workspace ``ws`` holds, as a shadow mirroring it holds it."""
    held: Mirror = {}
    for name, job in ws.jobs.items():
        held[("job", name)] = {
            "document": canonical("job", job.doc),
            "status": _status(job.status),
            "submitted": unnamed(job.submitted[-1] if job.submitted else None),
        }
    for name, doc in ws.scripts.items():
        held[("script", name)] = canonical("script", doc)
    for doc in ws.resources.values():
        held[("resource", str(doc["name"]))] = canonical("resource", doc)
    for name, value in ws.variables.items():
        held[("variable", name)] = value
    for c in ws.connections.values():
        held[("connection", c.name)] = {
            "type": c.type,
            "config": {k: v for k, v in c.config.items() if not is_secret_key(k)},
            "secrets": held_secrets(c.config),
        }
    return held


@dataclass(frozen=True)
class Shadow:
    """A shadow workspace as read whole: its mirror, and each job's id (to follow a rename)."""

    mirror: Mirror
    ids: dict[str, Any]
    """Job name → the shadow job's id."""


def shadow_mirror(services: Services, scope: Scope) -> Shadow:
    """What the shadow workspace of ``scope`` holds, as :func:`remote_mirror` reads a remote."""
    state = workspace_state(services, scope.workspace.id)
    held: Mirror = {}
    ids: dict[str, Any] = {}
    for (kind, name), value in state.items():
        if kind == "job":
            latest = [v for v in value["versions"] if v[0] == value["latest_version"]]
            held[(kind, name)] = {
                "document": canonical("job", value["document"]),
                "status": value["status"],
                "submitted": unnamed(latest[0][2]) if latest else None,
            }
            ids[name] = value["id"]
        elif kind in ("script", "resource"):
            held[(kind, name)] = canonical(kind, value["document"])
    for variable in services.variables.list(scope):
        held[("variable", variable.name)] = variable.value
    for c in services.environment.list_objects(scope, "connection"):
        held[("connection", c.name)] = {
            "type": c.type,
            "config": dict(c.config),
            "secrets": sorted(c.secret_keys),
        }
    return Shadow(held, ids)


def after_snapshot(before: Mirror, remote: Mirror) -> Mirror:
    """What a refresh from a DataArts batch export of ``remote`` leaves of a shadow that held
    ``before``: the jobs' definitions as exported, each job's status and submitted version
    as the shadow had them under its name (a new one stopped, without one), and every script,
    resource and variable as it was."""
    held: Mirror = {key: value for key, value in before.items() if key[0] != "job"}
    for key, value in remote.items():
        if key[0] == "job":
            was = before.get(key) or {"status": "STOPPED", "submitted": None}
            held[key] = {**value, "status": was["status"], "submitted": was["submitted"]}
    return held


def after_jobferry_snapshot(before: Mirror, remote: Mirror) -> Mirror:
    """What a refresh from a jobferry export of the whole workspace ``remote`` leaves of a
    shadow that held ``before``: its jobs as :func:`after_snapshot` says, its scripts and
    resources as exported (whole), its variables as they were, and the connections the export
    requires that the shadow lacked registered (type, the names of the secrets set; no
    setting), those it had kept."""
    held = {k: v for k, v in after_snapshot(before, remote).items() if k[0] in ("job", "variable")}
    held.update({k: v for k, v in remote.items() if k[0] in ("script", "resource")})
    for key, value in remote.items():
        if key[0] == "connection":
            held[key] = before.get(key) or {**value, "config": {}}
    held.update({k: v for k, v in before.items() if k[0] == "connection"})
    return held


def _job_counts(before: Shadow, after: Shadow) -> tuple[dict[str, int], dict[str, int]]:
    jobs = {a: 0 for a in ACTIONS}
    submitted = {a: 0 for a in ACTIONS}
    was = {job_id: name for name, job_id in before.ids.items()}
    for name, job_id in after.ids.items():
        now = after.mirror[("job", name)]
        old_name = was.pop(job_id, None)
        old = None if old_name is None else before.mirror[("job", old_name)]
        if old is None:
            jobs["created"] += 1
        elif old_name != name or {**old, "submitted": 0} != {**now, "submitted": 0}:
            jobs["updated"] += 1
        else:
            jobs["unchanged"] += 1
        prior = None if old is None else old["submitted"]
        if prior == now["submitted"]:
            submitted["unchanged"] += 1
        elif now["submitted"] is None:
            submitted["deleted"] += 1
        else:
            submitted["updated" if prior is not None else "created"] += 1
    jobs["deleted"] = len(was)
    return jobs, submitted


def counts_between(before: Shadow, after: Shadow, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """What a refresh that took the shadow from ``before`` to ``after`` did, per kind of
    ``kinds`` (and ``submitted``, with the jobs): created, updated, deleted, unchanged."""
    counts: dict[str, Any] = {}
    for kind in kinds:
        if kind == "job":
            counts["job"], counts["submitted"] = _job_counts(before, after)
            continue
        old = {k[1]: v for k, v in before.mirror.items() if k[0] == kind}
        new = {k[1]: v for k, v in after.mirror.items() if k[0] == kind}
        counts[kind] = {
            "created": len(set(new) - set(old)),
            "updated": sum(1 for n in set(new) & set(old) if new[n] != old[n]),
            "deleted": len(set(old) - set(new)),
            "unchanged": sum(1 for n in set(new) & set(old) if new[n] == old[n]),
        }
    return counts


def nothing_written(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The kinds of ``counts`` the refresh created, updated or deleted something of."""
    return {
        kind: by_action
        for kind, by_action in counts.items()
        if any(n for action, n in by_action.items() if action != "unchanged")
    }


def changed_objects(before: Shadow, after: Shadow, kinds: tuple[str, ...] = KINDS) -> set[Any]:
    """(kind, name) of each object of ``kinds`` a change took the shadow from ``before`` to
    ``after`` wrote (a job renamed: under its new name; one deleted: under its last name)."""
    changed: set[Any] = set()
    was = {job_id: name for name, job_id in before.ids.items()}
    for name, job_id in after.ids.items():
        old_name = was.pop(job_id, None)
        now, old = after.mirror[("job", name)], before.mirror.get(("job", old_name or ""))
        if (
            old_name is None
            or old_name != name
            or {**old, "submitted": 0} != {**now, "submitted": 0}
        ):
            changed.add(("job", name))
    changed.update(("job", name) for name in was.values())
    for kind in kinds:
        if kind == "job":
            continue
        old_objects = {k: v for k, v in before.mirror.items() if k[0] == kind}
        new_objects = {k: v for k, v in after.mirror.items() if k[0] == kind}
        changed.update(
            k for k in {*old_objects, *new_objects} if old_objects.get(k) != new_objects.get(k)
        )
    return {c for c in changed if c[0] in kinds}
