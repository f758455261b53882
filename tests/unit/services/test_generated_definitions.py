"""Generated stories of the definitions API (``support/definition_stories.py``): jobs,
scripts and resources created, updated, renamed, started, stopped and deleted in one
workspace, valid or not, and a job of another workspace depending on one of its jobs or not.
Whatever the story, the calls keep the promises of the contract and docs/api.md:

- a refused step changes nothing the workspace holds (its tombstones included), and is
  refused with the documented code for its reason (a missing job DLF.0100, a taken job name
  DLF.0102, a scheduled job DLF.9011, a job other jobs depend on, here or in another
  workspace, or a script or resource jobs use, by their development state or their latest
  submitted version, DLF.9013, a missing rename source DLF.30100, a
  rename that would make a job depend on itself DLF.3025, a missing script DLF.6201, a taken
  script name DLF.0202, a missing resource DLF.6241, a taken resource name DLF.6259, an
  invalid definition its own code), and a taken step is never refused;
- show and list agree with what the steps made: each job's development state, each submitted
  version as it was submitted (numbered 1, 2, 3… as they were stored, the newest first in the
  list and the latest shown, none past them; a rename leaves them be), its scheduling state
  (``SCHEDULING``, a real-time job ``NORMAL``, else ``STOPPED``; its status ``NORMAL`` while
  scheduled), the jobs depending on it (in any workspace), what its page says the workspace
  lacks of what it names; each script with its versions and the jobs running it; each
  resource with the jobs that use it;
- a rename rewrites the dependencies on the job of every job of the workspace (by its cron,
  by name among its workspace's jobs, by a SubJob node), never another workspace's;
- a lock another user holds (the workspace's lock policy hard) refuses the changes of the
  job or script it locks, a rename rewriting a job it locks included (DLF.9012); a delete
  takes the lock with it; the locks listed are those held;
- every delete leaves a tombstone naming what it deleted;
- at a story's end, each folder lists the jobs, scripts and resources in it and counts those
  below it, the console's filters by scheduling state and the list's by tag find the jobs
  they name, and a list read a page at a time reads each object once.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import JobStatus, ListedStatus, LockPolicy, ObjectKind, Role
from jobferry.errors import JobferryError, VersionNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.folders import FolderQuery
from support.console import admin_scope
from support.definition_model import Model
from support.definition_stories import (
    ELSEWHERE,
    JobSpec,
    Step,
    act,
    definition_stories,
    elsewhere_body,
)
from support.import_stories import FOLDERS, definition, generated
from support.workspace_state import workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(12)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


def _check_jobs(
    services: Services, scope: Scope, model: Model, touched: set[str] | None = None
) -> None:
    """Every job agrees with the model; the versions of those ``touched`` (``None``: of
    all)."""
    listed: dict[str, Any] = {}
    for job_type in ("BATCH", "REAL_TIME"):
        total, page = services.jobs.list_jobs(
            scope, job_type=job_type, job_name=None, tags=None, limit=100, offset=0
        )
        assert total == len(page)
        listed.update({job.name: job for job in page})
    assert sorted(listed) == sorted(model.jobs)
    for name, held in model.jobs.items():
        summary = listed[name]
        realtime = held.spec.realtime
        assert summary.process_type.value == ("REAL_TIME" if realtime else "BATCH"), name
        running = JobStatus.NORMAL if realtime else JobStatus.SCHEDULING
        assert summary.status == (running if held.started else JobStatus.STOPPED), name
        assert summary.version == (len(held.versions) or None), name
        shown = services.jobs.show(scope, name, dependencies=True)
        assert shown.document == model.doc(name), name
        assert shown.version == (len(held.versions) or None), name
        assert shown.downstream is not None
        downstream = sorted((d.workspace, d.job_name) for d in shown.downstream)
        expected = [(scope.workspace.name, job) for job in model.users("job", name)]
        if model.elsewhere == name:
            expected.append((f"{scope.workspace.name}_other", ELSEWHERE))
        assert downstream == sorted(expected), name
        if touched is None or name in touched:
            _check_versions(services, scope, name, held.versions)
            _check_detail(services, scope, model, name)


def _check_detail(services: Services, scope: Scope, model: Model, name: str) -> None:
    """A job's page: its state, versions, and the scripts, resources and jobs of its
    workspace it names that the workspace lacks."""
    held = model.jobs[name]
    detail = services.jobs.detail(scope, name)
    assert detail.job.document == model.doc(name)
    assert detail.state == services.jobs.status(scope, name)
    assert detail.state.status == (JobStatus.NORMAL if held.started else JobStatus.STOPPED)
    assert [v.version for v in detail.versions] == list(range(len(held.versions), 0, -1))
    spec = held.spec
    named = {("script", spec.script), *(("job", job) for job in spec.upstream)}
    if spec.resource is not None:
        named.add(("resource", spec.resource))
    lacking = {
        (kind, n)
        for kind, n in named
        if n not in {"script": model.scripts, "resource": model.resources, "job": model.jobs}[kind]
    }
    assert detail.missing == lacking, name


def _check_versions(
    services: Services, scope: Scope, name: str, versions: list[dict[str, Any]]
) -> None:
    """Each submitted version of job ``name`` as it was submitted (under its name then),
    shown under the job's name now; the newest first in the list, and as the latest; none
    past them."""
    for number, submitted in enumerate(versions, start=1):
        shown = services.jobs.show(scope, name, version=number)
        assert (shown.name, shown.version, shown.document) == (name, number, submitted)
    listed = [v.version for v in services.comparisons.versions(scope, ObjectKind.JOB, name)]
    assert listed == list(range(len(versions), 0, -1)), name
    if versions:
        assert services.jobs.show(scope, name, submitted=True).document == versions[-1]
    with pytest.raises(VersionNotFoundError):
        services.jobs.show(scope, name, version=len(versions) + 1)


def _check_scripts_and_resources(services: Services, scope: Scope, model: Model) -> None:
    total, scripts = services.scripts.list_scripts(scope, script_name=None, limit=100, offset=0)
    assert sorted(s.name for s in scripts) == sorted(model.scripts)
    assert total == len(scripts)
    for script in scripts:
        held = model.scripts[script.name]
        assert script.document == definition("script", script.name, held.look)
        assert script.version == (len(held.versions) or None), script.name
        detail = services.scripts.detail(scope, script.name)
        assert [v.version for v in detail.versions] == list(range(len(held.versions), 0, -1))
        assert detail.jobs == model.users("script", script.name)
    total, resources = services.resources.list_resources(
        scope, resource_name=None, limit=100, offset=0
    )
    assert {r.name: r.id for r in resources} == model.resource_ids
    assert total == len(resources)
    for resource in resources:
        shown = services.resources.show(scope, resource.id)
        assert shown.document == definition("resource", shown.name, model.resources[shown.name])
        assert shown.users is not None
        assert sorted(u.job_name for u in shown.users) == model.users("resource", shown.name)


def _workspaces(services: Services) -> tuple[Scope, Scope, Scope]:
    """The bootstrap admin in a workspace of the story's own (hypothesis tells a test's
    stories on one database), under the hard lock policy; the admin in another workspace,
    whose one job may depend on the story's; a developer of the story's workspace, who locks
    its jobs and scripts."""
    admin = admin_scope(services)
    n = next(_SERIAL)
    story, other = (
        admin_scope(
            services,
            services.accounts.create_workspace(admin.actor, admin.actor.project_id, name),
        )
        for name in (f"stories{n}", f"stories{n}_other")
    )
    services.jobs.create(other, elsewhere_body(story.workspace.name, None))
    from support.releases import person  # heavy at import: only when a story is told

    locker = person(services, story.workspace.id, f"locker{n}", Role.DEVELOPER)
    hard = replace(story, workspace=replace(story.workspace, lock_policy=LockPolicy.HARD.value))
    return hard, other, locker


def _under(folder: str, directory: str) -> bool:
    return folder == "/" or f"{directory}/".startswith(f"{folder}/")


def _check_listings(services: Services, scope: Scope, model: Model) -> None:
    """The folders' listings, the job filters (scheduling state, tag) and paging agree with
    the model (read at a story's end: every step's checks above read each object)."""
    directories = {
        ObjectKind.JOB: {n: model.doc(n)["directory"] for n in model.jobs},
        ObjectKind.SCRIPT: {n: FOLDERS[h.look % len(FOLDERS)] for n, h in model.scripts.items()},
        ObjectKind.RESOURCE: {
            n: FOLDERS[look % len(FOLDERS)] for n, look in model.resources.items()
        },
    }
    for kind, held in directories.items():
        for folder in ("/", *FOLDERS):
            shown = services.folders.page(scope, kind, FolderQuery(folder=folder))
            assert shown.count == sum(_under(folder, d) for d in held.values()), (kind, folder)
            own = sorted(n for n, d in held.items() if d == folder)
            assert sorted(item.name for item in shown.items) == own, (kind, folder)
    states = {
        ListedStatus.SCHEDULED: [n for n, h in model.jobs.items() if h.started],
        ListedStatus.STOPPED: [n for n, h in model.jobs.items() if not h.started],
        ListedStatus.UNSUBMITTED: [n for n, h in model.jobs.items() if not h.versions],
    }
    for status, names in states.items():
        shown = services.folders.page(scope, ObjectKind.JOB, FolderQuery(status=status))
        assert shown.count == len(names), status
    for tag in ("t0", "t1"):
        tagged = sorted(n for n, h in model.jobs.items() if f"t{h.spec.look % 2}" == tag)
        listed = []
        for job_type in ("BATCH", "REAL_TIME"):
            _, page = services.jobs.list_jobs(
                scope, job_type=job_type, job_name=None, tags=tag, limit=100, offset=0
            )
            listed += [job.name for job in page]
        assert sorted(listed) == tagged, tag
    paged: list[str] = []
    for offset in range(len(model.scripts) + 1):
        total, page = services.scripts.list_scripts(scope, script_name=None, limit=1, offset=offset)
        assert total == len(model.scripts)
        paged += [script.name for script in page]
    assert paged == sorted(model.scripts)


def _tell(services: Services, steps: tuple[Step, ...]) -> None:
    scopes = _workspaces(services)
    scope = scopes[0]
    model = Model(scope.workspace.name)
    state = workspace_state(services, scope.workspace.id)
    for step in steps:
        expected = model.refusal(step)
        event(f"{step.act}: {expected.__name__ if expected else 'taken'}")
        before = state
        refused: JobferryError | None = None
        try:
            answer = act(services, scopes, model, step)
        except JobferryError as error:
            refused = error
        state = workspace_state(services, scope.workspace.id)
        if refused is None:
            assert expected is None, f"{step!r} was taken; expected {expected}"
            model.take(step, answer)
        else:
            note(f"{step!r} refused: {refused.code} {refused}")
            assert expected is not None, f"{step!r} was refused: {refused}"
            assert (type(refused), refused.code) == (expected, expected.code), step
            assert state == before, step
        locks = {(lock.kind.value, lock.name) for lock in services.governance.list_locks(scope)}
        assert locks == model.locks, step
        if refused is not None:
            continue  # the workspace holds what it did: what it answered was checked then
        tombstones = sorted(
            (key[1].split(":")[0], held["name"])
            for key, held in state.items()
            if key[0] == "tombstone"
        )
        assert tombstones == sorted(model.deleted), step
        _check_jobs(services, scope, model, {a for a in step.args if isinstance(a, str)})
        _check_scripts_and_resources(services, scope, model)
    _check_jobs(services, scope, model)
    _check_listings(services, scope, model)


def renamed_onto_its_own_upstream() -> tuple[Step, ...]:
    """jb depends on jc (not there), is renamed jc: refused, as it would depend on itself
    (a rename that made such a job left one no delete could take)."""
    return (
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("job", ("create", "jb", JobSpec("sa", None, ("jc",), 0, "UTC"), "SUBMITTED")),
        Step("rename", ("jb", "jc")),
        Step("delete_job", ("jb",)),
    )


def started_then_real_time() -> tuple[Step, ...]:
    """ja started, then updated to real-time: scheduled still, as a real-time job is
    (``NORMAL``, not the batch job's ``SCHEDULING``)."""
    real_time = JobSpec("sa", None, (), 0, None, realtime=True)
    return (
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("job", ("create", "ja", JobSpec("sa", None, (), 0, "UTC"), "SUBMITTED")),
        Step("start", ("ja",)),
        Step("job", ("update", "ja", real_time, "SUBMITTED")),
    )


def held_elsewhere_and_scheduled() -> tuple[Step, ...]:
    """The other workspace's job depends on ja: ja's delete and rename are refused; jb
    started: its rename and delete are refused too; jb calls jc as a sub job, then renamed jc,
    calls itself."""
    sub = JobSpec("sa", None, ("jc",), 1, None, link="subjob")
    return (
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("job", ("create", "ja", JobSpec("sa", None, (), 0, "UTC"), "SUBMITTED")),
        Step("job", ("create", "jb", sub, "SUBMITTED")),
        Step("elsewhere", ("ja",)),
        Step("delete_job", ("ja",)),
        Step("rename", ("ja", "jd")),
        Step("start", ("jb",)),
        Step("rename", ("jb", "jd")),
        Step("delete_job", ("jb",)),
        Step("stop", ("jb",)),
        Step("rename", ("jb", "jc")),
        Step("delete_job", ("jc",)),
    )


def used_by_submitted_versions_alone() -> tuple[Step, ...]:
    """ja and jb were submitted using sa, ra and ja, then saved using none of them: their
    submitted versions still do, so sa, ra and ja are not deleted (nor ra renamed) until both
    are submitted again."""
    using = JobSpec("sa", "ra", (), 0, "UTC")
    apart = JobSpec("sb", None, (), 1, "UTC")
    return (
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("script", ("create", "sb", 1, "SUBMITTED")),
        Step("resource", ("create", "ra", 0, None)),
        Step("job", ("create", "ja", using, "SUBMITTED")),
        Step("job", ("create", "jb", JobSpec("sa", None, ("ja",), 0, "UTC"), "SUBMITTED")),
        Step("job", ("put", "ja", apart, "SAVED")),
        Step("job", ("put", "jb", apart, "SAVED")),
        Step("delete_script", ("sa",)),
        Step("delete_resource", ("ra",)),
        Step("resource", ("update", "ra", 1, "rb")),
        Step("delete_job", ("ja",)),
        Step("job", ("put", "ja", apart, "SUBMITTED")),
        Step("job", ("put", "jb", apart, "SUBMITTED")),
        Step("delete_job", ("ja",)),
        Step("delete_script", ("sa",)),
        Step("delete_resource", ("ra",)),
    )


def renamed_with_dependents() -> tuple[Step, ...]:
    """jb depends on ja as on a job of another workspace naming its own, jc on ja and jb
    among its workspace's jobs: ja renamed jd, both follow (their versions do not; jb is no
    job of another workspace, whose dependents refuse a rename), once jc's lock, held by another
    user, is released; jd then in use."""
    own = JobSpec("sa", None, ("ja",), 1, "UTC", link="own")
    same = JobSpec("sa", None, ("ja", "jb"), 2, "Europe/Paris", link="same")
    return (
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("job", ("create", "ja", JobSpec("sa", None, (), 0, "UTC"), "SUBMITTED")),
        Step("job", ("create", "jb", own, "SUBMITTED")),
        Step("job", ("create", "jc", same, "SUBMITTED")),
        Step("lock", ("job", "jc")),
        Step("rename", ("ja", "jd")),
        Step("unlock", ("job", "jc")),
        Step("rename", ("ja", "jd")),
        Step("delete_job", ("jd",)),
        Step("rename", ("jd", "ja")),
    )


@GENERATED
@given(story=definition_stories())
@example(story=renamed_onto_its_own_upstream())
@example(story=started_then_real_time())
@example(story=held_elsewhere_and_scheduled())
@example(story=renamed_with_dependents())
@example(story=used_by_submitted_versions_alone())
def test_definition_stories_keep_the_api_s_promises(
    services: Services, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    _tell(services, story)
