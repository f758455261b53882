"""``python -m bench.releases``: enterprise-mode releases in a 10,000-job workspace — packaging
100 pending items, deploying that package, and restoring an older release — through the
release service and through the DataArts Studio SDK against a ``jobferry serve``.

The workload (``bench/workload.py``: N jobs × 5 nodes, one script per job, 200 resources, 20
connections) is put in the bench admin's default workspace, which is switched to enterprise
mode; its whole-workspace export is imported as released, so production holds the same N jobs
(not timed). A developer submits and packages; the admin approves and deploys. Each round
changes 100 jobs in development (a submit each: 100 pending items, not timed), then times:

* **package**: ``create_factory_pending_items_package`` of those 100 items (the package file
  written from their submitted versions, kept, planned into production);
* **deploy**: ``deploy_factory_packages`` until its system task ended (the ATOMIC import of
  the kept plan into production, the ledger entry);
* **restore**, after three releases: production back to the state right after the first
  (the plan from the ledger, and its apply until the task ended).

Through the service: the calls a request handler makes, the task run in this process. Through
the SDK: ``huaweicloudsdkdataartsstudio`` calls against a server process on the same database,
the task polled with ``list_system_tasks`` (dgc SDK), the restore a signed call of jobferry's
extension. Target (issue #46, 2 cores): each ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdataartsstudio.v1 import (  # type: ignore[import-untyped]
    CreateFactoryPendingItemsPackageBody,
    CreateFactoryPendingItemsPackageRequest,
    DataArtsStudioClient,
    DeployFactoryPackagesRequest,
    DeployFactoryPackagesRequestBody,
)
from huaweicloudsdkdgc.v1 import DgcClient, ListSystemTasksRequest

from bench.databases import PG_URL, database
from bench.remotes import _export, _import, migrated
from bench.remotes_cli import local_server
from bench.throughput import AK, PROJECT, SK, load_average
from bench.workload import generate, job_doc
from jobferry.domain.enums import Role, TaskKind
from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.releases.records import DeployRequest, PackageRequest
from jobferry.services.releases.restore import RestoreStarted
from jobferry.signing import sign_request
from jobferry.storage.releases import ItemFilter

ITEMS = 100
TARGET_SECONDS = 2.0
DEVELOPER = "bench_developer"


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def seed(services: Services, jobs: int) -> tuple[Scope, Scope, tuple[str, str]]:
    """The enterprise workspace (development and production with ``jobs`` jobs) as its admin
    and as the developer who packages (with the developer's access key and secret)."""
    actor = services.accounts.actor_for(AK)
    scope = services.accounts.scope(actor, actor.project_id, None)
    generate(services, scope, jobs)
    services.releases.update_workspace(scope, {"name": scope.workspace.name, "mode": "1"})
    scope = services.accounts.scope(actor, actor.project_id, None)
    path = _export(services, scope, {"mode": "workspace"})
    _import(
        services,
        scope,
        {"path": path, "sameNamePolicy": "OVERWRITE", "targetStatus": "PRODUCTION"},
    )
    user = services.accounts.create_user(actor, actor.project_id, DEVELOPER, False)
    ws = scope.workspace.id
    services.accounts.set_role(actor, actor.project_id, DEVELOPER, ws, Role.DEVELOPER.value)
    keys = services.accounts.issue_credential(actor, actor.project_id, DEVELOPER)
    developer = services.accounts.scope(
        Actor(user.id, DEVELOPER, actor.project_id, False), actor.project_id, ws
    )
    return scope, developer, (keys.access_key, keys.secret_key)


def change_jobs(services: Services, scope: Scope, first: int, round_: int) -> list[str]:
    """Jobs ``first`` … ``first + 99`` changed and submitted (100 pending items)."""
    import random

    rng = random.Random(first)
    for i in range(first, first + ITEMS):
        doc = job_doc(i, rng)
        doc["description"] = f"release round {round_}"
        services.jobs.update(scope, str(doc["name"]), doc)
    _, items = services.releases.pending(scope, ItemFilter(item_name="job_"), ITEMS, 0)
    return [str(i.id) for i in items]


def _run_task(services: Services) -> None:
    claimed = services.tasks.claim((TaskKind.IMPORT,), look_first=False)
    assert claimed is not None
    services.imports.run(services.imports.resume(claimed))


def service_path(services: Services, admin: Scope, developer: Scope) -> dict[str, Any]:
    """Three releases of 100 items through the service, then the first restored."""
    rounds: list[dict[str, Any]] = []
    packages = []
    for round_ in range(3):
        items = change_jobs(services, developer, 0, round_)
        request = PackageRequest(
            str(developer.actor.user_id), f"svc_{round_}", tuple(items), (str(admin.actor.user_id),)
        )
        load, started = load_average(), time.perf_counter()
        package = services.releases.create(developer, request, []).package_id
        packaged = _seconds(started)
        started = time.perf_counter()
        services.releases.deploy(admin, DeployRequest((package,), StartupMode.LEAVE))
        _run_task(services)
        deployed = _seconds(started)
        packages.append(package)
        rounds.append({"package": packaged, "deploy": deployed, "load": load})
    load, started = load_average(), time.perf_counter()
    done = services.restores.restore(admin, packages[0])
    assert isinstance(done, RestoreStarted)
    _run_task(services)
    restored = _seconds(started)
    return {"rounds": rounds, "restore": restored, "restore_load": load}


def _http_config() -> HttpConfig:
    config = HttpConfig.get_default_config()
    config.timeout = (5, 60)
    return config


class Sdk:
    """The SDK clients of the bench admin, and jobferry's extension calls, against ``url``."""

    def __init__(self, url: str, workspace: str, ak: str = AK, sk: str = SK) -> None:
        self.url, self.workspace = url, workspace
        self.studio = (
            DataArtsStudioClient.new_builder()
            .with_http_config(_http_config())
            .with_credentials(BasicCredentials(ak, sk, PROJECT))
            .with_endpoints([url])
            .build()
        )
        self.dgc = (
            DgcClient.new_builder()
            .with_http_config(_http_config())
            .with_credentials(BasicCredentials(AK, SK, PROJECT))
            .with_endpoints([url])
            .build()
        )

    def wait(self, task_id: str) -> str:
        while True:
            asked = ListSystemTasksRequest(workspace=self.workspace, task_id=task_id)
            task = self.dgc.list_system_tasks(asked)
            if task.status != "RUNNING":
                return str(task.status)
            time.sleep(0.02)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        raw = f"/v2/{PROJECT}/factory{path}"
        data = json.dumps(body).encode()
        headers = {
            "Host": self.url.removeprefix("http://"),
            "Content-Type": "application/json",
            "X-Project-Id": PROJECT,
            "workspace": self.workspace,
        }
        headers.update(sign_request("POST", raw, "", headers, data, AK, SK))
        answer = requests.post(self.url + raw, data=data, headers=headers, timeout=60)
        answer.raise_for_status()
        return answer.json()


def sdk_path(
    admin: Sdk, developer: Sdk, change: Callable[[int], list[str]], ids: tuple[str, str]
) -> dict[str, Any]:
    """Three releases of 100 items through the SDK (the developer packages, the admin
    deploys), then the first restored."""
    rounds: list[dict[str, Any]] = []
    packages = []
    for round_ in range(3):
        items = change(round_)
        body = CreateFactoryPendingItemsPackageBody(
            apply_user_id=ids[0],
            package_name=f"sdk_{round_}",
            pending_item_list=items,
            approver_ids=[ids[1]],
        )
        load, started = load_average(), time.perf_counter()
        made = developer.studio.create_factory_pending_items_package(
            CreateFactoryPendingItemsPackageRequest(workspace=developer.workspace, body=body)
        )
        packaged = _seconds(started)
        package = str(made.release_package_id)
        started = time.perf_counter()
        asked = DeployFactoryPackagesRequestBody(package_ids=[package], startup_mode=0)
        deployed = admin.studio.deploy_factory_packages(
            DeployFactoryPackagesRequest(workspace=admin.workspace, body=asked)
        )
        status = admin.wait(deployed.deploy_package_details[0].asy_task_id)
        assert status == "SUCCESSFUL", status
        rounds.append({"package": packaged, "deploy": _seconds(started), "load": load})
        packages.append(package)
    load, started = load_average(), time.perf_counter()
    answer = admin.post(f"/release-packages/{packages[0]}/restore", {})
    status = admin.wait(answer["asy_task_id"])
    assert status == "SUCCESSFUL", status
    return {"rounds": rounds, "restore": _seconds(started), "restore_load": load}


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Seed, the service path, then the SDK path on the same database."""
    with database(args.db, root, args.pg_url, "releases") as url:
        db, services = migrated(root, url)
        started = time.perf_counter()
        admin, developer, keys = seed(services, args.jobs)
        seeded = _seconds(started)
        by_service = service_path(services, admin, developer)
        ids = (str(developer.actor.user_id), str(admin.actor.user_id))
        db.dispose()
        with local_server(root, url) as (server_url, _pid):
            db, services = migrated(root, url)

            def change(round_: int) -> list[str]:
                return change_jobs(services, developer, ITEMS, round_)

            ws = admin.workspace.id
            by_sdk = sdk_path(Sdk(server_url, ws), Sdk(server_url, ws, *keys), change, ids)
            db.dispose()
    return {
        "jobs": args.jobs,
        "db": args.db,
        "seed_seconds": seeded,
        "service": by_service,
        "sdk": by_sdk,
        "target_seconds": TARGET_SECONDS,
        "cores": os.cpu_count(),
    }


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
