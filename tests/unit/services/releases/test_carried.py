"""A release across an air gap (SQLite and PostgreSQL): a package exported with its approvals
as one signed release file is taken into another enterprise workspace's production only when
the approvals verify with keys that workspace trusts and the plan made there has the approved
hash; a production that differs is named, a package that is not the approved one refused."""

from __future__ import annotations

import io

import pytest

from jobferry.errors import ApprovalRefusedError, BasisChangedError, InvalidRequestError
from jobferry.package.releasefile import SignedRelease, read_release, write_release
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.keys import parse_trust
from support.releases import (
    Team,
    approve_package,
    connected_team,
    make_package,
    register_key,
    run_release,
    submit_job,
)


def _approved_release(services: Services, team: Team) -> tuple[bytes, str]:
    """A package of team's pending items signed by its deployer: the file and the key."""
    submit_job(services, team.developer, "daily")
    package = make_package(services, team, "carried")
    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    return services.carried_releases.export(team.admin, package), pair.public_key


def _take_in(services: Services, scope: Scope, data: bytes) -> str:
    path = services.imports.upload(scope, io.BytesIO(data), "release.zip").path
    release = services.carried_releases.read(scope, path)
    return services.carried_releases.take_in(scope, release).task_id


def test_a_signed_release_is_taken_in_across_the_air_gap(services: Services) -> None:
    test_side = connected_team(services, "sales")
    data, public_key = _approved_release(services, test_side)
    release = read_release(data)
    assert release.approvals["counted"] == 1

    other = connected_team(services, "ops")
    with pytest.raises(ApprovalRefusedError, match=r"0 approval\(s\) verify with keys it trusts"):
        _take_in(services, other.admin, data)
    services.keys.trust(other.admin, parse_trust({"name": "sales", "publicKey": public_key}))

    forged = SignedRelease(release.package + b" ", release.approvals)
    with pytest.raises(ApprovalRefusedError, match="not the package its approvals name"):
        _take_in(services, other.admin, write_release(forged))
    with pytest.raises(InvalidRequestError, match="not a signed release file"):
        _take_in(services, other.admin, release.package)

    _take_in(services, other.admin, data)
    run_release(services)
    production = other.admin.workspace.production_id
    prod = services.accounts.scope(other.admin.actor, other.admin.actor.project_id, production)
    assert services.jobs.show(prod, "daily").document["name"] == "daily"

    # Production there now holds the job: not the production the release was approved on.
    with pytest.raises(BasisChangedError, match="not the production the release was approved"):
        _take_in(services, other.admin, data)
