"""Generated stories of signing keys and trust (``support/signing_stories.py``): three
workspaces of one project, two of which export, their signing keys made, replaced and
deleted, keys trusted, distrusted by id or by public key (trusted there or not) and trusted
again, ``requireSigned`` switched on and off, packages exported, signed again by a foreign
key, altered (``manifest.json``, ``manifest.sig``, an entry, the signature taken out), then
checked, planned and imported into any of them, some imports naming a plan made before. After
every step, whatever the story, the keys keep the promises of docs/api.md ("Signed packages",
``/signing-key``, ``/trusted-keys``) and docs/errors.md (``support/signing_model.py`` says
them):

- ``check-file`` and the plan report the signature state the model says (``unsigned``,
  ``valid``, ``untrusted``, ``invalid``): a workspace trusts the keys it lists, its own
  signing key and, unless it requires signed packages, the signing key each workspace of its
  project holds now (not one replaced or deleted since);
- a package signed by a key the workspace distrusts is refused at check, plan and import
  (``DLF.9065``, naming the key, who distrusted it and the workspace, and the fix) whether or
  not it requires signed packages; one an entry of which changed, with ``DLF.9020``;
- an ``invalid`` signature is the plan's one problem and refuses the import (``DLF.3051``),
  and so are ``unsigned`` and ``untrusted`` under ``requireSigned``; anything else imports;
- an import naming a plan whose signature state or ``requireSigned`` changed since is
  refused as stale (``DLF.9015``);
- a refused import writes nothing: each workspace holds the jobs, in the looks, the model
  says; a plan or import refused before its task is one ``import.refused`` entry
  (``step``, ``errorCode``);
- ``GET /signing-key`` answers the key the workspace holds now, or ``DLF.9007`` saying how
  to make one; ``/trusted-keys`` lists the trusted keys by name, ``?distrusted=true`` the
  distrusted ones too, marked with when and by whom;
- trusting a trusted key (``DLF.9010``), distrusting a distrusted one (``DLF.9066``), a key the
  workspace does not list by id (``DLF.9007``) or deleting a signing key it has not
  (``DLF.9007``) changes nothing, and the refusal names the key or workspace and what to do;
- the audit log holds ``key.create``, ``key.delete``, ``key.trust`` (``again`` and when and by
  whom it was distrusted, for a key trusted again) and ``key.distrust`` (``name``,
  ``byPublicKey``, ``wasTrusted``, by id or public key) as the model does, and nothing for a refused
  key step.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError, JobNotFoundError
from jobferry.package.keys import KeyPair
from jobferry.package.signature import generate_key_pair, sign_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.workspaces.keys import UNNAMED, KeyToTrust
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.builders import make_job
from support.clock import Clock, held_clock
from support.import_stories import generated
from support.planning import jobs_with_dependencies, run_import, upload, workspace
from support.release_stories import Step
from support.signing_model import DISTRUSTED, UNREADABLE, KeptPlan, Known, Model, Package
from support.signing_model import key_of as _id
from support.signing_stories import (
    EXPORTERS,
    JOBS,
    NAMES,
    WORKSPACES,
    SigningStory,
    altered,
    distrusted_and_signed_again,
    first_entry,
    signing_stories,
    strict_and_foreign,
    stripped,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_900_000_000_000
KINDS = {"job": "jobs", "script": "scripts", "resource": "resources"}
SHOWN = ("key_id", "name", "public_key", "added_at", "added_by", "distrusted_at", "distrusted_by")
REFUSED_CODES = {UNREADABLE: "DLF.9020", DISTRUSTED: "DLF.9065"}


class Story:
    """A story being told: the services, the workspaces, the model, the packages."""

    def __init__(self, services: Services, folder: Path, clock: Clock, told: SigningStory) -> None:
        n = next(_SERIAL)
        self.services, self.folder, self.clock = services, folder, clock
        self.admin = [workspace(services, f"sg{n}_{i}") for i in range(WORKSPACES)]
        self.names = [scope.workspace.name for scope in self.admin]
        self.model = Model(WORKSPACES)
        self.foreign: KeyPair = generate_key_pair()
        self.model.signers.append(self.foreign.public_key)
        self.packages: list[Package] = []
        self.plan_ids: dict[tuple[int, int], str] = {}
        for ws in EXPORTERS:
            for kind, _, doc in jobs_with_dependencies(make_job(JOBS[ws], description="look 0")):
                getattr(services, KINDS[kind]).create(self.admin[ws], doc)
            self.model.jobs[ws][JOBS[ws]] = 0
        for ws, required in enumerate(told.required):
            if required:
                self.require(ws, True)

    def scope(self, ws: int) -> Scope:
        """The admin's scope in workspace ``ws``, its settings as they are now."""
        actor = self.admin[ws].actor
        return self.services.accounts.scope(actor, actor.project_id, self.admin[ws].workspace.id)

    @property
    def by(self) -> str:
        return self.admin[0].actor.name

    def require(self, ws: int, on: bool) -> None:
        actor = self.admin[ws].actor
        settings = WorkspaceSettings(require_signed=on)
        self.services.accounts.update_workspace(
            actor, actor.project_id, self.admin[ws].workspace.id, settings
        )
        self.model.require[ws] = on

    def add(self, package: Package, data: bytes) -> None:
        package.path.write_bytes(data)
        self.packages.append(package)

    def next_path(self) -> Path:
        return self.folder / f"p{len(self.packages)}.zip"


