"""A remote's shadow workspace changes only with the remote (docs/remotes.md): its environment
variables, which a refresh mirrors, are not saved by hand there."""

from __future__ import annotations

import pytest

from jobferry.domain.remedies import Remedy
from jobferry.errors import ShadowWorkspaceError
from jobferry.services.container import Services
from support.audits import entries_since, last_entry
from support.console import admin_scope, mark_shadow
from support.planning import workspace


def test_a_shadow_refuses_variables_saved_by_hand_and_keeps_its_own(services: Services) -> None:
    scope = workspace(services, "mirror")
    services.variables.save(scope, {"params": [{"name": "env", "value": "remote"}]})
    mark_shadow(services, scope.workspace.id, "prod")
    shadow = admin_scope(services, scope.workspace.id)
    before = last_entry(services)

    with pytest.raises(ShadowWorkspaceError) as refused:
        services.variables.save(shadow, {"params": [{"name": "env", "value": "by hand"}]})

    assert refused.value.code == "DLF.9063"
    assert refused.value.remedy == Remedy.REFRESH_SHADOW
    assert "shadow of remote 'prod'" in refused.value.problem
    assert "Make the change in the remote workspace" in refused.value.message
    assert [(v.name, v.value) for v in services.variables.list(shadow)] == [("env", "remote")]
    assert entries_since(services, before) == []
