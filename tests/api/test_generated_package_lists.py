"""Generated stories of ``list_factory_release_packages`` (``support/package_list_stories.py``,
which says what docs/api.md promises), through the API app: whatever the filters, order and
page size, walking the pages (``offset`` a page number) from 0 reaches every matching package
exactly once, in the order asked (by ``order_column``, ``desc`` unless ``asc``), ``total``
counting them on every page, and a page asked alone is that walk's slice.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, note

from jobferry.services.container import Services
from support.builders import make_script
from support.clients import SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.importing import connected_workspace
from support.list_model import mistyped
from support.package_list_stories import Package, matches, package_list_stories
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(5)
_SERIAL = itertools.count()


class Told:
    """A story's enterprise workspace and its packages, each of one script."""

    def __init__(self, api: SignedClient, services: Services, made: list[Package]) -> None:
        boss, n = admin_actor(services), next(_SERIAL)
        pid, accounts = boss.project_id, services.accounts
        self.api, self.workspace = api, connected_workspace(api, f"pk{n}")
        switched = api.call(
            "PUT", f"/{pid}/workspace/{self.workspace}", {"name": f"pk{n}", "mode": "1"}
        )
        assert switched.status_code == 200, switched.text
        self.applicant = f"pk{n}dev"
        accounts.create_user(boss, pid, self.applicant, False)
        accounts.set_role(boss, pid, self.applicant, self.workspace, "developer")
        key = accounts.issue_credential(boss, pid, self.applicant)
        developer = api.as_user(key.access_key, key.secret_key)
        users = self.v2("GET", f"/{self.workspace}/users", query={"limit": 100}, factory=False)
        ids = {u["user_name"]: u["user_id"] for u in users["data"]}
        for i, package in enumerate(made):
            script = f"s{i}"
            assert self.call(developer, "POST", "/scripts", make_script(script)).status_code == 204
            items = self.v2("GET", "/pending-items", query={"item_name": script, "limit": 100})
            item = next(it for it in items["data"] if it["item_name"] == script)
            body = {
                "apply_user_id": ids[self.applicant],
                "package_name": package.name,
                "pending_item_list": [item["pending_item_id"]],
                "approver_ids": [ids[boss.name]],
            }
            answer = self.call(developer, "POST", "/factory/pending-items/package", body, "v2")
            assert answer.status_code == 200, answer.text
            if package.cancelled:
                ids_ = {"package_ids": [answer.json()["release_package_id"]]}
                self.v2("POST", "/release-packages/unpack", ids_)

    def call(
        self, who: SignedClient, method: str, path: str, body: Any = None, v: str = "v1"
    ) -> Any:
        return who.call(method, path, body, workspace=self.workspace, version=v)

    def v2(
        self, method: str, path: str, body: Any = None, *, factory: bool = True, **kw: Any
    ) -> Any:
        full = f"/factory{path}" if factory else path
        answer = self.api.call(method, full, body, workspace=self.workspace, version="v2", **kw)
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.content else None

    def page(self, body: dict[str, Any], limit: int, offset: int) -> Any:
        return self.v2("POST", "/release-packages", {**body, "limit": limit, "offset": offset})


def _column(item: dict[str, Any], column: str) -> Any:
    return item[column]


def _check(told: Told, made: list[Package], step: Step) -> None:
    body, limit, offset = step.args
    wanted = sorted(p.name for p in made if matches(p, body, told.applicant))
    seen: list[dict[str, Any]] = []
    for number in range(30):
        answer = told.page(body, limit, number)
        assert answer["total"] == len(wanted), (answer, wanted)
        seen += answer["data"]
        if len(answer["data"]) < limit:
            break
    names = [p["package_name"] for p in seen]
    assert [mistyped(p, "packages") for p in seen] == [{}] * len(seen), seen
    assert sorted(names) == wanted, (names, wanted)  # each once
    column = body.get("order_column", "apply_timestamp")
    keys = [_column(p, column) for p in seen]
    descending = body.get("sorted_direction", "desc") == "desc"
    assert keys == sorted(keys, reverse=descending), (column, keys)
    alone = told.page(body, limit, offset)["data"]
    assert alone == seen[offset * limit : (offset + 1) * limit]


@GENERATED
@given(story=package_list_stories())
def test_release_packages_list_filters_orders_and_pages_as_documented(
    api: SignedClient, services: Services, story: Any
) -> None:
    made, asked = story
    note(repr(story))
    told = Told(api, services, made)
    for step in asked:
        _check(told, made, step)