def _refused(call: Callable[[], object]) -> JobferryError:
    with pytest.raises(JobferryError) as refused:
        call()
    return refused.value


def _says_what_to_do(refusal: JobferryError, *named: str) -> None:
    """The refusal names ``named`` and says what to do (a fix after the problem)."""
    for text in named:
        assert text in refusal.message, (text, refusal.message)
    assert refusal.message != refusal.problem or "Nothing changed" in refusal.message, (
        refusal.message
    )


# -- the steps -------------------------------------------------------------------------------


def _key(story: Story, step: Step) -> None:
    ws, make = step.args
    keys, model = story.services.keys, story.model
    if make:
        made = keys.create_signing_key(story.scope(ws))
        model.signing[ws] = made.public_key
        model.signers.append(made.public_key)
        model.audited(ws, "key.create", "signing_key", made.key_id, {})
        event("key: create")
        return
    held = model.signing[ws]
    if held is None:
        refusal = _refused(lambda: keys.delete_signing_key(story.scope(ws)))
        assert refusal.code == "DLF.9007", refusal.message
        _says_what_to_do(refusal, story.names[ws])
        event("key: delete refused")
        return
    keys.delete_signing_key(story.scope(ws))
    model.signing[ws] = None
    model.audited(ws, "key.delete", "signing_key", _id(held), {})
    event("key: delete")


def _export(story: Story, step: Step) -> None:
    (ws,) = step.args
    job, look = JOBS[ws], len(story.packages) + 1
    scope = story.scope(ws)
    story.services.jobs.update(scope, job, _job(job, look))
    story.model.jobs[ws][job] = look
    request = ExportRequest(export_depend=True, with_manifest=True, names=(job,))
    data = story.services.exports.export_job(scope, job, request).data
    assert data is not None
    signer = story.model.signing[ws]
    made = Package(len(story.packages), story.next_path(), job, look, signer, story.clock.now)
    story.add(made, data)
    event(f"export: {'signed' if signer else 'unsigned'}")


def _job(name: str, look: int) -> dict[str, Any]:
    return make_job(name, description=f"look {look}")


def _foreign(story: Story, step: Step) -> None:
    """A package signed again by another server's key (unchanged otherwise)."""
    if not story.packages:
        return
    base = story.packages[step.args[0] % len(story.packages)]
    if base.harm not in ("", "strip"):
        return
    data = sign_package(base.path, story.foreign.private_pem)
    made = replace(base, number=len(story.packages), path=story.next_path())
    made = replace(made, signer=story.foreign.public_key, harm="")
    story.add(made, data)


def _harm(story: Story, step: Step) -> None:
    pick, how = step.args
    if not story.packages:
        return
    base = story.packages[pick % len(story.packages)]
    if base.harm or (base.signer is None and how != "entry"):
        return
    data = base.path.read_bytes()
    with zipfile.ZipFile(base.path) as read:
        names = read.namelist()
    if how == "strip":
        data = stripped(data, "manifest.sig")
    else:
        entry = {"manifest": "manifest.json", "sig": "manifest.sig"}.get(how) or first_entry(names)
        data = altered(data, entry)
    made = replace(base, number=len(story.packages), path=story.next_path(), harm=how)
    story.add(made, data)
    event(f"harm: {how}")


def _trust(story: Story, step: Step) -> None:
    ws, pick, label = step.args
    model, keys = story.model, story.services.keys
    public_key = model.signers[pick % len(model.signers)]
    key_id, name, now = _id(public_key), NAMES[label], story.clock.now
    known = model.known[ws].get(key_id)
    if known is not None and known.distrusted_at is None:
        refusal = _refused(lambda: keys.trust(story.scope(ws), KeyToTrust(name, public_key)))
        assert refusal.code == "DLF.9010", refusal.message
        _says_what_to_do(refusal, key_id, story.names[ws])
        event("trust refused")
        return
    keys.trust(story.scope(ws), KeyToTrust(name, public_key))
    detail: dict[str, Any] = {"name": name}
    if known is not None:
        detail |= {"again": True, "distrustedAt": known.distrusted_at, "distrustedBy": story.by}
    model.known[ws][key_id] = Known(key_id, name, public_key, now, story.by)
    model.audited(ws, "key.trust", "trusted_key", key_id, detail)
    event("trust again" if known else "trust")


