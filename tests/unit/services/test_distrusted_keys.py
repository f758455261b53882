"""A distrusted signing key is remembered (``services/workspaces/keys.py``): the workspace keeps
it, marked with when and by whom, and refuses every package it signs at check, plan and
import (``DLF.9065``), whether or not it requires signed packages; trusting it again clears
the mark. On both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import TaskStatus
from jobferry.errors import (
    AlreadyDistrustedError,
    JobNotFoundError,
    KeyDistrustedError,
    KeyNotFoundError,
    NameTakenError,
)
from jobferry.package.keys import KeyPair
from jobferry.package.signature import generate_key_pair, sign_package
from jobferry.services.audit import AuditEntry
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.local import LocalReader
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.workspaces.keys import KeyToTrust, signing_trust
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage.keys import TrustedKeyRecord
from support.packages import write_package
from support.planning import run_import, upload, workspace


@pytest.fixture
def pair() -> KeyPair:
    return generate_key_pair()


def _signed(tmp_path: Path, pair: KeyPair) -> Path:
    package = tmp_path / "signed.zip"
    package.write_bytes(sign_package(write_package(tmp_path / "p.zip"), pair.private_pem))
    return package


def _entries(services: Services, scope: Scope, action: str) -> list[AuditEntry]:
    return services.audit.list_entries(scope, 100, 0, AuditQuery(action=action)).entries


def _requiring(services: Services, scope: Scope, required: bool) -> Scope:
    """The scope's workspace with ``requireSigned`` set as asked (the scope read again)."""
    actor = scope.actor
    settings = WorkspaceSettings(require_signed=required)
    services.accounts.update_workspace(actor, actor.project_id, scope.workspace.id, settings)
    return services.accounts.scope(actor, actor.project_id, scope.workspace.id)


@pytest.mark.parametrize("required", [False, True], ids=["signatures-optional", "required"])
def test_a_package_signed_by_a_distrusted_key_is_refused_at_check_plan_and_import(
    services: Services, tmp_path: Path, pair: KeyPair, required: bool
) -> None:
    scope = _requiring(services, workspace(services, "prod"), required)
    services.keys.trust(scope, KeyToTrust("test env", pair.public_key))
    path = upload(services, scope, _signed(tmp_path, pair))
    services.keys.distrust(scope, pair.key_id)

    with pytest.raises(KeyDistrustedError) as checked:
        services.imports.check_file(scope, path)
    with pytest.raises(KeyDistrustedError):
        services.imports.plan(scope, parse_import_request({"path": path}))
    task = run_import(services, scope, path)

    refusal = checked.value
    assert refusal.code == "DLF.9065"
    assert f"signed by key {pair.key_id} ('test env'), which workspace 'prod'" in refusal.problem
    assert "distrusted on " in refusal.problem
    assert "by admin" in refusal.problem
    assert "trust it again (POST /v1/{project_id}/trusted-keys" in refusal.message
    assert refusal.context["distrusted_by"] == "admin"
    assert refusal.context["public_key"] == pair.public_key
    assert (task.status, task.result and task.result["errorCode"]) == (
        TaskStatus.FAILED,
        "DLF.9065",
    )
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.status(scope, "daily_sales")


def test_a_plan_made_before_the_key_was_distrusted_is_not_imported_after(
    services: Services, tmp_path: Path, pair: KeyPair
) -> None:
    scope = workspace(services, "prod")
    services.keys.trust(scope, KeyToTrust("test env", pair.public_key))
    path = upload(services, scope, _signed(tmp_path, pair))
    body = {"path": path, "sameNamePolicy": "OVERWRITE"}  # as run_import asks
    plan = services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    assert plan.signature is not None
    assert plan.signature.state == "valid"

    services.keys.distrust(scope, pair.key_id)
    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.FAILED
    assert task.result is not None
    assert task.result["errorCode"] == "DLF.9065"
    with pytest.raises(JobNotFoundError):
        services.jobs.status(scope, "daily_sales")


def test_trusting_a_distrusted_key_again_clears_the_mark_and_its_packages_import(
    services: Services, tmp_path: Path, pair: KeyPair
) -> None:
    scope = workspace(services, "prod")
    services.keys.trust(scope, KeyToTrust("test env", pair.public_key))
    path = upload(services, scope, _signed(tmp_path, pair))
    listed_before = services.keys.distrust(scope, pair.key_id)

    again = services.keys.trust(scope, KeyToTrust("test env, reissued", pair.public_key))

    assert (again.distrusted, again.name) == (False, "test env, reissued")
    assert [k.key_id for k in services.keys.trusted(scope)] == [pair.key_id]
    assert services.imports.check_file(scope, path).signature.state == "valid"
    assert run_import(services, scope, path).status is TaskStatus.SUCCESSFUL
    newest = _entries(services, scope, "key.trust")[0]
    assert newest.detail == {
        "name": "test env, reissued",
        "again": True,
        "distrustedAt": listed_before.distrusted_at,
        "distrustedBy": "admin",
    }


