"""Removing an environment profile that is not there: refused with its fix, as a look-up of
one is, and nothing is written."""

from __future__ import annotations

import pytest

from jobferry.domain.remedies import Remedy
from jobferry.errors import ProfileNotFoundError
from jobferry.services.container import Services
from support.audits import entries_since, last_entry
from support.console import admin_scope


def test_removing_a_profile_that_is_not_there_is_refused_with_the_fix_and_writes_nothing(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.profiles.put(scope, "prod", {"targetOwned": []})
    before = last_entry(services)

    with pytest.raises(ProfileNotFoundError) as refused:
        services.profiles.delete(scope, "staging")

    error = refused.value
    assert error.problem == (
        f"Environment profile 'staging' does not exist in workspace '{scope.workspace.name}'; "
        "nothing was removed."
    )
    assert error.remedy == Remedy.LIST_PROFILES
    assert error.message.endswith("List them with GET /v1/{project_id}/profiles.")
    assert [p.name for p in services.profiles.list_all(scope)] == ["prod"]
    assert entries_since(services, before) == []
