"""Releases across an air gap: a package exported with its approvals as one signed release
file, and taken in on another server's production side with the same binding.

*Decision:* the taking server trusts nothing the file says until it checked it. It plans the
package against its own production (the release's import settings, its own release profile),
rebuilds the plan hash from what it found — the package's sha256, its own import settings,
what its production holds of each object the approved basis names — and imports only when
that hash is the approved one and enough approvals verify with keys the workspace trusts
(``jobferry keys trust``). A different basis is named object by object (its production is not
the one the approvers saw); different settings are said as such. The import is the release's
(ATOMIC, deletes propagated, scheduling paused and restored), as released, and it leaves the
jobs' scheduling as it finds it.

*Decision:* the release is written in this production's release ledger, in its import's
transaction, as any release is: the objects it wrote and deleted (identified as the sending
workspace knows them, ``source_id``), the approvals that verified here (each checkable offline
with its public key), who took it in. So the ledger says what this production holds and who
approved it, its last release can be rolled back here, and production can be restored to it
(by its ledger entry: it has no package here).

A signed release is taken in once (``carried_once``). Its approvals are counted again as its
import applies, against the workspace's rule then (and a key distrusted since refuses it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobferry.domain.approvals import PlanFacts
from jobferry.domain.enums import ObjectKind
from jobferry.domain.releases import DEPLOY_ROLES, StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ApprovalKeyDistrustedError,
    ApprovalRefusedError,
    ApprovalsMissingError,
    BasisChangedError,
    InvalidRequestError,
)
from jobferry.package.approvals import ApprovalsVerdict, check_approvals
from jobferry.package.reader import read_package
from jobferry.package.releasefile import (
    SignedRelease,
    read_release,
    release_source,
    write_release,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.service import ImportService
from jobferry.services.releases.carried_once import refuse_taken_before
from jobferry.services.releases.checks import problem_text, typed_problems
from jobferry.services.releases.freezing import hashes
from jobferry.services.releases.production import production_scope
from jobferry.services.releases.scheduling import refuse_never_running_taken
from jobferry.services.releases.service import ReleaseService
from jobferry.services.releases.signatures import ReleaseApprovals
from jobferry.services.support.scratch import new_zip
from jobferry.services.workspaces.keys import (
    distrusted_fields,
    distrusted_keys,
    distrusted_since,
    trusted_public_keys,
)
from jobferry.storage import Database, Tx
from jobferry.storage import approvals as approval_repo
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import production as sides
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.keys import TrustedKeyRecord
from jobferry.storage.ledger import CarriedRecord


def _source(release: SignedRelease) -> tuple[str, list[tuple[str, str, str]]]:
    """The workspace the release's objects come from and the deletions it carries (refused
    when its package names none)."""
    try:
        source, deletions = release_source(release.package)
    except ValueError as exc:
        raise InvalidRequestError(f"The signed release cannot be taken in: {exc}.") from exc
    if source is None:
        raise InvalidRequestError(
            "The signed release's package names no source workspace, so its objects have no "
            "identities production could record; nothing was imported.",
            fix="Export the signed release again from the release package on its server.",
        )
    return source, deletions


def _carried(
    scope: Scope,
    production: Scope,
    release: SignedRelease,
    verdict: ApprovalsVerdict,
    plan: str,
    startup: StartupMode,
) -> CarriedRecord:
    """What the ledger entry of ``release`` will say once its import (``plan``) commits: the
    workspace its objects come from, its name, approvers, the approvals that verified here
    (one an approver, as they counted) and the deletions it carries."""
    source, deletions = _source(release)
    document = release.approvals
    items = document.get("approvals")
    approvals: dict[str, dict[str, Any]] = {}
    for item, check in zip(items if isinstance(items, list) else [], verdict.checks, strict=False):
        if check.valid and isinstance(item, dict):
            approvals.setdefault(check.user, _approval(document, item, check.key_id))
    return CarriedRecord(
        plan_id=plan,
        workspace_id=scope.workspace.id,
        production_id=production.workspace.id,
        source_id=source,
        package_name=str(document.get("packageName") or document.get("subject")),
        approvers=json.dumps(
            [{"user_id": None, "user_name": str(a)} for a in document.get("approvers") or []]
        ),
        approvals=json.dumps(list(approvals.values())),
        deletions=json.dumps(deletions),
        created_by=scope.actor.name,
        created_at=now_ms(),
        startup_mode=int(startup),
    )


def _approval(document: dict[str, Any], item: dict[str, Any], key_id: str) -> dict[str, Any]:
    """One approval that verified, as a release's ledger entry keeps it (the approver is a
    user of the other server: no ``user_id`` here)."""
    return {
        "user_id": None,
        "user_name": str(item.get("user")),
        "key_id": key_id,
        "public_key": item.get("publicKey"),
        "approved_at": item.get("approvedAt"),
        "plan_hash": item.get("planHash"),
        "statement": document.get("statement"),
        "signature": item.get("signature"),
    }


def _refuse_distrusted(
    scope: Scope, verdict: ApprovalsVerdict, distrusted: list[TrustedKeyRecord]
) -> None:
    """Refuse the release (``DLF.9067``) when one of its approvals verifies under a key the
    workspace distrusts: a leaked key's approval is not merely left uncounted (which would
    read as an approval missing, and whose fix would be to trust the key)."""
    check = next((c for c in verdict.checks if c.distrusted), None)
    if check is None:
        return
    key = next(k for k in distrusted if k.public_key == check.distrusted)
    raise _distrusted(scope.workspace.name, check.user, key)


def refuse_distrusted_since(tx: Tx, carried: CarriedRecord) -> None:
    """Refuse (``DLF.9067``), as its import applies, a signed release taken in whose approval
    verified under a key the workspace distrusted since (a leak found while the import
    waited), as the take-in would have; no key is distrusted until the transaction ends."""
    distrusted = {k.key_id: k for k in distrusted_keys(tx, carried.workspace_id, held=True)}
    for approval in json.loads(carried.approvals):
        key = distrusted.get(str(approval.get("key_id")))
        if key is not None:
            ws = sides.get_workspace_by_id(tx, carried.workspace_id)
            named = ws.name if ws is not None else carried.workspace_id
            raise _distrusted(named, str(approval.get("user_name")), key)


def require_carried_counted(tx: Tx, carried: CarriedRecord) -> None:
    """Refuse (``DLF.9044``), as its import applies, a signed release taken in whose approvals
    that verified here (one an approver) are fewer than the workspace's rule asks now (raised
    since the take-in), as a deploy's import is refused; a key distrusted since is
    :func:`refuse_distrusted_since`'s."""
    required = max(1, approval_repo.required(tx, carried.workspace_id))
    counted = len({str(a.get("user_name")) for a in json.loads(carried.approvals)})
    if counted >= required:
        return
    ws = sides.get_workspace_by_id(tx, carried.workspace_id)
    named = ws.name if ws is not None else carried.workspace_id
    raise ApprovalsMissingError(
        f"The signed release '{carried.package_name}' was not imported into the production of "
        f"workspace '{named}': {required} approval{'s are' if required != 1 else ' is'} "
        f"required (the workspace's rule), {counted} count{'s' if counted == 1 else ''} "
        "(those that verified when it was taken in); nothing was imported.",
        fix="Have more of its approvers sign the package on its server, export the signed "
        "release again and take it in (POST /v2/{project_id}/factory/release-packages/"
        "signed-release).",
        remedy=Remedy.CARRY_APPROVED_AGAIN,
        plan_id=carried.plan_id,
        required=required,
        workspace=named,
    )


