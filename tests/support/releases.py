"""Enterprise-mode helpers: a workspace switched to enterprise mode, its people (a developer
who submits and packages, a deployer who releases), running a release's queued import, and an
import as released of what development submitted."""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from typing import Any

from huaweicloudsdkdataartsstudio.v1 import (
    CreateFactoryPendingItemsPackageBody,
    CreateFactoryPendingItemsPackageRequest,
    DeployFactoryPackagesRequest,
    DeployFactoryPackagesRequestBody,
    ListFactoryPendingItemsRequest,
    ShowFactoryPackageDetailRequest,
    UpdateWorkSpaceOldRequest,
    WorkspaceDto,
)
from huaweicloudsdkdgc.v1 import CreateJobRequest, ListJobsRequest
from sqlalchemy import select

from jobferry.domain.enums import Role, TaskKind, TaskStatus
from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import KeyPair, generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.carried import TakenIn
from jobferry.services.releases.records import DeployRequest, PackageRequest
from jobferry.services.taskviews import Task
from jobferry.services.workspaces.keys import parse_trust
from jobferry.storage import tables
from jobferry.storage.releases import ItemFilter, ItemRecord
from support.builders import make_job, make_script
from support.console import admin_actor
from support.sdkcalls import unset_fields
from support.server import ServerProcess, new_user


@dataclass(frozen=True)
class Team:
    """An enterprise workspace as its admin, a developer and a deployer see it."""

    admin: Scope
    developer: Scope
    deployer: Scope

    @property
    def workspace_id(self) -> str:
        return self.admin.workspace.id


def person(
    services: Services, workspace_id: str, name: str, role: Role | None, admin: Actor | None = None
) -> Scope:
    """A new user of the project with ``role`` in the workspace, as a scope there (made by
    ``admin``, by default the test services' bootstrap admin)."""
    admin = admin or admin_actor(services)
    user = services.accounts.create_user(admin, admin.project_id, name, False)
    if role is not None:
        services.accounts.set_role(admin, admin.project_id, name, workspace_id, role.value)
    actor = Actor(user.id, name, admin.project_id, False)
    return services.accounts.scope(actor, admin.project_id, workspace_id)


def enterprise_team(services: Services, name: str = "sales", admin: Actor | None = None) -> Team:
    """A new workspace switched to enterprise mode, with a developer and a deployer (made by
    ``admin``, by default the test services' bootstrap admin)."""
    admin = admin or admin_actor(services)
    ws = services.accounts.create_workspace(admin, admin.project_id, name)
    scope = services.accounts.scope(admin, admin.project_id, ws)
    services.releases.update_workspace(scope, {"name": name, "mode": "1"})
    admin_scope = services.accounts.scope(admin, admin.project_id, ws)
    assert admin_scope.workspace.enterprise
    return Team(
        admin_scope,
        person(services, ws, f"{name}_dev", Role.DEVELOPER, admin),
        person(services, ws, f"{name}_deployer", Role.DEPLOYER, admin),
    )


def connected_team(services: Services, name: str = "sales", admin: Actor | None = None) -> Team:
    """An enterprise team (:func:`enterprise_team`) with the connections the built jobs use
    (:func:`register_connections`)."""
    team = enterprise_team(services, name, admin)
    register_connections(services, team)
    return team


