"""The basis of a package cut for a remote's side (``services/remotes/basis.py``): the snapshot
the shadow last read and each object's hash in it; refused, naming the fix, when the shadow was
last refreshed from the remote itself."""

from __future__ import annotations

import io

import pytest

from jobferry.domain.definitions import definition_hash
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.basis import ShadowBasis
from support.console import admin_actor
from support.standin import DataArtsStandin


def test_a_basis_names_the_snapshot_and_each_objects_hash_in_it(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    carried = standin.workspace.batch_export()
    services.remotes.refresh_upload(admin_actor(services), "prod", io.BytesIO(carried), "jobs.zip")
    block = ShadowBasis(services.db, shadow, "to_prod")({"job": {"daily_sales", "new_job"}})
    assert block.remote == "prod"
    held = {obj.name: obj.sha256 for obj in block.objects}
    shown = services.jobs.show(shadow, "daily_sales")
    assert held["new_job"] is None
    assert held["daily_sales"] == definition_hash("job", dict(shown.document))


def test_a_basis_is_refused_when_the_shadow_last_read_the_remote(
    services: Services, shadow: Scope
) -> None:
    with pytest.raises(InvalidRequestError, match="refresh from it") as refused:
        ShadowBasis(services.db, shadow, "to_prod")({"job": {"daily_sales"}})
    assert refused.value.context["route"] == "to_prod"
