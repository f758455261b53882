"""A real jobferry server process on a free loopback port, and SDK clients for it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
import sqlalchemy as sa
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdgc.v1 import DgcClient, ImportFileReq, ImportJobRequest, ListSystemTasksRequest

from support.clients import AnewSigner
from support.databases import PG_URL, migrate, require_postgres, schema_url
from support.forkedserve import ForkedServer, fork_server
from support.importing import multipart
from support.packages import bulk_package
from support.waiting import pauses

if TYPE_CHECKING:  # its models take half a second to import, and most test processes need none
    from huaweicloudsdkdataartsstudio.v1 import DataArtsStudioClient

RETRY_SECONDS = 0.01
"""The first wait of a remote call sent again (``JOBFERRY_REMOTE_RETRY_SECONDS``) in the test
servers and services: as many retries as in production, each wait doubling, from 0.01 s
instead of 0.2 s, so a 429 or a dropped connection a test injects costs no second of sleep."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_config() -> HttpConfig:
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 30)
    return config


@dataclass
class ServerProcess:
    """A running ``jobferry serve``."""

    url: str
    project_id: str
    ak: str
    sk: str
    proc: subprocess.Popen[bytes] | ForkedServer
    log: Path
    signer: AnewSigner = field(default_factory=AnewSigner)
    data_dir: Path | None = None
    """Its data folder (``None``: not known, a server this process did not start)."""
    database_url: str | None = None
    """Its database, for the commands run on the server machine (``jobferry admin``)."""

    def admin_env(self) -> dict[str, str | None]:
        """The environment ``jobferry admin`` commands need to act on this server's database,
        as they would on the server machine."""
        assert self.data_dir is not None, "a server this process did not start"
        assert self.database_url is not None, "a server this process did not start"
        return {
            "JOBFERRY_DATA_DIR": str(self.data_dir),
            "JOBFERRY_DATABASE_URL": self.database_url,
            "JOBFERRY_PROJECT_ID": self.project_id,
        }

    def client(self, ak: str | None = None, sk: str | None = None) -> DgcClient:
        """The official SDK client, pointed at this server as the contract recipe says."""
        return (
            DgcClient.new_builder()
            .with_http_config(_http_config())
            .with_credentials(BasicCredentials(ak or self.ak, sk or self.sk, self.project_id))
            .with_endpoints([self.url])
            .build()
        )

    def studio_client(self, ak: str | None = None, sk: str | None = None) -> DataArtsStudioClient:
        """The DataArts Studio SDK client, pointed at this server the same way."""
        from huaweicloudsdkdataartsstudio.v1 import DataArtsStudioClient

        credentials = BasicCredentials(ak or self.ak, sk or self.sk, self.project_id)
        return (
            DataArtsStudioClient.new_builder()
            .with_http_config(_http_config())
            .with_credentials(credentials)
            .with_endpoints([self.url])
            .build()
        )

    def read(self, path: str, raw_query: str = "", workspace: str | None = None) -> Any:
        """A signed GET of ``path`` under /v1/{project_id} (``raw_query`` as sent, in
        ``workspace`` when given), answered 200: its JSON."""
        raw_path = f"/v1/{self.project_id}{path}"
        headers = {"Host": self.url.removeprefix("http://"), "X-Project-Id": self.project_id}
        if workspace:
            headers["workspace"] = workspace
        headers.update(self.signer.sign("GET", raw_path, raw_query, headers, b"", self.ak, self.sk))
        url = self.url + raw_path + (f"?{raw_query}" if raw_query else "")
        answer = requests.get(url, headers=headers, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        workspace: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        api: str = "v1",
        extra_headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> requests.Response:
        """A signed call to an extension endpoint the SDK does not know (``api``: the path's
        version segment, ``v2`` for the factory's release calls; ``extra_headers``, signed
        with the rest: ``Prefer``; ``query``: its parameters, signed too, ``None`` ones left
        out)."""
        raw_path = f"/{api}/{self.project_id}{path}"
        raw_query = "&".join(
            f"{quote(str(k), safe='~')}={quote(str(v), safe='~')}"
            for k, v in sorted((query or {}).items())
            if v is not None
        )
        headers = {
            "Host": self.url.removeprefix("http://"),
            "Content-Type": "application/json",
            "X-Project-Id": self.project_id,
        }
        if workspace:
            headers["workspace"] = workspace
        headers.update(extra_headers or {})
        headers.update(
            self.signer.sign(
                method, raw_path, raw_query, headers, body, ak or self.ak, sk or self.sk
            )
        )
        url = self.url + raw_path + (f"?{raw_query}" if raw_query else "")
        return requests.request(method, url, data=body, headers=headers, timeout=30)

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(
    data_dir: Path,
    database_url: str,
    *,
    first_start: bool = False,
    health: int = 200,
    **env_extra: str,
) -> ServerProcess:
    """Migrate the database, start ``jobferry serve`` and wait until it answers.

    The project id and admin keys are fixed ones given to the server, unless ``first_start``:
    then, as ``make run`` on an empty data folder, none is given, the server generates them
    and writes ``data_dir/admin-credentials.json``, and the returned process holds what that
    file says. Such a first start runs the command line in a new interpreter; the others are
    forked from this test process's preloaded forkserver (``support.forkedserve``). The server
    is ready when ``/health`` answers ``health`` (503 for one that refuses to start)."""
    port = free_port()
    project_id = env_extra.pop("project_id", "e2e0123456789abcdef0123456789ab")
    ak, sk = "E2EADMINAK0000000001", "e2e-admin-secret-0123456789abcdefghijkl"
    given = {"JOBFERRY_PROJECT_ID": project_id, "JOBFERRY_ADMIN_AK": ak, "JOBFERRY_ADMIN_SK": sk}
    env = {
        **{k: v for k, v in os.environ.items() if not (first_start and k in given)},
        "JOBFERRY_DATA_DIR": str(data_dir),
        "JOBFERRY_DATABASE_URL": database_url,
        "JOBFERRY_HOST": "127.0.0.1",
        "JOBFERRY_PORT": str(port),
        **({} if first_start else given),
        "JOBFERRY_LOG_LEVEL": "warning",
        "JOBFERRY_REMOTE_RETRY_SECONDS": str(RETRY_SECONDS),
        **env_extra,
    }
    # What `jobferry db upgrade` does, from the template (tests/cli/test_local_commands.py
    # runs the command itself): a Python start and the migrations cost ~2 s of CPU a server.
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(database_url)
    log = data_dir / f"server-{port}.log"  # servers sharing a data folder log apart
    proc: subprocess.Popen[bytes] | ForkedServer
    if first_start:
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jobferry", "serve"],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
    else:
        proc = fork_server(env, str(log))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url, log, health)
    except BaseException:
        proc.kill()  # never leave a server behind when the test cannot use it
        proc.wait()
        raise
    if first_start and health == 200:
        written = json.loads((data_dir / "admin-credentials.json").read_text(encoding="utf-8"))
        project_id, ak, sk = written["projectId"], written["accessKey"], written["secretKey"]
    return ServerProcess(
        url, project_id, ak, sk, proc, log, data_dir=data_dir, database_url=database_url
    )


