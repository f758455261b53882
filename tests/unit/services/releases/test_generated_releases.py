"""Generated release stories in an enterprise workspace (``support/release_stories.py``):
development changing, packages made of drawn pending items, approved (under a drawn rule of
signed approvals, keys revoked now and then), deployed, cancelled and planned again,
production's jobs started and stopped by hand, the last release rolled back (in the request
or by a task), production restored to an earlier release (by package or ledger entry; its
plan applied after production moved, now and then).
Whatever the story, enterprise mode keeps its promises (docs/design.md, Releases):

- a deploy does what its kept plan says and nothing else, and production then holds each
  packaged object as development submitted it; its ledger entry names its package, deployer,
  the approvals that counted and the jobs it started;
- a refused step (a package breaking a rule, an approval by the applicant or by someone the
  package does not name, a deploy without its approvals or of a plan an object it touches
  moved from in production since (naming such objects, only them), a rollback of what is
  not the newest release or of a production changed since, a hand edit in production)
  changes nothing, and is refused only for such a reason;
- a rollback of the last release gives back what it wrote as it was before it;
- a restore gives production the definitions it held right after that release, scheduling
  as production has it (the jobs it brings back stopped); one whose production moved between
  its plan and its apply (another release, a rollback, another restore, a job started or
  stopped by hand) is refused only then, naming each job and script that moved;
- each ledger entry says what its release, rollback or restore left, the ledger's replay
  says what production holds, and read at a release's moment, what it held then;
- pending items come and go as documented: one open item per object, a submit adds or
  updates it, a save alone does not, a deletion keeps one unless production never held the
  object, a rename back to production's name with nothing submitted since leaves none, a
  package takes its items, a cancel gives them back, a release, rollback or restore brings
  none back; each says the version production holds (``deployed_version``), and so does
  each item of a package still waiting;
- an import as released of what development submitted (outside the ledger: no entry) gives
  production each submitted object's latest version, its scheduling as it was, and tells
  the items of what it wrote that production holds that version; it is refused only for a
  job production has scheduled (the import told to refuse it) or a script or job a job
  names that neither the package nor production holds, and then changes nothing (the
  export of the submitted versions, only while development holds what it never submitted).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import event, example, given, note

from jobferry.domain.enums import PlanAction, Role, RollbackRule, TaskKind, TaskStatus
from jobferry.domain.releases import DeployStatus, StartupMode, UpdateType
from jobferry.errors import BasisChangedError, JobferryError, RollbackRefusedError
from jobferry.package.keys import KeyPair
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.releases.records import DeployRequest, PackageQuery
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.storage import ledger as ledger_repo
from jobferry.storage.approvals import plan_approvals
from jobferry.storage.releases import ItemRecord
from support.import_chains import changed
from support.import_stories import generated
from support.plan_checks import assert_as_planned, left_by
from support.promotion_stories import SCRIPTS
from support.release_stories import (
    ReleaseStory,
    Step,
    cancelled_after_a_rollback,
    deleted_then_rolled_back,
    develop,
    release_stories,
    released_outside_the_ledger,
    released_past_a_cancel,
    released_unchanged,
    restored_past,
    stale_plan,
)
from support.releases import (
    Team,
    approve_package,
    connected_team,
    import_as_released,
    make_package,
    pending_items,
    person,
    production_of,
    register_key,
    run_release,
)
from support.workspace_state import State, definitions, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(12)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
DEV_ACTS = ("job", "script", "rename", "delete")
T = TypeVar("T")


Versions = dict[tuple[str, str], int]
"""(kind, development uid) → the development version production holds (absent: none)."""


@dataclass
class Package:
    """A package made: its id, what it carries (kind, name) → definition, and who signed
    its plan as it stands."""

    package_id: int
    carried: dict[tuple[str, str], Any]
    planned: State
    """Production when its plan was made."""
    named: set[str]
    """The names of its approvers."""
    signed: set[str] = field(default_factory=set)
    state: str = "waiting"
    """"waiting", "released" or "cancelled"."""


@dataclass
class Released:
    """A release: its package, production before and after it, and the plan it applied."""

    package_id: int
    before: State
    after: State
    plan: Plan
    versions: tuple[Versions, Versions]
    """The development versions production held before and after it."""
    entry_id: int = 0
    """Its ledger entry."""
    rolled_back: bool = False


@dataclass
class Story:
    """A story being told in one enterprise workspace."""

    services: Services
    team: Team
    second: Scope
    required: int
    keys: dict[str, KeyPair]
    packages: list[Package] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)
    newest: str = ""
    """The ledger's newest entry's action ("": none yet)."""
    versions: Versions = field(default_factory=dict)

    @classmethod
    def of(cls, services: Services, required: int) -> Story:
        n = next(_SERIAL)
        team = connected_team(services, f"w{n}")
        second = person(services, team.workspace_id, f"w{n}_ada", Role.DEPLOYER)
        if required:
            services.release_approvals.set_rule(team.admin, {"requireApprovals": required})
        people = {"deployer": team.deployer, "second": second, "applicant": team.developer}
        keys = {who: register_key(services, scope) for who, scope in people.items()}
        return cls(services, team, second, required, keys)

    # -- reading ---------------------------------------------------------------------------

    @property
    def production(self) -> Scope:
        return production_of(self.services, self.team)

    def dev(self) -> State:
        return workspace_state(self.services, self.team.workspace_id)

    def prod(self) -> State:
        return workspace_state(self.services, self.team.admin.workspace.production_id or "")

    def items(self) -> list[ItemRecord]:
        return pending_items(self.services, self.team.developer)

    def whole(self) -> Any:
        """Everything a refused step must leave as it was."""
        _, listed = self.services.releases.packages(self.team.admin, PackageQuery(limit=100))
        packages = [
            (v.record.id, v.status, v.record.plan_id, v.record.delete_flag, v.record.task_id)
            for v in listed
        ]
        signed = plan_approvals
        with self.services.db.transaction(readonly=True) as tx:
            approvals = tx.conn.execute(
                sa.select(signed).where(signed.c.workspace_id == self.team.workspace_id)
            ).all()
            entries = ledger_repo.count_entries(tx, self.team.workspace_id, None)
        return self.dev(), self.prod(), self.items(), packages, sorted(approvals), entries

    def pick(self, index: int, state: str | None = None) -> Package | None:
        """A package in ``state``; with none named, most often a waiting one (the rest of
        the time any: one released or cancelled is refused)."""
        chosen = [p for p in self.packages if p.state == (state or "waiting")]
        if state is None and (not chosen or index % 4 == 3):
            chosen = self.packages
        return chosen[index % len(chosen)] if chosen else None

    # -- steps -----------------------------------------------------------------------------

    def take(self, step: Step) -> None:
        if step.act in DEV_ACTS:
            self.develop(step)
        else:
            getattr(self, step.act)(*step.args)

    def refused(self, before: Any, what: str, error: JobferryError) -> None:
        note(f"{what} refused: {error.code} {error}")
        event(f"{what} refused {type(error).__name__}")
        assert self.whole() == before, f"the refused {what} changed something"

    def develop(self, step: Step) -> None:
        before, items = self.dev(), self.items()
        took = develop(self.services, self.team.developer, step)
        after, now = self.dev(), self.items()
        if not took:
            assert (after, now) == (before, items), step
            return
        check_items(now, after)
        if step.act in ("job", "script") and not step.args[-1]:  # saved, not submitted
            assert now == items, "a save alone changed the pending items"
        elif step.act in ("job", "script"):
            name = step.args[0]
            held = after[(step.act, name)]
            # A deleted object's item may wait under the same name (another uid).
            found = [
                i
                for i in now
                if (i.kind, i.name) == (step.act, name) and i.update_type != UpdateType.DELETE
            ]
            assert len(found) == 1, found
            assert found[0].pending_version == held["latest_version"]
            add = UpdateType.ADD if found[0].deployed_version == 0 else UpdateType.CHANGE
            assert found[0].update_type == add
        elif step.act == "delete":
            self.check_deleted(before[(kind_of(step.args[0]), step.args[0])], now)
        else:
            self.check_renamed(after[("job", step.args[1])], items, now)

    def carried(self, kind: str, uid: str) -> bool:
        """Whether a waiting package carries the object."""
        return any(
            (i.kind, i.uid) == (kind, uid)
            for p in self.packages
            if p.state == "waiting"
            for i in self.shown(p).items
        )

    def check_deleted(self, held: dict[str, Any], now: list[ItemRecord]) -> None:
        """A deletion keeps an item, unless production holds nothing of the object and no
        waiting package carries it (docs/design.md, pending items)."""
        kind = "job" if "uid" in held else "script"
        uid = str(held.get("uid", held["id"]))
        found = [i for i in now if (i.kind, i.uid) == (kind, uid)]
        kept = in_production(self.prod(), kind, uid) is not None or self.carried(kind, uid)
        event(f"deleted, an item kept: {kept}")
        assert [i.update_type for i in found] == ([UpdateType.DELETE] if kept else []), found

    def check_renamed(
        self, held: dict[str, Any], items: list[ItemRecord], now: list[ItemRecord]
    ) -> None:
        """A rename of a submitted job keeps an item under the new name, but a rename back to
        the name production holds it by, with nothing submitted since its release (and no
        waiting package carrying it), leaves none; a job never submitted, nothing."""
        if held["latest_version"] is None:
            assert now == items, "a job never submitted renamed: an item"
            return
        uid, name = held["uid"], held["document"]["name"]
        found = [i for i in now if (i.kind, i.uid) == ("job", uid)]
        back = (
            in_production(self.prod(), "job", uid) == name
            and self.versions.get(("job", uid)) == held["latest_version"]
            and not self.carried("job", uid)
        )
        event(f"renamed back: {back}")
        assert [i.name for i in found] == ([] if back else [name]), found

    def package(self, chosen: list[int] | None, approvers: str, extra: str) -> None:
        items, before = self.items(), self.whole()
        picked = (
            items if chosen is None else [items[i % len(items)] for i in chosen] if items else []
        )
        picked = list({i.id: i for i in picked}.values())
        taken = [i for p in self.packages if p.state == "waiting" for i in self.shown(p).items]
        if extra == "taken" and taken:
            picked.append(taken[0])
        elif extra == "none":
            picked = []
        names = {
            "deployer": [self.team.deployer],
            "both": [self.team.deployer, self.second],
            "second": [self.second],
            "applicant": [self.team.developer],
            "developer": [self.team.developer, self.team.deployer],
        }[approvers]
        broken = not picked or picked[-1] in taken or approvers in ("applicant", "developer")
        broken = broken or len(names) < self.required
        dev = self.dev()
        made, error = attempt(
            lambda: make_package(self.services, self.team, f"p{len(self.packages)}", picked, names)
        )
        if error is not None:
            self.refused(before, "package", error)
            # Not broken, it is refused for its plan's problems (a job's script neither in
            # production nor packaged: docs/design.md, a package freezes its content).
            assert broken or error.context.get("problems"), error
            return
        assert made is not None
        assert not broken, "a package breaking a rule was made"
        event("package made")
        carried = {}
        for item in self.shown_id(made).items:
            if item.update_type != UpdateType.DELETE:
                versions = dev[(item.kind, item.name)]["versions"]
                submitted = next(d for v, _, d in versions if v == item.pending_version)
                # A job renamed since its submit travels under its new name (its item's).
                carried[(item.kind, item.name)] = {**submitted, "name": item.name}
        assert {i.id for i in self.items()} == {i.id for i in items} - {i.id for i in picked}
        named = {a["user_name"] for a in self.shown_id(made).record.approver_list()}
        self.packages.append(Package(made, carried, self.prod(), named))

    def shown(self, package: Package) -> Any:
        return self.shown_id(package.package_id)

    def shown_id(self, package_id: int) -> Any:
        return self.services.releases.show(self.team.admin, package_id)

    def approve(self, index: int, who: str, package: Package | None = None) -> None:
        package = package or self.pick(index, "waiting")
        if package is None:
            return
        before = self.whole()
        scope = {"deployer": self.team.deployer, "second": self.second}.get(who)
        named = package.named
        signer, pair = scope or self.team.developer, self.keys[who]
        _, error = attempt(lambda: approve_package(self.services, signer, package.package_id, pair))
        if error is not None:
            self.refused(before, "approval", error)
            # Never the applicant, only an approver the package names (docs/design.md).
            assert scope is None or scope.actor.name not in named, "refused for no reason"
            return
        assert scope is not None, "the applicant approved their own package"
        assert scope.actor.name in named, f"{who}, not named, approved"
        package.signed.add(who)
        event("approved")

    def deploy(self, index: int, start: bool, package: Package | None = None) -> None:
        package = package or self.pick(index)
        if package is None:
            return
        before, prod = self.whole(), self.prod()
        record, items = self.shown(package).record, self.items()
        mode = StartupMode.START if start else StartupMode.LEAVE
        request = DeployRequest((package.package_id,), mode)
        _, error = attempt(lambda: self.services.releases.deploy(self.team.deployer, request))
        moved = self.moved(package, prod)
        if error is not None:
            self.refused(before, "deploy", error)
            if isinstance(error, BasisChangedError):
                self.check_moved(error, moved)
                return
            assert (
                package.state != "waiting"
                or len(package.signed) < self.required
                or self.team.deployer.actor.name not in package.named
            ), f"deploy refused for no reason: {error}"
            return
        # Deployed: no object it touches was defined otherwise since its plan.
        assert not {k for k, how in moved.items() if how == "defined"}, (
            "a plan production moved from"
        )
        assert package.state == "waiting", f"a {package.state} package was deployed"
        assert len(package.signed) >= self.required, "deployed without its approvals"
        # Deployed by one of its approvers (checks.may_deploy).
        assert self.team.deployer.actor.name in package.named
        plan = self.services.imports.plans.plan(self.production, record.plan_id or "")
        run_release(self.services)
        after = self.prod()
        assert definitions(self.dev()) == definitions(before[0]), "a deploy changed development"
        assert waiting(self.items()) == waiting(items), "a deploy changed the pending items"
        view = self.shown(package)
        event(f"deploy {view.status}")
        if view.status is not DeployStatus.SUCCESS:
            assert after == prod, "a failed release changed production"
            return
        assert plan.lines_total == len(plan.lines)
        assert_as_planned(plan, package.carried, prod, after)
        for key, document in package.carried.items():
            assert after[key]["document"] == document, key
        package.state = "released"
        versions = dict(self.versions)
        for item in view.items:
            self.versions[(item.kind, item.uid)] = (
                0 if item.update_type == UpdateType.DELETE else item.pending_version
            )
        self.newest = "deploy"
        entry = self.check_ledger("deploy")
        self.released.append(
            Released(
                package.package_id, prod, after, plan, (versions, dict(self.versions)), entry.id
            )
        )
        assert (entry.package_id, entry.deployer) == (
            package.package_id,
            self.team.deployer.actor.name,
        )
        signers = {a["user_name"] for a in json.loads(entry.approvals)}
        people = {"deployer": self.team.deployer, "second": self.second}
        assert signers == {people[who].actor.name for who in package.signed}
        created = {ln.name for ln in plan.lines if ln.action is PlanAction.CREATE}
        started = {n for n in created if ("job", n) in after} if start else set()
        assert set(entry.started_jobs()) == started
        for name in started:
            assert after[("job", name)]["status"] == "SCHEDULING", name

    def moved(self, package: Package, prod: State) -> dict[tuple[str, str], str]:
        """(kind, name) → how each object the package touches moved in production since it
        was planned ("defined" otherwise, or a job "scheduled" otherwise): each object of its
        items, under the item's name and the name production held it by then."""
        touched = set()
        for item in self.shown(package).items:
            touched.add((item.kind, item.name))
            held = in_production(package.planned, item.kind, item.uid)
            if held is not None:
                touched.add((item.kind, held))
        found = {}
        for key in touched:
            then, now = package.planned.get(key), prod.get(key)
            if (then or {}).get("document") != (now or {}).get("document"):
                found[key] = "defined"
            elif then is not None and now is not None and then.get("status") != now.get("status"):
                found[key] = "scheduled"
        return found

    def check_moved(self, error: JobferryError, moved: dict[tuple[str, str], str]) -> None:
        """A deploy refused for production's changes: only when an object the package
        touches moved since its plan, naming such objects, and only them."""
        named = {(c["kind"], c["name"]) for c in error.context.get("changed") or []}
        event(f"deploy refused: production moved ({', '.join(sorted(set(moved.values())))})")
        assert moved, f"deploy refused for production's changes, none of its objects moved: {error}"
        assert named, f"the refusal names no object: {error}"
        assert named <= set(moved), (named, moved, str(error))
        for kind, name in named:
            assert f"{kind} '{name}'" in str(error), (kind, name, str(error))

    def release(self, start: bool) -> None:
        """Every pending item packaged, approved by both deployers, deployed."""
        made = len(self.packages)
        self.package(None, "both", "")
        if len(self.packages) > made:
            for who in ("deployer", "second"):
                self.approve(0, who, self.packages[-1])
            self.deploy(0, start, self.packages[-1])

    def cancel(self, index: int) -> None:
        package = self.pick(index)
        if package is None:
            return
        before, items = self.whole(), self.items()
        carried = self.shown(package).items
        cancelled = (package.package_id,)
        _, error = attempt(lambda: self.services.releases.cancel(self.team.deployer, cancelled))
        if error is not None:
            self.refused(before, "cancel", error)
            assert package.state != "waiting", "refused for no reason"
            return
        assert package.state == "waiting"
        package.state = "cancelled"
        open_now = {(i.kind, i.uid) for i in self.items()}
        back = {(i.kind, i.uid) for i in carried if self.pending_again(i)}
        assert back | {(i.kind, i.uid) for i in items} == open_now

    def pending_again(self, item: ItemRecord) -> bool:
        """Whether a cancelled package's ``item`` is pending again: not when production holds
        its version or a newer one under its name (a later package released it), nor a
        deletion of what production no longer holds (docs/api.md, cancel)."""
        deployed = self.versions.get((item.kind, item.uid), 0)
        if item.update_type == UpdateType.DELETE:
            return bool(deployed) or self.carried(item.kind, item.uid)
        if item.pending_version != deployed:
            return item.pending_version > deployed
        return in_production(self.prod(), item.kind, item.uid) != item.name

    def replan(self, index: int) -> None:
        package = self.pick(index)
        if package is None:
            return
        before = self.whole()
        hashed = self.services.release_approvals.approvals(self.team.admin, package.package_id)
        try:
            self.services.releases.replan(self.team.deployer, package.package_id)
        except JobferryError as error:
            self.refused(before, "replan", error)
            return
        assert package.state == "waiting"
        package.planned = self.prod()
        now = self.services.release_approvals.approvals(self.team.admin, package.package_id)
        if now.document()["planHash"] != hashed.document()["planHash"]:
            package.signed = set()  # signed another plan hash: they no longer count

    def prod_toggle(self, index: int) -> None:
        prod = self.prod()
        jobs = sorted(name for kind, name in prod if kind == "job")
        if not jobs:
            return
        name = jobs[index % len(jobs)]
        if prod[("job", name)]["status"] == "SCHEDULING":
            self.services.jobs.stop(self.production, name)
        else:
            try:
                self.services.jobs.start(self.production, name)
            except JobferryError as error:
                note(f"start refused: {error}")
        now = self.prod()
        changed = {k for k in prod.keys() | now.keys() if prod.get(k) != now.get(k)}
        assert changed <= {("job", name)}, changed  # its scheduling, nothing else

    def prod_edit(self, index: int) -> None:
        prod, before = self.prod(), self.whole()
        jobs = sorted(name for kind, name in prod if kind == "job")
        if not jobs:
            return
        name = jobs[index % len(jobs)]
        body = {**prod[("job", name)]["document"], "description": "by hand in production"}
        with pytest.raises(JobferryError) as refused:
            self.services.jobs.update(self.production, name, body)
        assert refused.value.code == "DLF.9070"  # only a release changes production
        with pytest.raises(JobferryError) as deleted:
            self.services.jobs.delete(self.production, name)
        assert deleted.value.code == "DLF.9070"
        assert self.whole() == before

    def rollback(self, queued: bool = False) -> None:
        before, now = self.whole(), self.prod()
        last = next((r for r in reversed(self.released) if not r.rolled_back), None)
        wrote = set() if last is None else changed(last.before, last.after)
        untouched = last is not None and all(now.get(k) == last.after.get(k) for k in wrote)
        may = self.newest == "deploy" and untouched
        done, error = attempt(lambda: self.roll_back(queued))
        if error is not None:
            self.refused(before, "rollback", error)
            # Only the ledger's newest entry, a release, and only while production holds
            # what it left (docs/design.md, rollback of the last release).
            assert not may, f"rollback refused for no reason: {error}"
            return
        assert last is not None, "a rollback with nothing released"
        assert self.newest == "deploy", f"a rollback after a {self.newest}"
        assert done == last.package_id
        # What it wrote is as before it (what it created leaves a tombstone, what it deleted
        # comes back without its own); the rest as it is now (a job it never wrote may have
        # been started by hand: docs/design.md, scheduling of a release rollback).
        expected = {k: v for k, v in now.items() if k not in wrote}
        expected.update({k: last.before[k] for k in wrote if k in last.before})
        assert self.prod() == {**expected, **left_by(last.plan, last.after)}
        assert definitions(self.dev()) == definitions(before[0])
        last.rolled_back = True
        self.versions = dict(last.versions[0])
        event("rolled back")
        self.newest = "rollback"
        assert self.check_ledger("rollback").target_entry == last.entry_id
        assert self.shown_id(last.package_id).record.rolled_back_at is not None
        self.check_gone(before[2])

    def roll_back(self, queued: bool) -> int | None:
        """Roll back the last release, in the request or by a task of its own (its refusal
        raised, as the request's); the package rolled back."""
        if not queued:
            return self.services.release_rollback.rollback(self.team.deployer, None).package_id
        self.services.release_rollback.start(self.team.deployer, None)
        claimed = self.services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
        assert claimed is not None
        self.services.release_rollback.run(claimed)
        task = self.services.tasks.show(self.team.deployer, claimed.id)
        if task.status is TaskStatus.FAILED:
            raise RollbackRefusedError(task.message, rule=RollbackRule.CHANGED)
        assert task.status is TaskStatus.SUCCESSFUL, task.message
        return int(task.outcome["packageId"])

    def as_released(self, pause: bool) -> None:
        """What development submitted imported into production as released, outside the
        ledger (its scheduled jobs paused and started again, or refused): production then
        holds each submitted object's latest version, and the items of what it wrote say so
        (a story's last steps: the model follows the ledger)."""
        before, dev, prod, items = self.whole(), self.dev(), self.prod(), self.items()
        scheduling = "PAUSE_AND_RESTORE" if pause else "REFUSE"
        task = import_as_released(self.services, self.team, scheduling=scheduling)
        event(f"as released: {task.kind} {task.status}")
        if task.kind is TaskKind.EXPORT:  # refused: development holds what it never submitted
            assert task.status is TaskStatus.FAILED, task.message
            never = [k for k, held in definitions(dev).items() if not held["latest_version"]]
            assert never, f"export refused for no reason: {task.message}"
            return
        if task.status is not TaskStatus.SUCCESSFUL:
            note(f"as released refused: {task.message}")
            assert self.whole() == before, "the refused import changed something"
            # Only for a job production has scheduled (the import told to refuse it), or a
            # script or job a submitted job names that neither it nor production holds.
            scheduled = not pause and any(
                k == "job" and held["status"] != "STOPPED" for (k, _), held in prod.items()
            )
            assert scheduled or lacking(dev, prod), f"refused for no reason: {task.message}"
            return
        after = self.prod()
        assert definitions(self.dev()) == definitions(dev), "it changed development"
        assert waiting(self.items()) == waiting(items), "it changed the pending items"
        assert self.whole()[5] == before[5], "it made a ledger entry"
        for key, held in submitted(dev).items():
            document = {**held["versions"][-1][2], "name": key[1]}
            assert after[key]["document"] == document, key
            uid = str(held.get("uid", held["id"]))
            was = in_production(prod, key[0], uid)  # by identity: a rename writes it
            if was is None or prod[(key[0], was)]["document"] != document:  # written
                self.versions[(key[0], uid)] = held["latest_version"]
        was = {held["uid"]: held["status"] for k, held in prod.items() if k[0] == "job"}
        for key, held in after.items():
            if key[0] == "job" and held["uid"] in was:
                assert held["status"] == was[held["uid"]], key  # scheduling as it was

    def revoke(self, who: str) -> None:
        """``who`` revokes their approval key and registers another: what they signed with
        it counts no more (docs/design.md, approvals)."""
        scope = {"deployer": self.team.deployer, "second": self.second}[who]
        self.services.approval_keys.revoke(scope.actor, self.keys[who].key_id)
        self.keys[who] = register_key(self.services, scope)
        for package in self.packages:
            package.signed.discard(who)

    def restore(self, index: int, by_entry: bool = False, meanwhile: str = "") -> None:
        """Production restored to a release: planned (a dry run), then, after ``meanwhile``
        changed production or not (another release, a rollback, another restore, a job
        started or stopped by hand), that plan applied."""
        if not self.released:
            return
        target = self.released[index % len(self.released)]
        before = self.whole()
        restores = self.services.restores
        planned = (
            restores.restore_entry(self.team.deployer, target.entry_id, dry_run=True)
            if by_entry
            else restores.restore(self.team.deployer, target.package_id, dry_run=True)
        )
        assert self.whole() == before, "a restore's dry run changed something"
        assert isinstance(planned, RestorePlanned)
        if planned.plan is None:
            event("restore: production holds it")
            assert documents(self.prod()) == documents(target.after), "no restore planned"
            return
        if planned.plan.problems:
            event("restore plan has problems")
            return
        if meanwhile:
            self.meanwhile(meanwhile, index)
        self.apply_restore(target, planned.plan.plan_id, before[1])

    def meanwhile(self, what: str, index: int) -> None:
        """Production changed between a restore's plan and its apply (or not: nothing to
        release, nothing to roll back)."""
        event(f"restore: {what} before its apply")
        if what == "release":
            self.release(False)
        elif what == "rollback":
            self.rollback()
        elif what == "restore":
            self.restore(index + 1)
        else:
            self.prod_toggle(index)

    def apply_restore(self, target: Released, plan_id: str, planned: State) -> None:
        """Apply a restore's kept plan, made when production was ``planned``: production then
        holds what it held right after ``target``, or, when production changed since the
        plan, the apply is refused naming what changed, and changes nothing."""
        before = self.whole()
        started = self.services.restores.restore(
            self.team.deployer, target.package_id, plan_id=plan_id
        )
        assert isinstance(started, RestoreStarted)
        run_release(self.services)
        task = self.services.tasks.show(self.production, started.task_id)
        event(f"restore {task.status}")
        if task.status is TaskStatus.FAILED:
            note(f"restore refused: {task.message}")
            assert self.whole() == before, "the refused restore changed something"
            moved = changed(planned, before[1])
            assert moved, f"restore refused for no reason: {task.message}"
            for names in moved_objects(planned, before[1], moved):
                assert any(f"{k} '{n}'" in task.message for k, n in names), (names, task.message)
            return
        assert task.status is TaskStatus.SUCCESSFUL, task.message
        now = self.prod()
        assert documents(now) == documents(target.after)
        assert definitions(self.dev()) == definitions(before[0])
        # Scheduling as production has it; the jobs it brings back come back stopped. By
        # identity (a restore may rename a job back), its uid: SQLite gives a job created
        # after the newest was deleted, in the same transaction, that job's id again.
        was = {held["uid"]: held["status"] for k, held in before[1].items() if k[0] == "job"}
        for key, held in now.items():
            if key[0] == "job":
                assert held["status"] == was.get(held["uid"], "STOPPED"), key
        self.newest = "restore"
        self.versions = dict(target.versions[1])
        assert self.check_ledger("restore").target_entry == target.entry_id
        self.check_then(target)
        if target.rolled_back:  # rolled back, then restored to: its package says so
            assert self.shown_id(target.package_id).restored is not None
        self.check_gone(before[2])

    # -- the ledger ------------------------------------------------------------------------

    def check_ledger(self, action: str) -> Any:
        """The newest entry is ``action``'s and says what production holds of each object it
        touched; the replay says what production holds of every object."""
        ledger = self.services.ledger.ledger(self.team.admin)
        entry, objects = ledger.entries[-1]
        assert entry.action == action
        prod = self.prod()
        for state in objects:
            held = prod.get((state.kind, state.name))
            if state.action == "put":
                assert held is not None, state
                assert (held["sha256"], held["latest_version"]) == (state.sha256, state.version)
            else:
                row = prod.get(("ledger", f"{state.kind}:{state.uid}"))
                assert row is None or (state.kind, row["name"]) not in prod, state
        replayed = {(s.kind, s.name): s.sha256 for s in ledger.production if s.action == "put"}
        assert replayed == {key: held["sha256"] for key, held in definitions(prod).items()}
        return entry

    def check_then(self, target: Released) -> None:
        """The ledger read at the moment of ``target``'s entry says what production held
        right after it (unless another entry shares its millisecond)."""
        entries = [e for e, _ in self.services.ledger.ledger(self.team.admin).entries]
        at = next(e.at for e in entries if e.id == target.entry_id)
        if [e.at for e in entries].count(at) > 1:
            return
        then = self.services.ledger.ledger(self.team.admin, at).production
        held = {(s.kind, s.name): s.sha256 for s in then if s.action == "put"}
        assert held == {key: value["sha256"] for key, value in definitions(target.after).items()}

    def check_gone(self, items: list[ItemRecord]) -> None:
        """A rollback or restore brings no item back; the only ones it takes are deletions
        of objects production no longer holds (nothing left to delete)."""
        now = waiting(self.items())
        assert now <= waiting(items)
        for item in items:
            if waiting([item]) - now:
                assert item.update_type == UpdateType.DELETE, item
                assert self.versions.get((item.kind, item.uid), 0) == 0, item

    def check_waiting(self) -> None:
        """Each open item, and each item of a package still waiting, says which development
        version production holds of its object (``deployed_version``: docs/design.md,
        pending items), and adds or changes by it."""
        packaged = [i for p in self.packages if p.state == "waiting" for i in self.shown(p).items]
        for item in self.items() + packaged:
            deployed = self.versions.get((item.kind, item.uid), 0)
            assert item.deployed_version == deployed, item
            if item.update_type == UpdateType.DELETE:
                assert item.pending_version == deployed, item
            else:
                add = UpdateType.ADD if deployed == 0 else UpdateType.CHANGE
                assert item.update_type == add, item


