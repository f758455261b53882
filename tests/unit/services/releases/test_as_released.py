"""An import as released (target status production into an enterprise workspace) writes
production outside the release ledger; it tells the pending items, and the items of packages
still waiting, for the objects it wrote or deleted which version production holds now, as a
release, a rollback and a restore do (``as_released``, ``deployed.tell_waiting``; SQLite and
PostgreSQL)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.definitions import VERSIONS_KEPT
from jobferry.domain.enums import TaskStatus
from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.errors import VersionNotFoundError
from jobferry.services.container import Services
from jobferry.services.exporting.options import parse_background_export
from support.builders import editable, make_job
from support.packages import HEADER
from support.planning import import_package, jobs_with_dependencies, write_objects
from support.releases import (
    Team,
    make_package,
    pending_items,
    production_of,
    release,
    submit_job,
)
from support.workspace_state import workspace_state

Said = tuple[int, int, int]
"""(update type, pending version, deployed version) of an item."""


def _open(services: Services, team: Team) -> dict[str, Said]:
    """name → what each pending item no package holds says."""
    items = pending_items(services, team.developer)
    return {i.name: (i.update_type, i.pending_version, i.deployed_version) for i in items}


def _packaged(services: Services, team: Team, package_id: int) -> dict[str, Said]:
    """name → what each item of a package says."""
    shown = services.releases.show(team.admin, package_id)
    return {i.name: (i.update_type, i.pending_version, i.deployed_version) for i in shown.items}


def _as_released(
    services: Services,
    team: Team,
    package: Path,
    uids: dict[str, str],
    jobs: list[dict[str, Any]],
    deleted: tuple[tuple[str, str, str], ...] = (),
) -> None:
    """Import ``jobs`` (and what they use) into production as released, from a package of
    the development workspace (its objects by their development identity, ``uids`` by name),
    carrying the deletions ``deleted`` (kind, uid, name)."""
    # Newer than the packages releases wrote (an older one is refused as putting back).
    header = replace(HEADER, workspace_id=team.workspace_id, created_at_ms=int(time.time() * 1000))
    objects = jobs_with_dependencies(*jobs) if jobs else []
    write_objects(package, objects, uids=uids, header=header, deleted=deleted)
    import_package(
        services, team.admin, package, targetStatus="PRODUCTION", propagateDeletes=bool(deleted)
    )


def _uids(services: Services, team: Team) -> dict[str, str]:
    return {i.name: i.uid for i in pending_items(services, team.developer)}


def test_an_import_as_released_tells_the_items_waiting_for_what_it_wrote(
    services: Services, team: Team, tmp_path: Path
) -> None:
    submit_job(services, team.developer, "a")
    uids = _uids(services, team)
    waiting = make_package(services, team, "p1")
    submit_job(services, team.developer, "a", description="v2")
    assert _open(services, team)["a"] == (UpdateType.ADD, 2, 0)
    assert _packaged(services, team, waiting)["a"] == (UpdateType.ADD, 1, 0)

    # Production now holds development's version 2 of 'a', put there by no release.
    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a", description="v2")])

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 2)
    assert _packaged(services, team, waiting)["a"] == (UpdateType.CHANGE, 1, 2)
    # A submit, and a cancel giving the package's items back, read the same version.
    submit_job(services, team.developer, "a", description="v3")
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 3, 2)


def test_an_import_as_released_of_what_development_never_submitted_names_no_version(
    services: Services, team: Team, tmp_path: Path
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    uids = {**_uids(services, team)}
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 1)

    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a", description="other")])

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 1)  # the ledger's answer


def test_an_import_as_released_that_deletes_released_jobs_tells_their_deletions(
    services: Services, team: Team, tmp_path: Path
) -> None:
    for name in ("a", "b", "c"):
        submit_job(services, team.developer, name)
    uids = _uids(services, team)
    release(services, team, "r1", StartupMode.LEAVE)
    services.jobs.delete(team.developer, "c")
    waiting = make_package(services, team, "p2")  # carries the deletion of 'c'
    services.jobs.delete(team.developer, "a")
    assert _open(services, team)["a"] == (UpdateType.DELETE, 1, 1)
    assert _packaged(services, team, waiting)["c"] == (UpdateType.DELETE, 1, 1)

    gone = (("job", uids["a"], "a"), ("job", uids["c"], "c"))
    _as_released(services, team, tmp_path / "d.zip", uids, [make_job("b")], gone)

    held = workspace_state(services, production_of(services, team).workspace.id)
    assert ("job", "b") in held
    assert ("job", "a") not in held
    assert ("job", "c") not in held
    assert "a" not in _open(services, team)  # nothing left to delete (as after a rollback)
    assert _packaged(services, team, waiting)["c"] == (UpdateType.DELETE, 0, 0)


def test_a_release_rolled_back_gives_back_the_version_an_import_as_released_wrote(
    services: Services, team: Team, tmp_path: Path
) -> None:
    submit_job(services, team.developer, "a")
    uids = _uids(services, team)
    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a")])
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 1, 1)
    submit_job(services, team.developer, "a", description="v2")
    release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v3")
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 3, 2)

    services.release_rollback.rollback(team.deployer, None)  # production holds 'a' 1 again

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 3, 1)


def test_a_package_cancelled_after_an_import_as_released_gives_its_items_back_as_told(
    services: Services, team: Team, tmp_path: Path
) -> None:
    submit_job(services, team.developer, "a")
    uids = _uids(services, team)
    submit_job(services, team.developer, "a", description="v2")
    waiting = make_package(services, team, "p1")
    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a")])  # version 1
    assert _packaged(services, team, waiting)["a"] == (UpdateType.CHANGE, 2, 1)

    services.releases.cancel(team.deployer, (waiting,))

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 1)


def test_development_s_own_export_of_its_submitted_versions_imported_as_released(
    services: Services, team: Team, tmp_path: Path
) -> None:
    # The way in `workspaces settings --enterprise` prints: export --status submit, import
    # --status production.
    submit_job(services, team.developer, "a")
    submit_job(services, team.developer, "a", description="v2")
    package = _exported_submitted(services, team, tmp_path / "ws.zip")  # holds 'a' 2
    submit_job(services, team.developer, "a", description="v3")
    assert _open(services, team)["a"] == (UpdateType.ADD, 3, 0)

    import_package(services, team.admin, package, targetStatus="PRODUCTION")

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 3, 2)


def _exported_submitted(services: Services, team: Team, path: Path) -> Path:
    """The submitted versions of the development workspace, exported whole to ``path``."""
    asked = {"mode": "workspace", "exportDepend": True, "exportStatus": "SUBMIT"}
    prepared = services.exports.prepare(team.admin, parse_background_export(asked))
    services.exports.run(prepared)
    task = services.tasks.show(team.admin, prepared.task_id)
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    _, chunks = services.downloads.open(team.admin, task.outcome["downloadId"])
    path.write_bytes(b"".join(chunks))
    return path


@pytest.mark.parametrize("put", ["import as released", "release"])
def test_a_submit_after_version_1_reached_production_leaves_the_version_put_there(
    services: Services, team: Team, tmp_path: Path, put: str
) -> None:
    """Production holds the version an import as released put there as it holds the one a
    release put there: development submitting the same definition again later (a change
    undone) releases nothing, so its item names the version production held before, as the
    waiting package's item of the same object says."""
    submit_job(services, team.developer, "a")
    if put == "release":
        release(services, team, "r1", StartupMode.LEAVE)  # version 1
    else:
        uids = _uids(services, team)
        _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a")])  # version 1
    submit_job(services, team.developer, "a", description="v2")
    waiting = make_package(services, team, "p1")
    assert _packaged(services, team, waiting)["a"] == (UpdateType.CHANGE, 2, 1)

    submit_job(services, team.developer, "a")  # version 3: version 1's definition again

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 3, 1)
    assert _packaged(services, team, waiting)["a"] == (UpdateType.CHANGE, 2, 1)