def _wait_ready(
    proc: subprocess.Popen[bytes] | ForkedServer, url: str, log: Path, health: int = 200
) -> None:
    deadline = time.monotonic() + 90  # a loaded 2-core CI machine can take tens of seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jobferry serve exited early:\n{log.read_text()}")
        try:
            # A busy machine can take over a second on the first request (FastAPI builds
            # the routes' models lazily): a slow answer is waited for, not a failure.
            if requests.get(url + "/health", timeout=10).status_code == health:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    raise RuntimeError(f"jobferry serve did not answer within 90 s:\n{log.read_text()}")


@contextmanager
def serving(backend: str, data_dir: Path, **env_extra: str) -> Iterator[ServerProcess]:
    """``jobferry serve`` on SQLite or on a fresh PostgreSQL schema (dropped afterwards)."""
    schema = None
    admin = None
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'jobferry.db'}"
    else:
        require_postgres()
        schema = f"e2e_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = schema_url(schema)
    try:
        proc = start_server(data_dir, url, **env_extra)
        try:
            yield proc
        finally:
            proc.stop()
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


class SharedServers:
    """Servers started on first use and kept until the end of the test process (one xdist
    worker), one per backend, all with the same environment. Every test that uses one
    isolates itself in workspaces, users and names of its own, so starting a server per
    module (~2 s of CPU and the migrations each) buys nothing."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self._root = root
        self._env = env
        self._running: dict[str, ServerProcess] = {}
        self._stack = ExitStack()

    def get(self, backend: str) -> ServerProcess:
        """The running server on ``backend`` ("sqlite" or "postgresql")."""
        server = self._running.get(backend)
        if server is not None and server.proc.poll() is not None:
            raise RuntimeError(f"the shared server died:\n{server.log.read_text()}")
        if server is None:
            folder = self._root / backend
            server = self._stack.enter_context(serving(backend, folder, **self._env))
            self._running[backend] = server
        return server

    def close(self) -> None:
        """Stop every server (and drop their PostgreSQL schemas)."""
        self._stack.close()


def new_workspace(server: ServerProcess, name: str, *connections: str) -> str:
    """A new workspace ``name`` with the DWS data ``connections`` (a password set); its id."""
    response = server.call("POST", "/workspaces", json.dumps({"name": name}).encode())
    assert response.status_code == 200, response.text
    ws_id: str = response.json()["id"]
    conn = json.dumps({"type": "DWS", "config": {}, "secrets": {"password": "pw"}}).encode()
    for connection in connections:
        put = server.call("PUT", f"/environment/connection/{connection}", conn, workspace=ws_id)
        assert put.status_code == 200, put.text
    return ws_id


def listed_workspace(studio: DataArtsStudioClient, instance: str, **match: Any) -> Any:
    """The workspace of ``list_manager_work_spaces`` whose fields equal ``match`` (``name=``,
    ``id=``), read a page at a time as a Studio SDK user reads it: the worker's shared server
    holds every other test's workspaces too, more than one page of them."""
    from huaweicloudsdkdataartsstudio.v1 import ListManagerWorkSpacesRequest

    offset = 0
    while True:
        request = ListManagerWorkSpacesRequest(instance_id=instance, limit=100, offset=offset)
        listed = studio.list_manager_work_spaces(request)
        found = [w for w in listed.data if all(getattr(w, k) == v for k, v in match.items())]
        if found:
            return found[0]
        assert listed.data, f"no workspace with {match} is on any page of the list"
        offset += len(listed.data)


