"""Import, the basis check (``services/importing/basis.py``): the objects a package's basis
names are read through the target port, hashed as the snapshot's side hashed them, and every
one that is not what the snapshot held refuses the import, named with how it changed."""

from __future__ import annotations

from typing import Any, cast

import orjson
import pytest

from jobferry.domain.definitions import definition_hash
from jobferry.errors import BasisChangedError
from jobferry.package.basisblock import BasisBlock, BasisObject
from jobferry.package.routeblock import RouteBlock
from jobferry.services.importing.basis import changed_since, check_basis
from jobferry.services.importing.ports import TargetReader
from jobferry.storage.importing.target import TargetObject
from support.builders import make_job, make_script


class Held:
    """A target port answering only what the check asks: objects by name, a batch at a time."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.objects = objects
        self.asked: list[dict[str, list[str]]] = []

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        self.asked.append(wanted)
        return {
            (kind, name): TargetObject("1", name, orjson.dumps(doc).decode(), "", None, 0)
            for (kind, name), doc in self.objects.items()
            if name in wanted.get(kind, [])
        }


def _block(*objects: BasisObject) -> BasisBlock:
    return BasisBlock("prod", "prod.zip", "a" * 64, None, "jobferry", 1, objects)


def _hash(kind: str, doc: dict[str, Any]) -> str:
    return definition_hash(kind, doc)


JOB, SCRIPT = make_job("daily_sales"), make_script("daily_sales_sql")


def test_objects_as_the_snapshot_held_them_pass_whatever_keys_the_server_owns() -> None:
    served = {**JOB, "id": 7, "createTime": 1, "lastUpdateUser": "ops"}  # a show answer
    target = Held({("job", "daily_sales"): served, ("script", "daily_sales_sql"): SCRIPT})
    block = _block(
        BasisObject("job", "daily_sales", _hash("job", JOB)),
        BasisObject("script", "daily_sales_sql", _hash("script", SCRIPT)),
        BasisObject("job", "new_job", None),
    )
    assert changed_since(cast(TargetReader, target), block) == []
    assert target.asked == [{"job": ["daily_sales", "new_job"], "script": ["daily_sales_sql"]}]


def test_every_object_changed_created_or_deleted_since_is_named() -> None:
    target = Held(
        {
            ("job", "daily_sales"): {**JOB, "description": "hot-fixed"},
            ("job", "new_job"): make_job("new_job"),
        }
    )
    block = _block(
        BasisObject("job", "daily_sales", _hash("job", JOB)),
        BasisObject("job", "new_job", None),
        BasisObject("script", "daily_sales_sql", _hash("script", SCRIPT)),
    )
    with pytest.raises(BasisChangedError) as refused:
        check_basis(cast(TargetReader, target), {"basis": block.as_json()}, "prod")
    assert refused.value.context["changed"] == [
        {"kind": "job", "name": "daily_sales", "change": "changed"},
        {"kind": "job", "name": "new_job", "change": "created"},
        {"kind": "script", "name": "daily_sales_sql", "change": "deleted"},
    ]
    message = refused.value.message
    assert "snapshot 'prod.zip'" in message
    assert "job 'daily_sales' (changed), job 'new_job' (created)" in message
    assert "jobferry remotes refresh prod --from FILE" in message
    # The export names this workspace: the command's context may name another.
    assert "(jobferry export --workspace-all -w prod)" in message
    assert "(jobferry promote ROUTE --out FILE)" in message  # a package cut for no route


def test_a_refused_route_package_names_its_route_in_the_fix() -> None:
    target = Held({("job", "daily_sales"): {**JOB, "description": "hot-fixed"}})
    block = _block(BasisObject("job", "daily_sales", _hash("job", JOB)))
    route = RouteBlock("test-prod", "ws-test", "test", 300, None)
    manifest = {"basis": block.as_json(), "route": route.as_json()}
    with pytest.raises(BasisChangedError) as refused:
        check_basis(cast(TargetReader, target), manifest, "sales prod")
    message = refused.value.message
    assert "(jobferry export --workspace-all -w 'sales prod')" in message
    assert "(jobferry promote test-prod --out FILE)" in message


def test_a_package_without_a_basis_reads_nothing() -> None:
    target = Held({})
    check_basis(cast(TargetReader, target), {"formatVersion": 2}, "prod")
    check_basis(cast(TargetReader, target), None, "prod")
    assert target.asked == []