def test_the_list_marks_distrusted_keys_and_by_default_lists_the_trusted_ones_only(
    services: Services, pair: KeyPair
) -> None:
    scope = workspace(services, "prod")
    other = generate_key_pair()
    services.keys.trust(scope, KeyToTrust("kept", other.public_key))
    services.keys.trust(scope, KeyToTrust("leaked", pair.public_key))

    gone = services.keys.distrust(scope, pair.key_id)

    assert [k.name for k in services.keys.trusted(scope)] == ["kept"]
    listed = {k.name: k for k in services.keys.trusted(scope, distrusted=True)}
    assert (listed["kept"].distrusted, listed["leaked"].distrusted) == (False, True)
    assert listed["leaked"] == gone
    assert (gone.distrusted_by, gone.distrusted_at is not None) == ("admin", True)


def test_distrusting_a_distrusted_key_again_changes_nothing_and_says_so(
    services: Services, pair: KeyPair
) -> None:
    scope = workspace(services, "prod")
    services.keys.trust(scope, KeyToTrust("leaked", pair.public_key))
    first = services.keys.distrust(scope, pair.key_id)

    with pytest.raises(AlreadyDistrustedError) as refused:
        services.keys.distrust(scope, pair.key_id)

    assert refused.value.code == "DLF.9066"
    assert f"Key {pair.key_id} ('leaked') is already distrusted" in refused.value.message
    assert "Nothing changed." in refused.value.message
    assert refused.value.context["distrusted_at"] == first.distrusted_at
    assert services.keys.trusted(scope, distrusted=True) == [first]
    assert len(_entries(services, scope, "key.distrust")) == 1


def test_a_distrusted_key_that_signs_for_a_workspace_of_the_project_is_refused_too(
    services: Services,
) -> None:
    """A workspace without ``requireSigned`` accepts its project's signing keys untrusted;
    distrusting one of them refuses its packages all the same."""
    dev, prod = workspace(services, "dev"), workspace(services, "prod")
    key = services.keys.create_signing_key(dev)
    services.keys.trust(prod, KeyToTrust("dev", key.public_key))
    manifest = b'{"formatVersion": 2}\n'
    with services.db.transaction(readonly=True) as tx:
        sign = services.keys.signer_in(tx, dev.workspace.id)
        assert sign is not None
        signature = sign(manifest)
        assert signing_trust(tx, prod).check(manifest, signature, "prod").state == "valid"
    services.keys.distrust(prod, key.key_id)

    with services.db.transaction(readonly=True) as tx, pytest.raises(KeyDistrustedError):
        signing_trust(tx, prod).check(manifest, signature, "prod")


@pytest.mark.parametrize("listed", [True, False], ids=["by-id", "by-public-key"])
def test_a_key_distrusted_while_an_import_it_signed_is_applied_waits_for_that_import(
    services: Services,
    tmp_path: Path,
    pair: KeyPair,
    monkeypatch: pytest.MonkeyPatch,
    listed: bool,
) -> None:
    """A distrust that answered while an import of a package its key signed was being applied
    (that import read the workspace's distrusted keys before it) let that import commit after
    it: the key said distrusted, its package imported all the same. The distrust waits for the
    apply instead (or the apply for the distrust, and is refused)."""
    scope = workspace(services, "prod")
    if listed:  # else imported as untrusted (the workspace does not require signed packages)
        services.keys.trust(scope, KeyToTrust("test env", pair.public_key))
    path = upload(services, scope, _signed(tmp_path, pair))
    read, go = threading.Event(), threading.Event()
    reads = LocalReader.distrusted_keys

    def held(self: LocalReader) -> list[TrustedKeyRecord]:
        found = reads(self)
        if self._lock:  # the apply's reader: held here, its transaction open
            read.set()
            go.wait(10)
        return found

    monkeypatch.setattr(LocalReader, "distrusted_keys", held)
    with ThreadPoolExecutor(2) as pool:
        importing = pool.submit(run_import, services, scope, path)
        assert read.wait(30)
        distrusting = (
            pool.submit(services.keys.distrust, scope, pair.key_id)
            if listed
            else pool.submit(
                services.keys.distrust_public_key, scope, KeyToTrust("leaked", pair.public_key)
            )
        )
        wait([distrusting], timeout=0.3)  # it answers in milliseconds when it does not wait
        answered_first = distrusting.done()
        go.set()
        task, gone = importing.result(30), distrusting.result(30)

    assert not answered_first  # the distrust waited for the apply it would have come too late for
    assert task.status is TaskStatus.SUCCESSFUL  # imported before the key was distrusted
    assert gone.distrusted