def _distrust(story: Story, step: Step) -> None:
    ws, pick, by_public, label = step.args
    model, keys = story.model, story.services.keys
    public_key = model.signers[pick % len(model.signers)]
    key_id, name, now = _id(public_key), NAMES[label] if label >= 0 else "", story.clock.now
    known = model.known[ws].get(key_id)
    scope = story.scope(ws)

    def call() -> object:
        if by_public:
            return keys.distrust_public_key(scope, KeyToTrust(name, public_key))
        return keys.distrust(scope, key_id)

    if known is not None and known.distrusted_at is not None:
        refusal = _refused(call)
        assert refusal.code == "DLF.9066", refusal.message
        assert refusal.context["distrusted_at"] == known.distrusted_at
        _says_what_to_do(refusal, key_id, story.names[ws])
        event("distrust refused: again")
        return
    if known is None and not by_public:
        refusal = _refused(call)
        assert refusal.code == "DLF.9007", refusal.message
        _says_what_to_do(refusal, key_id, story.names[ws], "trusted-keys/distrust")
        event("distrust refused: unknown")
        return
    marked = call()
    detail: dict[str, Any] = {}
    if known is None:
        known = Known(key_id, name or UNNAMED, public_key, now, story.by)
        model.known[ws][key_id] = known
        detail = {"name": known.name, "byPublicKey": True, "wasTrusted": False}
    else:
        detail = {"name": known.name, "byPublicKey": by_public, "wasTrusted": True}
    known.distrusted_at, known.distrusted_by = now, story.by
    assert getattr(marked, "distrusted", False) or not by_public
    model.audited(ws, "key.distrust", "trusted_key", key_id, detail)
    event(f"distrust: {'public key' if by_public else 'id'}")


def _package(story: Story, pick: int) -> Package | None:
    return story.packages[pick % len(story.packages)] if story.packages else None


def _check_file(story: Story, step: Step) -> None:
    ws, pick, _ = step.args
    package = _package(story, pick)
    if package is None:
        return
    scope = story.scope(ws)
    path = upload(story.services, scope, package.path)
    expected = story.model.state(ws, package)
    if expected in REFUSED_CODES:
        refusal = _refused(lambda: story.services.imports.check_file(scope, path))
        _said_refused(story, ws, package, refusal, expected)
        return
    found = story.services.imports.check_file(scope, path)
    assert found.signature is not None
    assert found.signature.state == expected, (found.signature, package)
    event(f"check: {expected}")


def _said_refused(
    story: Story, ws: int, package: Package, refusal: JobferryError, expected: str
) -> None:
    """A package refused outright, with the code, names and fix the docs give."""
    assert refusal.code == REFUSED_CODES[expected], (refusal.message, package)
    if expected == DISTRUSTED:
        assert package.signer is not None
        known = story.model.known[ws][_id(package.signer)]
        context = refusal.context
        assert (context["key_id"], context["key_name"]) == (known.key_id, known.name)
        assert (context["distrusted_at"], context["distrusted_by"]) == (
            known.distrusted_at,
            known.distrusted_by,
        )
        assert context["workspace"] == story.names[ws]
        _says_what_to_do(refusal, known.key_id, story.names[ws])
    else:  # the reader's refusals say the entry, the rule and the fix in one sentence
        assert "export it again" in refusal.message, refusal.message
        assert str(refusal.context["entry"]) in refusal.message, refusal.message
        assert f"(rule {refusal.context['rule']})" in refusal.message, refusal.message
    event(f"refused: {expected}")


def _plan(story: Story, step: Step) -> None:
    ws, pick, _ = step.args
    package = _package(story, pick)
    if package is None:
        return
    scope = story.scope(ws)
    path = upload(story.services, scope, package.path)
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    expected = story.model.state(ws, package)
    story.model.plans.pop((ws, package.number), None)
    if expected in REFUSED_CODES:
        refusal = _refused(lambda: story.services.imports.plan(scope, request))
        _said_refused(story, ws, package, refusal, expected)
        story.model.audited(ws, "import.refused", "package", path, {"step": "plan"})
        return
    plan = story.services.imports.plan(scope, request)
    assert isinstance(plan, Plan)
    assert plan.signature is not None
    assert plan.signature.state == expected, (plan.signature, package)
    signature_problems = [p for p in plan.problems if p.reason == "signature"]
    assert len(signature_problems) == story.model.refused(ws, expected), plan.problems
    story.model.plans[(ws, package.number)] = KeptPlan(
        plan.plan_id,
        ws,
        package.number,
        (expected, story.model.require[ws]),
        story.model.jobs_shown(ws),
    )
    event(f"plan: {expected}")


