"""A remote's shadow keeps the hash beside each definition true (``document_sha256``): the
refresh that writes what the remote holds, a push with what it could not send held as the
remote holds it, and the push's rollback (``tests/unit/services/test_definition_hashes.py``
for the local paths)."""

from __future__ import annotations

from pathlib import Path

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_resource, make_script
from support.console import admin_actor
from support.planning import import_package, untrue_hashes
from support.pushes import SECOND, second_package
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin

shadow = shadow_fixture(pushed=True)


def test_a_refresh_a_push_and_its_rollback_keep_every_hash_of_the_shadow_true(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.workspace.put_job(make_job("made_remotely"))
    standin.workspace.put_script(make_script("remote_sql"))
    standin.workspace.put_resource(make_resource("remote_jar"))
    services.remotes.refresh(admin_actor(services), "prod")  # written in bulk
    assert untrue_hashes(services) == []

    package = second_package(tmp_path)
    task = import_package(services, shadow, package, **SECOND)  # a description it cannot send
    assert untrue_hashes(services) == []

    services.rollback.rollback(shadow, task.id)
    assert untrue_hashes(services) == []

    standin.workspace.edit_job("daily_sales", description="hot-fixed in DataArts")
    services.remotes.refresh(admin_actor(services), "prod")  # an update, in bulk
    assert services.drift.report(shadow).total == 1
    assert untrue_hashes(services) == []