def test_a_key_the_workspace_never_trusted_is_distrusted_by_its_public_key(
    services: Services, tmp_path: Path, pair: KeyPair
) -> None:
    """Told that a key leaked, an admin distrusts it where it was never listed: its packages,
    which a workspace not requiring signed packages imported as untrusted, are refused."""
    scope = workspace(services, "prod")
    path = upload(services, scope, _signed(tmp_path, pair))
    assert services.imports.check_file(scope, path).signature.state == "untrusted"

    marked = services.keys.distrust_public_key(scope, KeyToTrust("", pair.public_key))

    assert (marked.key_id, marked.name, marked.distrusted_by) == (pair.key_id, "unnamed", "admin")
    assert marked.distrusted_at == marked.added_at
    assert services.keys.trusted(scope) == []
    assert services.keys.trusted(scope, distrusted=True) == [marked]
    with pytest.raises(KeyDistrustedError, match=f"signed by key {pair.key_id} \\('unnamed'\\)"):
        services.imports.check_file(scope, path)
    assert run_import(services, scope, path).status is TaskStatus.FAILED
    (entry,) = _entries(services, scope, "key.distrust")
    assert (entry.object_name, entry.detail) == (
        pair.key_id,
        {"name": "unnamed", "byPublicKey": True, "wasTrusted": False},
    )
    with pytest.raises(AlreadyDistrustedError, match="already distrusted"):
        services.keys.distrust_public_key(scope, KeyToTrust("again", pair.public_key))
    again = services.keys.trust(scope, KeyToTrust("reissued", pair.public_key))
    assert (again.distrusted, again.name) == (False, "reissued")


def test_a_sibling_workspace_signing_key_accepted_unlisted_is_distrusted_by_its_public_key(
    services: Services,
) -> None:
    dev, prod = workspace(services, "dev"), workspace(services, "prod")
    key = services.keys.create_signing_key(dev)
    manifest = b'{"formatVersion": 2}\n'
    with services.db.transaction(readonly=True) as tx:
        sign = services.keys.signer_in(tx, dev.workspace.id)
        assert sign is not None
        signature = sign(manifest)
        assert signing_trust(tx, prod).check(manifest, signature, "prod").state == "valid"

    services.keys.distrust_public_key(prod, KeyToTrust("dev signing key", key.public_key))

    with services.db.transaction(readonly=True) as tx, pytest.raises(KeyDistrustedError) as no:
        signing_trust(tx, prod).check(manifest, signature, "prod")
    assert no.value.context["key_name"] == "dev signing key"
    with services.db.transaction(readonly=True) as tx:  # dev itself is not concerned
        assert signing_trust(tx, dev).check(manifest, signature, "dev").state == "valid"


def test_a_trusted_key_distrusted_by_its_public_key_keeps_its_name(
    services: Services, pair: KeyPair
) -> None:
    scope = workspace(services, "prod")
    services.keys.trust(scope, KeyToTrust("test env", pair.public_key))

    marked = services.keys.distrust_public_key(scope, KeyToTrust("other", pair.public_key))

    assert (marked.name, marked.distrusted) == ("test env", True)
    assert services.keys.trusted(scope) == []
    (entry,) = _entries(services, scope, "key.distrust")
    assert entry.detail == {"name": "test env", "byPublicKey": True, "wasTrusted": True}


def test_trusting_a_trusted_key_or_deleting_a_missing_signing_key_says_nothing_changed(
    services: Services, pair: KeyPair
) -> None:
    """Refusals that change nothing say so, beside the key or workspace they name."""
    scope = workspace(services, "prod")
    services.keys.trust(scope, KeyToTrust("test env", pair.public_key))

    with pytest.raises(NameTakenError) as trusted:
        services.keys.trust(scope, KeyToTrust("other", pair.public_key))
    with pytest.raises(KeyNotFoundError) as missing:
        services.keys.delete_signing_key(scope)

    assert trusted.value.problem == (
        f"Key {pair.key_id} is already trusted in workspace 'prod', as 'test env'."
    )
    assert trusted.value.message.endswith("Nothing changed: its signatures are accepted already.")
    assert missing.value.message == (
        "Workspace 'prod' has no signing key to delete. Nothing changed: its exports are not "
        "signed already."
    )
    assert [k.name for k in services.keys.trusted(scope)] == ["test env"]