def _distrusted(ws: str, user: str, key: TrustedKeyRecord) -> ApprovalKeyDistrustedError:
    return ApprovalKeyDistrustedError(
        f"The signed release was not taken into workspace '{ws}': {user}'s approval is "
        f"signed by key {key.key_id} ('{key.name}'), which the workspace distrusts "
        f"({distrusted_since(key)}); a release approved with a distrusted key is refused, "
        "however many other approvals count.",
        fix=f"Have {user} approve the package again on its server with an approval key "
        f"workspace '{ws}' trusts (it replaces the approval the distrusted key signed), export "
        "the signed release again and take it in; if "
        "distrusting the key was a mistake, trust it again (POST /v1/{project_id}/trusted-keys "
        "with its publicKey).",
        remedy=Remedy.DISTRUSTED_APPROVER,
        user=user,
        **distrusted_fields(key),
        workspace=ws,
        rule="approval.distrusted",
    )


@dataclass(frozen=True)
class TakenIn:
    """A signed release taken in: the import task queued, the plan it applies, its hash."""

    task_id: str
    plan_id: str
    plan_hash: str
    approvals: int


@dataclass
class CarriedReleases:
    """Export a package signed with its approvals; take one in on this server."""

    db: Database
    imports: ImportService
    releases: ReleaseService
    approvals: ReleaseApprovals

    def export(self, scope: Scope, package_id: int) -> Path:
        """The signed release file of a package (its frozen package file and approvals), as
        a scratch file the caller sends and deletes. It carries the approvals that count here
        only: the other server knows the keys, not who holds which role here, nor which key
        was revoked, so one that no longer counts here would count there."""
        found = self.approvals.approvals(scope, package_id)
        document = found.document()
        document["approvals"] = [a for a in document["approvals"] if a["counts"]]
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=False)
        local = self.imports.packages.fetch(production, found.record.path or "")
        out = new_zip(self.imports.scratch)
        try:
            with out.open("wb") as stream:
                write_release(stream, local, document)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        finally:
            local.unlink(missing_ok=True)
        return out

    def _read(self, scope: Scope, path: object) -> SignedRelease:
        """The signed release file uploaded as ``path`` (refused when it is not one), its
        package copied to a scratch file the caller deletes."""
        if not isinstance(path, str) or not path:
            raise InvalidRequestError(
                "path must name the uploaded signed release file.", parameter="path"
            )
        local = self.imports.packages.fetch(scope, path)
        package = new_zip(self.imports.scratch)
        try:
            return read_release(local, package, self.imports.packages.limits.max_package_bytes)
        except ValueError as exc:
            package.unlink(missing_ok=True)
            raise InvalidRequestError(
                f"'{path}' is not a signed release file: {exc}.", parameter="path"
            ) from exc
        finally:
            local.unlink(missing_ok=True)

    def _verified(self, scope: Scope, release: SignedRelease) -> tuple[Scope, ApprovalsVerdict]:
        """The production side, and the release's approvals verified with the workspace's
        trusted keys (refused unless enough count and the package is the approved one)."""
        scope.require(DEPLOY_ROLES, "take a signed release into production")
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            trusted = frozenset(trusted_public_keys(tx, scope.workspace.id))
            distrusted = distrusted_keys(tx, scope.workspace.id)
            required = max(1, approval_repo.required(tx, scope.workspace.id))
        refused = frozenset(k.public_key for k in distrusted)
        verdict = check_approvals(release.approvals, trusted, refused)
        _refuse_distrusted(scope, verdict, distrusted)
        needed = max(required, verdict.required)
        if verdict.problems or verdict.counted < needed:
            why = [f"{c.user}: {c.why}" for c in verdict.checks if not c.valid]
            raise ApprovalRefusedError(
                f"The signed release was not taken into workspace '{scope.workspace.name}': "
                f"{verdict.counted} approval(s) verify with keys it trusts, {needed} needed"
                f"{''.join(f'; {p}' for p in [*verdict.problems, *why])}.",
                fix="Trust each approver's public key here (POST /v1/{project_id}/trusted-keys) "
                "and take the release in again; approvals a key signed under another approver's "
                "name count once: have other approvers sign it on its server and export it again.",
                remedy=Remedy.TRUST_SOURCE_KEY,
                rule="approval.carried",
            )
        approved = (release.approvals.get("plan") or {}).get("packageSha256")
        if release.package_sha256 != approved:
            raise ApprovalRefusedError(
                "The signed release's package is not the package its approvals name "
                f"(sha256 {release.package_sha256}, approved {approved}).",
                rule="approval.carried",
            )
        return production, verdict

    def _planned(self, scope: Scope, production: Scope, release: SignedRelease) -> tuple[str, Plan]:
        """The package kept as an upload of production and planned there as a release."""
        with self.db.transaction() as tx:
            sides.mirror_production_environment(tx, scope.workspace.id, production.workspace.id)
        with release.package.open("rb") as stream:
            kept = self.imports.upload(production, stream, "release.zip")
        made = self.imports.plan(production, self.releases.import_request(production, kept.path))
        assert isinstance(made, Plan)
        if made.problems:
            package = str(release.approvals.get("packageName"))
            named = f"the signed release of package '{package}'"
            problems = [problem_text(p, named) for p in made.problems]
            raise InvalidRequestError(
                f"The signed release cannot be imported into the production of workspace "
                f"'{scope.workspace.name}': {'; '.join(problems[:20])}.",
                problems=problems,
                plan_problems=typed_problems(made.problems, package),
            )
        return kept.path, made

    def take_in(
        self, scope: Scope, path: object, startup: StartupMode = StartupMode.LEAVE
    ) -> TakenIn:
        """Read the signed release file uploaded as ``path``, check it against this server's
        production and trusted keys, then queue the import of its package there as released
        (refused, naming what does not hold); ``startup`` START starts the new batch jobs it
        brings, as a deploy's does."""
        release = self._read(scope, path)
        try:
            return self._take_in(scope, release, startup)
        finally:
            release.package.unlink(missing_ok=True)

    def _take_in(self, scope: Scope, release: SignedRelease, startup: StartupMode) -> TakenIn:
        production, verdict = self._verified(scope, release)
        with self.db.transaction(readonly=True) as tx:
            refuse_taken_before(tx, scope, release, _source(release)[0])
        document = release.approvals
        plan = document.get("plan") or {}
        path, made = self._planned(scope, production, release)
        basis = dict(plan.get("basis") or {})
        with self.db.transaction(readonly=True) as tx:
            here = hashes(tx, production.workspace.id, list(basis))
            stored = plan_repo.get_plan(tx, production.workspace.id, made.plan_id)
        assert stored is not None
        facts = PlanFacts(release.package_sha256, stored.request_sha256, here)
        self._refuse_moved(scope, verdict.plan_hash, facts, basis, plan)
        if startup is StartupMode.START:
            self._refuse_never_running(release, made.plan_id)
        carried = _carried(scope, production, release, verdict, made.plan_id, startup)
        request = self.releases.import_request(production, path, made.plan_id)
        with self.db.transaction() as tx:
            ledger_repo.insert_carried(tx, carried)
        try:
            job = self.imports.prepare(production, request)
        except BaseException:
            with self.db.transaction() as tx:
                ledger_repo.forget_carried(tx, made.plan_id)
            raise
        with self.db.transaction() as tx:
            audit_in_scope(
                tx,
                scope,
                "release.carried",
                "package",
                carried.package_name,
                {"planHash": verdict.plan_hash, "taskId": job.task_id},
            )
        return TakenIn(job.task_id, made.plan_id, verdict.plan_hash, verdict.counted)

    def _refuse_never_running(self, release: SignedRelease, plan_id: str) -> None:
        """Refuse a release taken in to start its new jobs when one could never run."""
        jobs = {
            o.name: o.document
            for o in read_package(release.package, self.imports.limits).objects
            if o.kind == ObjectKind.JOB
        }
        named = f"The signed release of package '{release.approvals.get('packageName')}'"
        with self.db.transaction(readonly=True) as tx:
            refuse_never_running_taken(tx, plan_id, jobs, named)

    @staticmethod
    def _refuse_moved(
        scope: Scope,
        approved: str,
        facts: PlanFacts,
        basis: dict[str, str | None],
        plan: dict[str, object],
    ) -> None:
        if facts.plan_hash() == approved:
            return
        moved = [key for key, value in basis.items() if facts.basis.get(key) != value]
        if moved:
            raise BasisChangedError(
                f"Production of workspace '{scope.workspace.name}' is not the production the "
                f"release was approved on: {', '.join(moved[:20])} differ; nothing was "
                "imported.",
                fix="Bring those objects to what the approved production held, or make and "
                "approve a package against this production.",
                remedy=Remedy.REPLAN_RELEASE,
                changed=[{"kind": k.split("/", 1)[0], "name": k.split("/", 1)[1]} for k in moved],
            )
        raise InvalidRequestError(
            f"The plan made here (hash {facts.plan_hash()}) is not the approved plan "
            f"({approved}): the import's settings differ (here {facts.request_sha256}, approved "
            f"{plan.get('requestSha256')}; the production side's release profile, for one); "
            "nothing was imported.",
            plan_hash=facts.plan_hash(),
        )