def register_connections(services: Services, team: Team) -> None:
    """The connections the built jobs use: dws_conn with a production side of its own."""
    dws = {"type": "DWS", "config": {"host": "dev-db"}, "secrets": {"password": "pw"}}
    services.environment.put(team.admin, "connection", "dws_conn", dws)
    services.environment.put(team.admin, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    body = {
        "data_source_vos": [
            {
                "dw_name": "dws_conn",
                "dw_type": "DWS",
                "dw_config": {"host": "prod-db", "password": "prod-pw"},
                "env_type": 1,
            }
        ]
    }
    services.data_connections.create(team.admin, body)


def submit_job(services: Services, scope: Scope, name: str, **overrides: object) -> None:
    """Create or update (submitting a version) a job and the two scripts it runs."""
    for script in (make_script(f"{name}_sql"), make_script(f"{name}_sh", type="Shell")):
        _save_script(services, scope, script)
    job = make_job(name, **overrides)
    try:
        services.jobs.show(scope, name)
    except Exception:
        services.jobs.create(scope, job)
    else:
        services.jobs.update(scope, name, job)


def _save_script(services: Services, scope: Scope, script: dict[str, object]) -> None:
    try:
        services.scripts.show(scope, str(script["name"]))
    except Exception:
        services.scripts.create(scope, script)
    else:
        services.scripts.update(scope, str(script["name"]), script)


def run_release(services: Services) -> None:
    """Run the import a deploy queued (as a server's task runner would). An app's task runner
    (the ``api`` and ``browser`` fixtures run one) may take it first: then wait for its end."""
    claimed = services.tasks.claim((TaskKind.IMPORT,), look_first=False)
    if claimed is not None:
        services.imports.run(services.imports.resume(claimed))
        return
    running = (tables.system_tasks.c.kind == TaskKind.IMPORT.value) & (
        tables.system_tasks.c.status == "RUNNING"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with services.db.transaction(readonly=True) as tx:
            left = tx.conn.execute(select(tables.system_tasks.c.id).where(running)).first()
        if left is None:  # it ended (or none was queued: the test's own checks then fail)
            return
        time.sleep(0.05)
    raise AssertionError("the task runner that took the release did not end it")


@dataclass(frozen=True)
class Person:
    """A user of the server with a role in the workspace: id, Studio and dgc clients."""

    user_id: str
    studio: Any
    dgc: Any
    ak: str = ""
    sk: str = ""

    def on(self, server: ServerProcess) -> Person:
        """The same person's clients pointed at ``server`` (a server restarted on the data)."""
        return Person(
            self.user_id,
            server.studio_client(self.ak, self.sk),
            server.client(self.ak, self.sk),
            self.ak,
            self.sk,
        )


def studio_person(server: ServerProcess, ws: str, name: str, role: str) -> Person:
    """A new user ``name`` of the server with ``role`` in workspace ``ws``, and credentials."""
    new_user(server, name)
    listed = server.call("GET", "/users").json()["users"]
    user_id = str(next(u["id"] for u in listed if u["name"] == name))
    issued = server.call("POST", f"/users/{name}/credentials").json()
    body = json.dumps({"role": role}).encode()
    assert server.call("PUT", f"/users/{name}/roles/{ws}", body).status_code == 204
    ak, sk = issued["accessKey"], issued["secretKey"]
    return Person(user_id, server.studio_client(ak, sk), server.client(ak, sk), ak, sk)


def pending_items(services: Services, scope: Scope) -> list[ItemRecord]:
    """The workspace's pending items not in a package."""
    return services.releases.pending(scope, ItemFilter(), 100, 0)[1]


def make_package(
    services: Services,
    team: Team,
    name: str = "p1",
    items: list[ItemRecord] | None = None,
    approvers: list[Scope] | None = None,
) -> int:
    """Package the pending items (or ``items``) as ``name``, the developer applying and the
    deployer (or ``approvers``) approving; its id."""
    chosen = items if items is not None else pending_items(services, team.developer)
    request = PackageRequest(
        str(team.developer.actor.user_id),
        name,
        tuple(str(i.id) for i in chosen),
        tuple(str(a.actor.user_id) for a in (approvers or [team.deployer])),
    )
    return services.releases.create(team.developer, request, []).package_id


def register_key(services: Services, scope: Scope) -> KeyPair:
    """A new approval key pair, its public half registered as the scope's user's."""
    pair = generate_key_pair()
    services.approval_keys.register(scope.actor, parse_key({"publicKey": pair.public_key}))
    return pair


def approve_package(services: Services, scope: Scope, package_id: int, pair: KeyPair) -> None:
    """The scope's user signs the package's plan as it stands with ``pair``."""
    found = services.release_approvals.approvals(scope, package_id).document()
    signature = sign_statement(pair.private_pem, found["statement"])
    services.release_approvals.approve(
        scope, package_id, Signed(pair.key_id, found["planHash"], signature)
    )


def signed_release(
    services: Services,
    team: Team,
    job: str = "daily",
    *,
    name: str = "carried",
    pair: KeyPair | None = None,
    deploy: bool = False,
    **overrides: object,
) -> tuple[bytes, KeyPair]:
    """A signed release file of ``job`` (with ``overrides``) submitted and packaged as
    ``name`` in team's workspace, approved by its deployer with ``pair`` (a new key when
    none): the file and the key. ``deploy`` releases it on that side too, as the production
    the next release is approved against."""
    submit_job(services, team.developer, job, **overrides)
    package = make_package(services, team, name)
    pair = pair or register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    exported = services.carried_releases.export(team.admin, package)
    data = exported.read_bytes()
    exported.unlink()
    if deploy:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
        run_release(services)
    return data, pair


def take_in(
    services: Services, scope: Scope, data: bytes, startup: StartupMode = StartupMode.LEAVE
) -> TakenIn:
    """Upload a signed release file into ``scope`` and take it in (its import queued)."""
    path = services.imports.upload(scope, io.BytesIO(data), "release.zip").path
    return services.carried_releases.take_in(scope, path, startup)


def trusting_team(services: Services, public_key: str, name: str = "ops") -> Team:
    """Another enterprise workspace (with its connections), trusting ``public_key``."""
    team = connected_team(services, name)
    services.keys.trust(team.admin, parse_trust({"name": "approver", "publicKey": public_key}))
    return team


def two_releases_taken_in(services: Services) -> tuple[Team, Team]:
    """Two signed releases of job ``daily`` released by 'sales' (the second with description
    'second cut', approved against sales' production holding the first) and taken in by
    'ops', which trusts their approver: (sales, ops)."""
    sales = connected_team(services, "sales")
    first, pair = signed_release(services, sales, deploy=True)
    ops = trusting_team(services, pair.public_key)
    take_in(services, ops.admin, first)
    run_release(services)
    second, _ = signed_release(
        services, sales, name="carried-2", pair=pair, deploy=True, description="second cut"
    )
    take_in(services, ops.admin, second)
    run_release(services)
    return sales, ops


def release(
    services: Services,
    team: Team,
    name: str,
    mode: StartupMode = StartupMode.START,
    items: list[ItemRecord] | None = None,
) -> int:
    """Package the pending items (or ``items``) as ``name`` and deploy it; its id."""
    package_id = make_package(services, team, name, items)
    services.releases.deploy(team.deployer, DeployRequest((package_id,), mode))
    run_release(services)
    return package_id


def production_of(services: Services, team: Team) -> Scope:
    """The team's production side, as its admin."""
    actor = team.admin.actor
    return services.accounts.scope(actor, actor.project_id, team.admin.workspace.production_id)


def enterprise_mode(server: ServerProcess, ws: str, name: str) -> str:
    """Switch workspace ``ws`` (named ``name``) to enterprise mode through the Studio SDK; the
    id of its production side."""
    server.studio_client().update_work_space_old(
        UpdateWorkSpaceOldRequest(
            instance_id=server.project_id, workspace_id=ws, body=WorkspaceDto(name=name, mode="1")
        )
    )
    listed = server.call("GET", "/workspaces").json()["workspaces"]
    return str(next(w for w in listed if w["id"] == ws)["productionWorkspaceId"])


def production_jobs(server: ServerProcess, production: str) -> int:
    """How many jobs the production side holds (the dgc SDK's list total)."""
    listed = server.client().list_jobs(ListJobsRequest(workspace=production, limit=1))
    total: int = listed.total
    return total


def sdk_jobs(developer: Person, ws: str, prefix: str, count: int) -> None:
    """``count`` jobs ``<prefix>_000``… whose nodes use the connection dws_conn, created through
    the dgc SDK (each a pending item of an enterprise workspace)."""
    for i in range(count):
        job = make_job(f"{prefix}_{i:03d}")
        for node in job["nodes"]:
            node["properties"] = [{"name": "connectionName", "value": "dws_conn"}]
        developer.dgc.create_job(CreateJobRequest(workspace=ws, body=job))


def sdk_package(
    developer: Person, ws: str, name: str, approvers: list[str], items: list[Any] | None = None
) -> str:
    """Package ``items`` (the SDK's pending items; every pending item of ``ws`` by default) as
    ``name`` through the Studio SDK, its answer read whole; the package's id."""
    if items is None:
        items = developer.studio.list_factory_pending_items(
            ListFactoryPendingItemsRequest(workspace=ws, limit=100)
        ).data
    body = CreateFactoryPendingItemsPackageBody(
        apply_user_id=developer.user_id,
        package_name=name,
        pending_item_list=[i.pending_item_id for i in items],
        approver_ids=approvers,
    )
    created = developer.studio.create_factory_pending_items_package(
        CreateFactoryPendingItemsPackageRequest(workspace=ws, body=body)
    )
    assert created.package_name == name
    assert unset_fields(created) == set()
    return str(created.release_package_id)


def sdk_package_detail(person: Person, ws: str, package: str) -> Any:
    """A package's detail as the Studio SDK answers it (``show_factory_package_detail``)."""
    request = ShowFactoryPackageDetailRequest(workspace=ws, package_id=package)
    return person.studio.show_factory_package_detail(request)


def sdk_deploy(deployer: Person, ws: str, package: str, startup_mode: int = 1) -> str:
    """Deploy a package through the Studio SDK; the task of its release."""
    body = DeployFactoryPackagesRequestBody(package_ids=[package], startup_mode=startup_mode)
    answer = deployer.studio.deploy_factory_packages(
        DeployFactoryPackagesRequest(workspace=ws, body=body)
    )
    task: str = answer.deploy_package_details[0].asy_task_id
    return task


def import_as_released(services: Services, team: Team, **options: object) -> Task:
    """The development workspace's submitted versions exported whole and imported into its
    production as released (``targetStatus`` PRODUCTION, the way ``workspaces settings
    --enterprise`` prints), on this thread: the import's finished task, or the export's when
    it failed."""
    asked = {"mode": "workspace", "exportDepend": True, "exportStatus": "SUBMIT"}
    prepared = services.exports.prepare(team.admin, parse_background_export(asked))
    services.exports.run(prepared)
    exported = services.tasks.show(team.admin, prepared.task_id)
    if exported.status is not TaskStatus.SUCCESSFUL:
        return exported
    _, chunks = services.downloads.open(team.admin, exported.outcome["downloadId"])
    kept = services.imports.upload(team.admin, io.BytesIO(b"".join(chunks)), "released.zip")
    body = {"path": kept.path, "sameNamePolicy": "OVERWRITE", "targetStatus": "PRODUCTION"}
    imported = services.imports.prepare(team.admin, parse_import_request({**body, **options}))
    services.imports.run(imported)
    return services.tasks.show(team.admin, imported.task_id)
