"""A carried-route story told between two servers and checked step by step
(:class:`CarriedJourney`, for ``tests/unit/services/routes/test_generated_carried.py``, which
says the promises checked). The model is the documentation's (README, the air gap; docs/api.md,
"Across an air gap"; docs/design.md, the same): which take-in is refused and why, what a plan
finds, what an import leaves in the target.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, note

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Carried
from jobferry.errors import (
    CarriedPackageError,
    JobferryError,
    KeyDistrustedError,
    PackageError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.workspaces.keys import KeyToTrust
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.carried_packages import (
    Cut,
    Held,
    Imported,
    Key,
    Landed,
    altered,
    altered_entry,
    cut_of,
    manifest_of,
    missigned,
    selected,
)
from support.carried_stories import CarriedStory
from support.console import admin_scope
from support.plan_checks import WRITING
from support.planning import workspace
from support.promotion_stories import Step, act, identities
from support.workspace_state import State, definitions, workspace_state

SERIAL = itertools.count()
"""Numbers the workspaces and routes each story makes its own (on both servers)."""
SETTINGS = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "mode": "ATOMIC", "scheduling": "REFUSE"}
"""The target route's settings no story draws."""


@dataclass
class CarriedJourney:
    """The two servers (``source`` and ``target`` services), each with its end of route
    ``route``, and what the model knows of both."""

    source: Services
    target: Services
    route: str
    settings: dict[str, Any]
    dev: Scope
    prod: Scope
    cuts: list[Cut] = field(default_factory=list)
    last_held: Held = field(default_factory=dict)
    key: tuple[str, str] | None = None
    """The source's signing key (id, public key)."""
    trust: dict[str, str] = field(default_factory=dict)
    """Key id → ``trusted`` or ``distrusted`` in the target workspace."""
    applied: dict[int, str] = field(default_factory=dict)
    """Cut → the task that imported it (applied, not rolled back)."""
    imports: list[Imported] = field(default_factory=list)
    landed: dict[Key, Landed] = field(default_factory=dict)
    synced: int | None = None
    """The cut the target holds the source as (``None``: not known to be one)."""
    folder: str | None = None
    """The folder the source's route selects (``None``: every job)."""
    signed_only: bool = False
    """The target workspace's ``requireSigned``."""

    @classmethod
    def of(cls, source: Services, target: Services, story: CarriedStory) -> CarriedJourney:
        n = next(SERIAL)
        dev, prod = workspace(source, f"dev{n}"), workspace(target, f"prod{n}")
        out: dict[str, Any] = {"source": {"workspace": f"dev{n}"}, "target": {"carried": True}}
        if story.folder is not None:
            out["selection"] = {"kind": "FOLDERS", "values": [story.folder]}
        source.routes.put(admin_scope(source), f"r{n}", out)
        source.routes.put(admin_scope(source), f"o{n}", out)
        carried = {"carried": True, "workspaceId": dev.workspace.id}
        into = {"source": carried, "target": {"workspace": f"prod{n}"}}
        settings = {**SETTINGS, **story.route}
        target.routes.put(admin_scope(target), f"r{n}", {**into, **settings})
        return cls(source, target, f"r{n}", settings, dev, prod, folder=story.folder)

    def held(self) -> Held:
        return identities(self.source_state())

    def source_state(self) -> State:
        return workspace_state(self.source, self.dev.workspace.id)

    def state(self) -> State:
        return workspace_state(self.target, self.prod.workspace.id)

    def take(self, step: Step) -> None:
        if step.side == "source" and step.act == "cut":
            self.cut(*step.args)
        elif step.side == "source" and step.act == "key":
            pair = self.source.keys.create_signing_key(self.dev)
            self.key = (pair.key_id, pair.public_key)
        elif step.side == "source" and self.whole(step):
            act(self.source, self.dev, step)
        elif step.act == "take":
            self.carry(*step.args)
        elif step.act == "rollback":
            self.roll_back()
        else:
            self.mark(step.act)

    def whole(self, step: Step) -> bool:
        """Whether the source's ``step`` leaves it whole: a job names a script and an upstream
        job the source holds (a source naming what it lacks cuts packages no target can take,
        whatever their order: not this test's story)."""
        if step.act != "job":
            return True
        _, script, upstream, _ = step.args
        names = {(key[0], name) for key, (name, _) in self.held().items()}
        return ("script", script) in names and (upstream is None or ("job", upstream) in names)

    # -- the source ------------------------------------------------------------------------

    def cut(self, full: bool, route: str | None = None) -> Cut | None:
        """Cut the route's next package on the source (``route``: another route's, whole);
        nothing only when the source is as it was at the route's last cut."""
        admin = admin_scope(self.source)
        made = self.source.promotions.package(
            admin, route or self.route, full=route is not None or full
        )
        state = self.source_state()
        now, chosen = identities(state), selected(state, None if route else self.folder)
        if made.promotion is None:
            assert route is not None or self.unchanged(now, chosen), "changes left uncut"
            return None
        assert made.download is not None
        _, chunks = self.source.downloads.open(self.dev, made.download.id)
        data = b"".join(chunks)
        sha = hashlib.sha256(data).hexdigest()
        assert made.promotion.package_sha256 == sha
        since = None if full or not self.cuts else self.cuts[-1].index
        if route is None:
            self.last_held = now
        signer = self.key[0] if self.key else None
        cut = cut_of(len(self.cuts), data, since, (now, chosen), signer)
        if route is None:
            self.assert_continues(cut)
            self.cuts.append(cut)
        return cut

    def unchanged(self, now: Held, chosen: frozenset[tuple[str, str]]) -> bool:
        """Whether the source's selected objects are as at the route's last cut (every object
        for a route of every job, none deleted)."""
        if self.folder is None:
            return now == self.last_held
        return all(self.last_held.get(k) == v for k, v in now.items() if (k[0], v[0]) in chosen)

    def assert_continues(self, cut: Cut) -> None:
        """The route block names the route, its source, and the cut it continues by its
        snapshot and its sha256."""
        block = manifest_of(cut.data)["route"]
        assert (block["name"], block["sourceWorkspaceId"]) == (self.route, self.dev.workspace.id)
        before = None if cut.since is None else self.cuts[cut.since]
        assert block["since"] == (before.snapshot if before else None)
        assert block.get("sinceSha256") == (before.sha256 if before else None)

    # -- the target's keys ---------------------------------------------------------------------

    def mark(self, what: str) -> None:
        """Trust the source's key in the target workspace, or distrust it; or switch the
        target workspace's own rule that imports take only signed packages (``require``)."""
        if what == "require":
            self.signed_only = not self.signed_only
            admin = admin_scope(self.target)
            change = WorkspaceSettings(require_signed=self.signed_only)
            ws = self.prod.workspace.id
            self.target.accounts.update_workspace(admin.actor, admin.actor.project_id, ws, change)
            return
        if self.key is None:
            return
        key_id, public = self.key
        known = self.trust.get(key_id)
        if what == "trust" and known != "trusted":
            self.target.keys.trust(self.prod, KeyToTrust("source", public))
            self.trust[key_id] = "trusted"
        elif what == "distrust" and known != "distrusted":
            self.target.keys.distrust_public_key(self.prod, KeyToTrust("source", public))
            self.trust[key_id] = "distrusted"

    # -- a take-in --------------------------------------------------------------------------

    def expected(self, cut: Cut, how: str) -> str | None:
        """Why the target refuses ``cut`` carried ``how`` (``None``: it takes it in): an
        altered entry first, a key it distrusts, another route's package, a signature the
        route requires, then the same package again, then a package skipped."""
        if how == "altered":
            return "entry"
        if how == "bad_signature":
            return "invalid"
        if cut.signer is not None and self.trust.get(cut.signer) == "distrusted":
            return "distrusted"
        if how == "other_route":
            return "route.name"
        trusted = cut.signer is not None and self.trust.get(cut.signer) == "trusted"
        if self.settings["requireSignature"] and not trusted:
            return "signature"
        if cut.index in self.applied:
            return "route.repeated"
        if cut.since is not None and cut.since not in self.applied:
            return "route.chain"
        return None

    def carry(self, back: int, how: str, apply: bool) -> None:
        """Take in the cut ``back`` cuts before the newest, carried ``how``; check the refusal
        the model expects, or the plan and (``apply``) what its import leaves."""
        if not self.cuts:
            return
        cut = self.cuts[max(0, len(self.cuts) - 1 - back)]
        data = cut.data
        how = "altered" if how == "bad_signature" and cut.signer is None else how
        if how == "altered" and altered_entry(data) is None:
            how = "as_cut"  # nothing but its manifest, which only a signature covers
        if how == "altered":
            data = altered(data)
        elif how == "bad_signature":
            data = missigned(data)
        elif how == "other_route":
            other = self.cut(True, self.route.replace("r", "o", 1))
            if other is None:
                return
            data, cut = other.data, other
        expected = self.expected(cut, how)
        admin = admin_scope(self.target)
        before, history = self.state(), self.target.promotions.history(admin, self.route)
        path = self.target.imports.upload(self.prod, io.BytesIO(data), "carried.zip").path
        try:
            planned = self.target.route_plans.plan(admin, self.route, {}, path=path)
        except JobferryError as exc:
            refused: JobferryError | None = exc
        else:
            refused = None
        if refused is not None:
            note(f"take-in of cut {cut.index} ({how}) refused: {refused}")
            event(f"refused {expected}")
            assert expected is not None, f"cut {cut.index} refused: {refused.message}"
            self.assert_refused(refused, expected, cut)
            assert self.state() == before, "a refused take-in changed the target"
            assert self.target.promotions.history(admin, self.route) == history
            return
        assert expected is None, f"cut {cut.index} ({how}) taken in, expected {expected}"
        assert planned.plan is not None
        assert planned.planning_task is None
        self.planned(cut, planned.plan, apply, before)

    def assert_refused(self, refused: JobferryError, expected: str, cut: Cut) -> None:
        """The refusal the model expects, naming what it refuses and the fix."""
        if expected == "entry":
            assert isinstance(refused, PackageError), refused
            assert refused.context.get("entry") == altered_entry(cut.data), refused
            return
        if expected == "distrusted":
            assert isinstance(refused, KeyDistrustedError), refused
            assert str(cut.signer) in refused.message
            return
        assert isinstance(refused, CarriedPackageError), refused
        if expected == "invalid":  # always refused, whatever the route requires
            assert refused.context["signature_state"] == "invalid", refused
            expected = "signature"
        assert refused.context["rule"] == expected, refused
        assert refused.problem.startswith(f"Route '{self.route}' refuses the package: ")
        assert refused.message != refused.problem, "no fix"
        if expected == "route.name":
            assert refused.context["package_route"] == self.route.replace("r", "o", 1)
        elif expected == "route.repeated":
            assert refused.context["task_id"] == self.applied[cut.index]
            assert refused.remedy == Remedy.ROLL_BACK_FIRST
        elif expected == "route.chain":
            assert cut.since is not None
            assert refused.context["missing_sha256"] == self.cuts[cut.since].sha256
            assert refused.remedy == Remedy.CUT_FULL_PACKAGE
        elif refused.context["signature_state"] == "invalid":
            assert "Carry the package unchanged from the source server" in refused.message
        else:
            assert refused.remedy == Remedy.TRUST_SOURCE_KEY

    # -- a plan and its import ----------------------------------------------------------------

    def deletes(self, cut: Cut) -> set[Key]:
        """What the cut would delete in the target under propagateDeletes: the deletions it
        carries, and for a full one (the source whole) every object it no longer holds; but
        an object whose name the cut writes again (the source made another of that name: the
        import writes over it)."""
        gone = set(cut.deleted)
        if cut.full and self.folder is None:  # the source whole: what it lacks is deleted
            gone |= {k for k, held in self.landed.items() if held.document and k not in cut.held}
        landed = {k: self.landed.get(k) for k in gone}
        return {
            k
            for k, held in landed.items()
            if held is not None and held.document is not None
            if (k[0], held.name) not in cut.contents
        }

    def older(self, cut: Cut) -> set[tuple[str, str]]:
        """(kind, name) of what the cut would put back, make again or delete of what a newer
        cut carried (or deleted): a problem of its plan each (onDrift FAIL)."""
        found = set()
        for kind, name in cut.contents:
            key = cut.uid(kind, name)
            landed = self.landed.get(key)
            if landed and landed.cut > cut.index and landed.document != cut.held[key][1]:
                found.add((kind, name))
        if self.settings["propagateDeletes"]:
            found |= {
                (k[0], self.landed[k].name)
                for k in self.deletes(cut)
                if self.landed[k].cut > cut.index
            }
        return found

    def planned(self, cut: Cut, plan: Plan, apply: bool, before: State) -> None:
        """The plan has a problem for each object the cut would put back (and no other);
        applied, the target holds what the cut holds."""
        older = {(p.kind, p.name) for p in plan.problems if p.reason is ProblemReason.OLDER_PACKAGE}
        expected = self.older(cut)
        event(f"older problems={bool(expected)}")
        assert older == expected, plan.problems
        trusted = cut.signer is not None and self.trust.get(cut.signer) == "trusted"
        unsigned = self.signed_only and not trusted  # the workspace's rule, not the route's
        signature = [p for p in plan.problems if p.reason is ProblemReason.SIGNATURE]
        assert len(signature) == unsigned, plan.problems
        event(f"plan signature problem={unsigned}")
        assert len(older) + len(signature) == len(plan.problems), plan.problems
        if not self.settings["propagateDeletes"]:  # each deletion it leaves out, listed
            left = {(str(n.kind), n.name) for n in plan.not_applied}
            assert {(k[0], self.landed[k].name) for k in self.deletes(cut)} <= left, left
        if not apply:
            assert definitions(self.state()) == definitions(before), "a plan changed the target"
            return
        try:
            applied = self.target.route_plans.apply(
                admin_scope(self.target), self.route, plan.plan_id
            )
        except JobferryError:
            assert plan.problems, "an apply refused, its plan without problems"
            assert self.state() == before
            return
        self.target.imports.run(applied.prepared)
        task = self.target.tasks.show(applied.prepared.scope, applied.task_id)
        event(f"import problems={bool(plan.problems)} {task.status}")
        if plan.problems:
            assert task.status == TaskStatus.FAILED, task.message
            assert self.state() == before, "a failed import changed the target"
            return
        assert task.status == TaskStatus.SUCCESSFUL, task.message
        wrote = any(line.action in WRITING for line in plan.lines)
        self.imports.append(
            Imported(cut.index, task.id, before, dict(self.landed), self.synced, wrote)
        )
        self.applied[cut.index] = task.id
        newest = self.target.promotions.history(admin_scope(self.target), self.route, 1)[0]
        assert (newest.carried, newest.task_id) == (Carried.IN, task.id)
        assert (newest.applied, newest.package_sha256) == (True, cut.sha256)
        self.landed_after(cut)

    def landed_after(self, cut: Cut) -> None:
        """What the cut's import left: every object it holds as the source held it, what it
        deletes gone (propagateDeletes), and the target as the source was at the cut when it
        held the source as at the cut this one continues."""
        after = self.state()
        for key in [k for k, v in self.landed.items() if (k[0], v.name) in cut.contents]:
            if key not in cut.held or cut.held[key][0] != self.landed[key].name:
                del self.landed[key]  # its name now holds another object of the source
        for kind, name in cut.contents:
            key = cut.uid(kind, name)
            document = cut.held[key][1]
            assert after[(kind, name)]["document"] == document, f"{kind} {name} not as cut"
            was = self.landed.get(key)
            newest = (
                cut.index if was is None or was.document != document else max(was.cut, cut.index)
            )
            self.landed[key] = Landed(name, document, newest)
        if self.settings["propagateDeletes"]:
            for key in self.deletes(cut):
                row = after.get(("ledger", f"{key[0]}:{key[1]}"))
                still = row is not None and (key[0], row["target"]) in identities(after)
                assert not still, f"{key} deleted in the source, still in the target"
                self.landed[key] = Landed(self.landed[key].name, None, cut.index)
        if cut.full or cut.since == self.synced:
            self.assert_synced(cut, after)
            self.synced = cut.index
        else:
            self.synced = None

    def assert_synced(self, cut: Cut, after: State) -> None:
        """The target holds every object the route selected as the source held it at the cut
        (and, a route of every job propagating deletes, nothing else of it)."""
        held = {(k[0], name): doc for k, (name, doc) in cut.held.items()}
        held = {k: v for k, v in held.items() if k in cut.selected}
        there = {k: v["document"] for k, v in definitions(after).items()}
        if self.settings["propagateDeletes"] and self.folder is None:
            assert there == held, "the target is not the source as cut"
        else:
            assert {k: there.get(k) for k in held} == held, "the target lacks the source as cut"

    # -- a rollback -----------------------------------------------------------------------------

    def roll_back(self) -> None:
        """Roll back the target's newest import (when it wrote something): the target is as
        before it, and the cut it imported is no longer applied there."""
        if not self.imports or not self.imports[-1].wrote:
            return
        newest = self.imports.pop()
        self.target.rollback.rollback(self.prod, newest.task_id)
        assert definitions(self.state()) == definitions(newest.before)
        del self.applied[newest.cut]
        self.landed, self.synced = newest.landed, newest.synced
        listed = self.target.promotions.history(admin_scope(self.target), self.route)
        undone = next(p for p in listed if p.task_id == newest.task_id)
        assert not undone.applied, "a rolled-back import still counts as applied"
        event("rolled back")