def submitted(state: State) -> dict[tuple[str, str], Any]:
    """The jobs and scripts of a state submitted at least once."""
    return {key: held for key, held in definitions(state).items() if held["latest_version"]}


def lacking(dev: State, prod: State) -> bool:
    """Whether a job development submitted names, by its latest version, a script it runs or
    a job it depends on that development never submitted and production does not hold."""
    held = set(submitted(dev)) | {key for key in prod if key[0] in ("job", "script")}
    for (kind, _), job in submitted(dev).items():
        document = job["versions"][-1][2]
        if kind == "job" and not named_by(document) <= held:
            return True
    return False


def named_by(job: dict[str, Any]) -> set[tuple[str, str]]:
    """The scripts a job's nodes run and the jobs its schedule depends on."""
    scripts = {
        ("script", str(p.get("value")))
        for node in job.get("nodes") or []
        for p in node.get("properties") or []
        if p.get("name") == "scriptName"
    }
    cron = (job.get("schedule") or {}).get("cron") or {}
    return scripts | {("job", str(j)) for j in (cron.get("dependJobs") or {}).get("jobs") or []}


def kind_of(name: str) -> str:
    """The kind of a name of the story's pools."""
    return "script" if name in SCRIPTS else "job"


def in_production(prod: State, kind: str, uid: str) -> str | None:
    """The name production holds development's object ``uid`` by (``None``: none), as its
    promotion ledger row matches it."""
    row = prod.get(("ledger", f"{kind}:{uid}"))
    if row is None:
        return None
    for (held_kind, name), held in prod.items():
        if held_kind == kind and str(held.get("uid", held["id"])) == row["target"]:
            return name
    return None