def new_user(server: ServerProcess, name: str) -> None:
    """A user ``name``, without credentials or roles yet."""
    created = server.call("POST", "/users", json.dumps({"name": name}).encode())
    assert created.status_code == 200, created.text


def upload_package(server: ServerProcess, data: bytes, workspace: str) -> str:
    """Upload a package as the SDK's users do (multipart, UNSIGNED-PAYLOAD); its path."""
    boundary = uuid.uuid4().hex
    body = multipart(data, boundary)
    raw_path = f"/v1/{server.project_id}/packages"
    headers = {
        "Host": server.url.removeprefix("http://"),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Project-Id": server.project_id,
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        "workspace": workspace,
    }
    headers.update(server.signer.sign("POST", raw_path, "", headers, body, server.ak, server.sk))
    response = requests.post(server.url + raw_path, data=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    path: str = response.json()["path"]
    return path


def wait_for_task(server: ServerProcess, ws: str, task_id: str, timeout: float = 60) -> Any:
    """Poll a system task through the SDK until it is no longer RUNNING."""
    client = server.client()
    deadline = time.monotonic() + timeout
    waits = pauses(0.01, 0.1)
    while time.monotonic() < deadline:
        task = client.list_system_tasks(ListSystemTasksRequest(workspace=ws, task_id=task_id))
        if task.status != "RUNNING":
            return task
        time.sleep(next(waits))
    raise AssertionError(f"task {task_id} still running")


def start_import(server: ServerProcess, ws: str, path: str) -> str:
    """Start importing the package at ``path`` into ``ws`` through the SDK; the task's id."""
    request = ImportJobRequest(workspace=ws, body=ImportFileReq(path=path))
    task_id: str = server.client().import_job(request).task_id
    return task_id


def start_bulk_import(server: ServerProcess, ws: str, jobs: int) -> str:
    """Upload a package of ``jobs`` bulk jobs (``bulk_package``) for ``ws`` and start importing
    it; the task's id."""
    return start_import(server, ws, upload_package(server, bulk_package(jobs), ws))


def wait_until_checking(server: ServerProcess, ws: str, task_id: str, timeout: float = 60) -> None:
    """Poll an import task until it checks the package: mid-import, where the tests that kill
    a server process kill it."""
    client = server.client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.list_system_tasks(ListSystemTasksRequest(workspace=ws, task_id=task_id))
        if task.message and task.message.startswith("Checking"):
            return
        assert task.status == "RUNNING", task
        time.sleep(0.01)
    raise AssertionError(f"task {task_id} never started checking")
