"""A profile version saved before ``targetOwned`` paths were checked, with a path naming no
field: an import naming it is refused, saying which path and what to do, rather than applied as
if it protected that field."""

from __future__ import annotations

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.workspaces.profiles import resolve_profile
from jobferry.storage import profiles as repo
from jobferry.storage.profiles import ProfileRecord
from support.console import admin_scope


def test_a_stored_profile_with_a_path_naming_no_field_is_refused_with_the_fix(
    services: Services,
) -> None:
    scope = admin_scope(services)
    old = {"targetOwned": ["nodes[*].properties[retryTimes]"]}
    with services.db.transaction() as tx:  # as an earlier jobferry saved it, unchecked
        repo.PROFILES.insert_version(
            tx, ProfileRecord(scope.workspace.id, "prod", 1, dump(old), now_ms(), "admin")
        )

    with pytest.raises(InvalidRequestError) as refused, services.db.transaction() as tx:
        resolve_profile(tx, scope, "prod")

    said = str(refused.value)
    assert said.startswith("Stored profile 'prod' is invalid: targetOwned[0]: ")
    assert "write nodes[*].retryTimes" in said
    assert said.endswith(
        f"Save a corrected version of profile 'prod' in workspace '{scope.workspace.name}'."
    )
