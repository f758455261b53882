"""Generated stories of the audit log (``tests/unit/services/test_generated_audit.py``): in two
workspaces and at project level, jobs created, changed, renamed and deleted by hand (by the
admin or a developer), a script changed, roles granted, access keys issued, sign-ins, imports
that create, overwrite, rename and delete jobs, imported jobs renamed or deleted by hand (and
the rollback of the newest import, refused after such a change), the clock
moving on by hours and days, and the housekeeping sweep under a drawn
``JOBFERRY_AUDIT_DAYS``. :class:`~support.audit_model.Model` says what every search must
answer after each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.audit_model import HAND, IMPORTED, Model
from support.builders import make_job
from support.planning import jobs_with_dependencies, write_objects
from support.release_stories import Step

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
TICK_MS = 1000
"""How far the clock moves before every step but one after ``still``, which starts in the
same millisecond as the step before it (entries written at once: newest first is then the
order they were written in)."""
MOVES = (HOUR_MS, 6 * HOUR_MS, 23 * HOUR_MS, DAY_MS - 2 * TICK_MS, DAY_MS, 2 * DAY_MS)
"""How far the clock moves in one step (a day less two ticks: a sweep the step after next,
keeping a day, cuts at the very moment of the step before)."""
ROLES = ("admin", "developer", "viewer")


@dataclass(frozen=True)
class AuditStory:
    """The steps, and the seed of the searches checked after each (which object, user,
    window…)."""

    steps: tuple[Step, ...]
    seed: int


_WS = st.integers(0, 1)


def _steps() -> st.SearchStrategy[Step]:
    verbs = st.sampled_from(("create", "update", "rename", "delete"))
    jobs = st.lists(st.sampled_from(IMPORTED), min_size=1, max_size=2, unique=True)
    imports = st.builds(  # mostly into one workspace: a second import there renames, deletes
        lambda ws, names, rename, delete: Step("import", (ws, tuple(names), rename, delete)),
        st.sampled_from((0, 0, 0, 1)),
        jobs,
        st.booleans(),
        st.booleans(),
    )
    return st.one_of(
        imports,
        imports,
        st.builds(lambda *a: Step("hand", a), _WS, verbs, st.integers(0, 1), st.booleans()),
        st.builds(lambda *a: Step("script", a), _WS, st.booleans()),
        st.builds(lambda *a: Step("retouch", a), st.sampled_from((0, 0, 1)), st.booleans()),
        st.builds(lambda *a: Step("grant", a), _WS, st.sampled_from(ROLES)),
        st.just(Step("key")),
        st.builds(lambda who: Step("signin", (who,)), st.booleans()),
        imports,
        st.builds(lambda ws: Step("rollback", (ws,)), _WS),
        st.builds(lambda ms: Step("clock", (ms,)), st.sampled_from(MOVES)),
        st.builds(lambda days: Step("sweep", (days,)), st.integers(1, 3)),
        st.just(Step("still")),
    )


@st.composite
def audit_stories(draw: st.DrawFn) -> AuditStory:
    """A story of 4 to 12 steps."""
    return AuditStory(
        steps=tuple(draw(st.lists(_steps(), min_size=4, max_size=12))),
        seed=draw(st.integers(0, 1000)),
    )


@dataclass(frozen=True)
class Cast:
    """A story's people and places: the admin's scope in each workspace, a developer's, and
    the user whose roles the story grants (their scopes, whatever role they hold)."""

    admin: list[Scope]
    dev: list[Scope]
    granted: list[Scope]

    @property
    def dev_name(self) -> str:
        return self.dev[0].actor.name

    @property
    def granted_name(self) -> str:
        return self.granted[0].actor.name


@dataclass(frozen=True)
class Package:
    """An import's package: its file, its objects ((kind, uid, name)), the uids of the jobs
    it deletes."""

    path: Path
    objects: list[tuple[str, str, str]]
    deleted: list[str]


def package(
    model: Model, ws: int, folder: Path, n: int, names: tuple[str, ...], rename: bool, drop: bool
) -> Package:
    """The ``n``-th package of a story: the jobs ``names`` (each in look ``n``: every job it
    holds is written) with what they use; ``drop``: the last job the workspace holds that
    it does not name, which the source deleted; ``rename``: the first other, under the
    first free name."""
    held = model.job_uids(ws)  # name → uid
    uids = {name: held.get(name, f"u-job-{name}-{n}") for name in names}
    others = sorted(set(held) - set(names))
    free = [name for name in IMPORTED if name not in held and name not in names]
    gone = [("job", held[others[-1]], others.pop())] if drop and others else []
    if rename and others and free:
        uids[free[0]] = held[others[0]]
    jobs = [make_job(name, description=f"look {n}") for name in sorted(uids)]
    objects = jobs_with_dependencies(*jobs)
    path = write_objects(folder / f"p{n}.zip", objects, uids=uids, deleted=tuple(gone))
    shown = [(kind, uids.get(name, f"id-{kind}-{name}"), name) for kind, name, _ in objects]
    return Package(path, shown, [uid for _, uid, _ in gone])


def hand_job(model: Model, ws: int, verb: str, pick: int) -> tuple[str, str, str | None]:
    """What a hand step does to the workspace's hand-made jobs: the verb it can (a create of
    a name held is an update, an update, rename or delete of none a create; a rename with no
    free name an update), the job, and the new name of a rename."""
    held = sorted(model.hand[ws])
    free = [name for name in HAND if name not in held]
    if not held or (verb == "create" and free):
        return "create", free[pick % len(free)], None
    name = held[pick % len(held)]
    if verb == "rename" and free:
        return "rename", name, free[0]
    if verb in ("rename", "create"):
        return "update", name, None
    return verb, name, None


def act_by_hand(
    services: Services, scope: Scope, verb: str, name: str, new: str | None, look: int
) -> None:
    """Take a hand step on job ``name`` through the job service."""
    if verb == "create":
        services.jobs.create(scope, make_job(name, description=f"hand {look}"))
    elif verb == "update":
        services.jobs.update(scope, name, make_job(name, description=f"hand {look}"))
    elif verb == "rename":
        assert new is not None
        services.jobs.rename(scope, name, new)
    else:
        services.jobs.delete(scope, name)


def deleted_renamed_and_rolled_back() -> AuditStory:
    """Imports that create two jobs, rename one while deleting the other, then the rollback
    of the second: the deleted job is back with its history, the renamed one under its old
    name; then the sweep drops the first day's entries."""
    steps = (
        Step("import", (0, ("ja", "jb"), False, False)),
        Step("hand", (0, "create", 0, True)),
        Step("clock", (DAY_MS,)),
        Step("import", (0, ("jc",), True, True)),
        Step("rollback", (0,)),
        Step("import", (1, ("jb",), False, False)),
        Step("clock", (DAY_MS + HOUR_MS,)),
        Step("sweep", (1,)),
        Step("rollback", (1,)),
    )
    return AuditStory(steps, 3)


def cut_at_an_entry() -> AuditStory:
    """The sweep keeping a day cuts at the very moment of an entry: the one before it goes,
    it stays, and a search from its moment on is told of nothing dropped."""
    steps = (
        Step("hand", (1, "create", 0, False)),
        Step("script", (1, True)),
        Step("clock", (DAY_MS - 2 * TICK_MS,)),
        Step("sweep", (1,)),
        Step("signin", (True,)),
    )
    return AuditStory(steps, 1)


def renamed_by_hand_then_imported() -> AuditStory:
    """An imported job renamed by hand (its import's rollback refused), then imported again
    under its new name (found by its id: one history), another deleted by hand and imported
    again (a new object, a new history), then the newest import rolled back."""
    steps = (
        Step("import", (0, ("ja", "jb"), False, False)),
        Step("retouch", (0, False)),
        Step("rollback", (0,)),
        Step("import", (0, ("jb", "jc"), False, False)),
        Step("retouch", (0, True)),
        Step("import", (0, ("jb",), False, False)),
        Step("still"),
        Step("rollback", (0,)),
    )
    return AuditStory(steps, 5)