def moved_objects(
    one: State, other: State, keys: set[tuple[str, str]]
) -> list[set[tuple[str, str]]]:
    """The jobs and scripts among ``keys`` that changed between two states, each as the set
    of (kind, name) it went by in either (a job by its identity: a rename changes its name)."""
    found: dict[Any, set[tuple[str, str]]] = {}
    for key in keys:
        if key[0] in ("job", "script"):
            held = one.get(key) or other[key]
            found.setdefault((key[0], held.get("uid", held["id"])), set()).add(key)
    return list(found.values())


def attempt(call: Callable[[], T]) -> tuple[T | None, JobferryError | None]:
    """What ``call`` answers, or how it was refused."""
    try:
        return call(), None
    except JobferryError as error:
        return None, error


def waiting(items: list[ItemRecord]) -> set[tuple[str, str, str]]:
    """The open items' objects and names (what a release, rollback or restore moves is their
    ``deployed_version``, and an addition's or change's type with it: ``check_waiting``)."""
    return {(i.kind, i.uid, i.name) for i in items}


def documents(state: State) -> dict[tuple[str, str], Any]:
    """(kind, name) → definition of a state's jobs and scripts."""
    return {key: held["document"] for key, held in definitions(state).items()}


def check_items(items: list[ItemRecord], dev: State) -> None:
    """One open item per object; each names the object as development holds it now and a
    version it submitted (a deletion's, an object development no longer holds)."""
    keys = [(i.kind, i.uid) for i in items]
    assert len(keys) == len(set(keys)), items
    for item in items:
        held = dev.get((item.kind, item.name))
        if item.update_type == UpdateType.DELETE:
            continue
        assert held is not None, item
        assert item.pending_version in [v for v, _, _ in held["versions"]], item


@GENERATED
@given(story=release_stories())
@example(story=released_unchanged())
@example(story=deleted_then_rolled_back())
@example(story=stale_plan())
@example(story=cancelled_after_a_rollback())
@example(story=released_past_a_cancel())
@example(story=restored_past("release"))
@example(story=released_outside_the_ledger())
def test_release_stories_keep_enterprise_mode_s_promises(
    services: Services, story: ReleaseStory
) -> None:
    note(repr(story))
    told = Story.of(services, story.required)

    for step in story.steps:
        if step.act == "prod":
            what, index = step.args
            (told.prod_toggle if what == "toggle" else told.prod_edit)(index)
        else:
            told.take(step)
        told.check_waiting()