def _import(story: Story, step: Step) -> None:
    ws, pick, planned = step.args
    scope, model = story.scope(ws), story.model
    mine = [number for at, number in model.plans if at == ws]
    # an import naming a plan applies the newest plan made into the workspace
    package = story.packages[mine[-1]] if planned and mine else _package(story, pick)
    if package is None:
        return
    kept = model.plans.pop((ws, package.number), None) if planned else None
    path = upload(story.services, scope, package.path)
    options = {"planId": kept.plan_id} if kept is not None else {}
    task = run_import(story.services, scope, path, **options)
    expected = model.state(ws, package)
    code = _import_refusal(model, ws, package, expected, kept)
    result = task.result or {}
    if code is None:
        assert task.status is TaskStatus.SUCCESSFUL, (task.message, package, expected)
        model.jobs[ws][package.job] = package.look
        model.written[ws][package.job] = package.changed_at
    else:
        assert task.status is TaskStatus.FAILED, (task.message, package, expected, code)
        assert result.get("errorCode") == code, (task.message, package, expected)
    event(f"import: {code or 'imported'}{' (planned)' if kept else ''}")


def _import_refusal(
    model: Model, ws: int, package: Package, expected: str, kept: KeptPlan | None
) -> str | None:
    """The code an import's task fails with (``None``: it imports)."""
    if expected in REFUSED_CODES:
        return REFUSED_CODES[expected]
    if kept is not None and (
        kept.signed != (expected, model.require[ws]) or kept.jobs != model.jobs_shown(ws)
    ):
        return "DLF.9015"
    return "DLF.3051" if model.refused(ws, expected) or model.older(ws, package) else None


def _require(story: Story, step: Step) -> None:
    ws, on = step.args
    story.require(ws, on)


ACTS: dict[str, Callable[[Story, Step], None]] = {
    "key": _key,
    "export": _export,
    "foreign": _foreign,
    "harm": _harm,
    "trust": _trust,
    "distrust": _distrust,
    "require": _require,
    "check": _check_file,
    "plan": _plan,
    "import": _import,
    "clock": lambda story, step: story.clock.move(step.args[0]) and None,
}


# -- the checks ------------------------------------------------------------------------------


def _check(story: Story) -> None:
    """After a step: each workspace's signing key, key listings, jobs and key audit."""
    keys, model = story.services.keys, story.model
    for ws in range(WORKSPACES):
        scope = story.scope(ws)
        held = model.signing[ws]
        if held is None:
            refusal = _refused(partial(keys.signing_key, scope))
            assert refusal.code == "DLF.9007"
            _says_what_to_do(refusal, story.names[ws], "POST /v1/{project_id}/signing-key")
        else:
            assert keys.signing_key(scope).public_key == held
        for distrusted in (False, True):
            listed = [
                Known(*(getattr(k, f) for f in SHOWN)).shown
                for k in keys.trusted(scope, distrusted=distrusted)
            ]
            assert listed == model.listed(ws, distrusted), (ws, distrusted)
        assert _jobs(story, scope) == model.jobs[ws], ws
        assert _audited(story, scope) == model.audit[ws], ws


def _jobs(story: Story, scope: Scope) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in JOBS:
        try:
            shown = story.services.jobs.show(scope, name)
        except JobNotFoundError:
            continue
        found[name] = int(str(shown.document["description"]).removeprefix("look "))
    return found


def _audited(story: Story, scope: Scope) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The workspace's entries of keys and of refused imports, oldest first (a refused
    import's detail cut to its step)."""
    entries = story.services.audit.list_entries(scope, 1000, 0, AuditQuery()).entries
    found = []
    for e in reversed(entries):
        if e.action.startswith("key."):
            found.append((e.action, e.object_kind or "", e.object_name or "", e.detail))
        elif e.action == "import.refused":
            detail = {"step": e.detail["step"]}
            found.append((e.action, e.object_kind or "", e.detail["path"], detail))
    return found


def _tell(services: Services, told: SigningStory, folder: Path) -> None:
    with held_clock(START) as clock:
        story = Story(services, folder, clock, told)
        _check(story)
        for step in told.steps:
            clock.move(1000)
            ACTS[step.act](story, step)
            _check(story)


@GENERATED
@given(told=signing_stories())
@example(told=distrusted_and_signed_again())
@example(told=strict_and_foreign())
def test_signing_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, told: SigningStory
) -> None:
    note(repr(told))
    _tell(services, told, tmp_path)
