"""An import refused before its task (``services.importing.refused``): no task is made, but the
audit log shows the attempt: who, when, which package and how large, at which step and why.
A refusal of the server's own (the database busy) is not the attempt's, and is not logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.errors import DatabaseBusyError, JobferryError, PackageError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.refused import REFUSED
from jobferry.services.importing.request import parse_import_request
from jobferry.services.importing.service import ImportService
from support.planning import upload, workspace

BROKEN = b"PK\x03\x04 this is not a zip archive"


@pytest.fixture
def scope(services: Services) -> Scope:
    return workspace(services, "prod")


def _refusals(services: Services, scope: Scope) -> list[tuple[str, str | None, object]]:
    page = services.audit.list_entries(scope, 100, 0, AuditQuery(action=REFUSED))
    return [(e.actor, e.object_name, e.detail) for e in page.entries]


def _broken(services: Services, scope: Scope, tmp_path: Path) -> str:
    package = tmp_path / "broken.zip"
    package.write_bytes(BROKEN)
    return upload(services, scope, package)


def test_a_plan_of_a_corrupt_zip_is_refused_without_a_task_and_the_audit_log_says_so(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    path = _broken(services, scope, tmp_path)
    with pytest.raises(PackageError) as refused:
        services.imports.plan(scope, parse_import_request({"path": path}))

    assert services.tasks.list_tasks(scope).total == 0
    ((actor, name, detail),) = _refusals(services, scope)
    assert (actor, name) == (scope.actor.name, "broken.zip")
    assert detail == {
        "step": "plan",
        "errorCode": "DLF.9020",
        "reason": refused.value.message,
        "size": len(BROKEN),
        "path": path,
    }
    (entry,) = services.audit.list_entries(scope, 10, 0, AuditQuery(action=REFUSED)).entries
    assert entry.object_kind == "package"


def test_an_import_refused_before_its_task_is_logged_at_its_step(
    services: Services, scope: Scope
) -> None:
    """An upload that is not there (expired): the import is refused as it is asked."""
    gone = "upload://" + "0" * 32
    with pytest.raises(JobferryError) as refused:
        services.imports.prepare(scope, parse_import_request({"path": gone}))

    assert refused.value.code == "DLF.0815"
    assert services.tasks.list_tasks(scope).total == 0
    ((_, name, detail),) = _refusals(services, scope)
    assert name == gone
    assert isinstance(detail, dict)
    assert (detail["step"], detail["errorCode"], detail["size"]) == ("import", "DLF.0815", None)


def test_a_refusal_of_the_server_s_own_is_not_logged(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _broken(services, scope, tmp_path)

    def busy(*_args: object, **_kwargs: object) -> None:
        raise services.db.busy()

    monkeypatch.setattr(ImportService, "_request", busy)
    with pytest.raises(DatabaseBusyError):
        services.imports.plan(scope, parse_import_request({"path": path}))
    assert _refusals(services, scope) == []


@pytest.mark.parametrize("planning", [True, False])
def test_a_body_that_is_no_request_is_logged_as_its_import_s_refusal(
    services: Services, scope: Scope, tmp_path: Path, planning: bool
) -> None:
    path = _broken(services, scope, tmp_path)
    body = {"path": path, "sameNamePolicy": "REPLACE"}
    with pytest.raises(JobferryError) as refused:
        services.imports.request_of(scope, body, planning=planning)

    ((actor, name, detail),) = _refusals(services, scope)
    assert (actor, name) == (scope.actor.name, "broken.zip")
    assert detail == {
        "step": "plan" if planning else "import",
        "errorCode": refused.value.code,
        "reason": refused.value.message,
        "size": len(BROKEN),
        "path": path,
    }
    assert "sameNamePolicy" in refused.value.message
    assert services.tasks.list_tasks(scope).total == 0
    # a body without a path names no package: said as it is
    with pytest.raises(JobferryError):
        services.imports.request_of(scope, {"path": 7}, planning=planning)
    assert _refusals(services, scope)[0][1] == ""
    assert services.imports.request_of(scope, {"path": path}, planning=planning).path == path