def test_a_definition_imported_as_released_before_it_was_submitted_is_its_first_version(
    services: Services, team: Team, tmp_path: Path
) -> None:
    """Development's saved definition, not submitted, imported as released: production holds
    no version yet (the ledger's answer, version 1, stands); once development submits that
    definition, production holds that version, and submitting it again moves nothing."""
    submit_job(services, team.developer, "a")
    uids = _uids(services, team)
    release(services, team, "r1", StartupMode.LEAVE)  # version 1
    saved = make_job("a", description="v2") | {"targetStatus": "SAVED"}
    services.jobs.update(team.developer, "a", saved)
    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a", description="v2")])

    submit_job(services, team.developer, "a", description="v2")  # version 2
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 2)
    submit_job(services, team.developer, "a", description="v3")
    submit_job(services, team.developer, "a", description="v2")  # version 4: 2's again

    assert _open(services, team)["a"] == (UpdateType.CHANGE, 4, 2)


def _submit_times(services: Services, team: Team, name: str, count: int) -> None:
    """``count`` submits of job ``name`` through the service, each a new definition."""
    body = editable(services.jobs.show(team.developer, name).document)
    for n in range(count):
        services.jobs.update(team.developer, name, body | {"description": f"again {n}"})


def test_the_version_an_import_as_released_put_there_stays_past_the_versions_kept(
    services: Services, team: Team, tmp_path: Path
) -> None:
    """Development keeps its newest 100 versions (as DataArts): 101 submits after an import
    as released of version 2, version 2 is no longer kept, and its items still say production
    holds it, not what the last release put there (version 1)."""
    submit_job(services, team.developer, "a")
    uids = _uids(services, team)
    release(services, team, "r1", StartupMode.LEAVE)  # version 1
    submit_job(services, team.developer, "a", description="v2")
    _as_released(services, team, tmp_path / "a.zip", uids, [make_job("a", description="v2")])
    assert _open(services, team)["a"] == (UpdateType.CHANGE, 2, 2)

    _submit_times(services, team, "a", VERSIONS_KEPT + 1)  # version 2 is dropped

    latest = 2 + VERSIONS_KEPT + 1
    with pytest.raises(VersionNotFoundError):
        services.jobs.show(team.developer, "a", version=2)
    assert _open(services, team)["a"] == (UpdateType.CHANGE, latest, 2)
    waiting = make_package(services, team, "p1")
    _submit_times(services, team, "a", 1)
    assert _open(services, team)["a"] == (UpdateType.CHANGE, latest + 1, 2)
    services.releases.cancel(team.deployer, (waiting,))  # its item pending again, as told
    assert _open(services, team)["a"] == (UpdateType.CHANGE, latest + 1, 2)
