"""A push's calls in dependency order: levels of :class:`~.writes.Step`, each level's calls
independent of one another (they may be in flight together), each level after the one before.

Stop the scheduled jobs the push must pause (and those it renames or deletes, which the remote
changes only when stopped); scripts and resources; renames (the v2 rename call); jobs, each
after the upstreams the push creates (an upstream the remote already holds, under its name or
the one it is renamed from, orders nothing: every update of existing jobs is one level, its
calls all in flight together); deletions downstream-first (jobs, then scripts and resources);
the scheduling restored. An object whose definition the remote already holds costs no call,
nor does a job that differs from it only in what no call carries (its description).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.remotes.calls import UNSENT_FIELDS
from jobferry.services.remotes.program import Program
from jobferry.services.remotes.reading import RemoteState
from jobferry.services.remotes.writes import Step, create, delete, rename, set_status, update

JOB, SCRIPT, RESOURCE = ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE


def levels(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """``names`` in levels, each name after its upstreams ((name, upstream) edges) among
    them; a cycle's names share the last level."""
    todo = sorted(set(names))
    ups: dict[str, set[str]] = {name: set() for name in todo}
    for name, upstream in edges:
        if name in ups and upstream in ups and upstream != name:
            ups[name].add(upstream)
    out: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(todo):
        ready = [n for n in todo if n not in done and ups[n] <= done]
        if not ready:
            ready = [n for n in todo if n not in done]
        out.append(ready)
        done.update(ready)
    return out


def _put(
    kind: ObjectKind, name: str, doc: dict[str, Any], state: RemoteState, was: str | None
) -> Step | None:
    """Create or overwrite one object (``was``: the name the remote holds it by, renamed
    before this call); ``None`` when the remote holds exactly ``doc``."""
    if was is None or not state.has(kind, was):
        return create(kind, name, doc)
    before = state.doc(kind, was)
    if _sent(kind, {**before, "name": name}) == _sent(kind, doc):
        return None  # what the call would carry is there (a description it cannot is left)
    return update(kind, name, doc, {**before, "name": name}, state.resource_ids.get(was))


def _sent(kind: ObjectKind, doc: dict[str, Any]) -> dict[str, Any]:
    """What of ``doc`` an update of ``kind`` carries (a job's body has no ``description``:
    ``calls.UNSENT_FIELDS``)."""
    unsent = UNSENT_FIELDS["update_job"] if kind is JOB else frozenset()
    return {k: v for k, v in doc.items() if k not in unsent}


def _stops(program: Program, state: RemoteState, renamed: dict[str, str]) -> list[Step]:
    deleted = [name for kind, name in program.deletes if kind == JOB]
    names = dict.fromkeys([*program.paused, *renamed, *deleted])
    return [
        set_status(name, False, state.status[name].value)
        for name in names
        if state.has(JOB, name) and state.status.get(name, JobStatus.STOPPED) != JobStatus.STOPPED
    ]


def _deletes(program: Program, state: RemoteState) -> list[list[Step]]:
    out: list[list[Step]] = []
    jobs = [name for kind, name in program.deletes if kind == JOB]
    for level in levels(jobs, program.deleted_edges):
        out.append([delete(JOB, n, state.doc(JOB, n), None) for n in level if state.has(JOB, n)])
    for kind in (SCRIPT, RESOURCE):
        names = [name for k, name in program.deletes if k == kind and state.has(kind, name)]
        out.append([delete(kind, n, state.doc(kind, n), state.resource_ids.get(n)) for n in names])
    return out


def _starts(program: Program, stops: list[Step], renamed: dict[str, str]) -> list[Step]:
    """Start again the jobs stopped first whose scheduling the push leaves running."""
    out = []
    for step in stops:
        name = renamed.get(step.name, step.name)
        if program.status.get(name, JobStatus.STOPPED) != JobStatus.STOPPED:
            out.append(set_status(name, True, JobStatus.STOPPED.value))
    return out


def _first(program: Program, state: RemoteState) -> list[Step]:
    """Scripts and resources."""
    puts = [
        _put(kind, name, doc, state, name)
        for kind in (SCRIPT, RESOURCE)
        for name, doc in program.puts[kind].items()
    ]
    return [step for step in puts if step is not None]


def _jobs(program: Program, state: RemoteState, was: dict[str, str]) -> list[list[Step]]:
    """The jobs' puts, each after the upstreams the push creates (``was``: new name → the
    name the remote holds the job by before its rename)."""
    jobs = program.puts[JOB]
    created = {name for name in jobs if not state.has(JOB, was.get(name, name))}
    out = []
    for level in levels(jobs, [(job, up) for job, up in program.edges if up in created]):
        puts = [_put(JOB, name, jobs[name], state, was.get(name, name)) for name in level]
        out.append([step for step in puts if step is not None])
    return out


def build(program: Program, state: RemoteState) -> list[list[Step]]:
    """The push's calls, level by level (empty levels left out)."""
    renamed = {old: new for kind, old, new in program.renames if kind == JOB}
    was = {new: old for old, new in renamed.items()}
    stops = _stops(program, state, renamed)
    out: list[list[Step]] = [stops, _first(program, state)]
    out.append([rename(old, new) for old, new in renamed.items() if state.has(JOB, old)])
    out.extend(_jobs(program, state, was))
    out.extend(_deletes(program, state))
    out.append(_starts(program, stops, renamed))
    return [level for level in out if level]
