"""``python -m bench.http [--jobs 10000,100000] [--db sqlite,postgresql]``: time and peak memory
of a real ``jobferry serve`` while a client moves a workspace through its HTTP API.

For each database and size, a workspace of N jobs (``bench/workload.py``) and an empty target
workspace holding the 20 connections the jobs use are seeded straight into a fresh database
before the server starts: seeding is not what is measured, and through the API it would take
hours at 100,000 jobs. Then a client sends signed requests (``jobferry.signing``, as the
official SDK signs them) to the server, one phase after another:

- ``export``: ``POST /exports`` (the whole workspace), waiting for its task;
- ``download``: ``GET /downloads/{id}/content``, written to a file as it arrives;
- ``upload``: ``POST /packages``, that file as ``multipart/form-data`` (``UNSIGNED-PAYLOAD``, as
  the SDK signs uploads), sent a chunk at a time;
- ``plan``: ``POST /jobs/import/plan`` into the target workspace, waiting for its task;
- ``import``: ``POST /jobs/import`` (``OVERWRITE``) into the target workspace, waiting for it.

The peak resident memory of the server and every process it starts (the import's helper) is
sampled by ``bench/peak.py`` from a process of its own: one sampler per phase and one for the
whole run from the server's start. Prints per phase the time and the peak, and for two sizes or
more how each grew from the smallest size to the largest, with the load average before each
run (the machine may be shared). ``--json FILE`` keeps every figure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from bench.__main__ import AK, SK, migrated
from bench.databases import PG_URL, database
from bench.throughput import free_port, serve_env, wait_ready
from bench.workload import generate
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.signing import sign_request
from jobferry.storage.importing.target import GROWN_BY_IMPORT

PHASES = ("export", "download", "upload", "plan", "import")
CHUNK = 1 << 20
PEAK = Path(__file__).with_name("peak.py")
Figures = dict[str, Any]


class Sampler:
    """``bench/peak.py`` on a process tree: started now, read when stopped (in MB)."""

    def __init__(self, pid: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(PEAK), str(pid)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> float:
        out, _ = self.proc.communicate("")
        return int(out.strip()) / 1024


@dataclass
class Client:
    """Signed calls to one server over one keep-alive connection, as the SDK makes them."""

    port: int
    project: str
    workspace: str | None = None
    ak: str = AK
    sk: str = SK

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)

    def _headers(self, method: str, path: str, body: bytes, **extra: str) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Project-Id": self.project, **extra}
        if self.workspace:
            headers["workspace"] = self.workspace
        path, _, query = path.partition("?")
        headers.update(sign_request(method, path, query, headers, body, self.ak, self.sk))
        return headers

    def send(self, method: str, route: str, body: Any = None) -> Any:
        """A JSON call; its parsed answer (a refusal ends the bench, naming it)."""
        path = f"/v1/{self.project}{route}"
        data = b"" if body is None else json.dumps(body).encode()
        headers = self._headers(method, path, data, **{"Content-Type": "application/json"})
        self.conn.request(method, path, body=data or None, headers=headers)
        answer = self.conn.getresponse()
        raw = answer.read()
        if answer.status >= 300:
            raise SystemExit(f"{method} {route}: {answer.status} {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def wait(self, task_id: str) -> Figures:
        """The task once it has ended (its head from the task list: an import's own answer
        lists every subtask)."""
        while True:
            head = self.send("GET", "/system-tasks?limit=20")
            mine = next(t for t in head["tasks"] if t["id"] == task_id)
            if mine["status"] != "RUNNING":
                if mine["status"] not in ("SUCCESSFUL", "WARNING"):
                    raise SystemExit(f"task {task_id} ended {mine['status']}: {mine}")
                return dict(mine)
            time.sleep(0.5)

    def download(self, route: str, target: Path) -> int:
        """Stream a download into ``target``; its size."""
        path = f"/v1/{self.project}{route}"
        self.conn.request("GET", path, headers=self._headers("GET", path, b""))
        answer = self.conn.getresponse()
        if answer.status != 200:
            raise SystemExit(f"GET {route}: {answer.status} {answer.read()[:500]!r}")
        size = 0
        with target.open("wb") as out:
            while chunk := answer.read(CHUNK):
                size += out.write(chunk)
        return size

    def upload(self, source: Path) -> Figures:
        """``POST /packages`` with ``source`` in field ``file``, sent a chunk at a time."""
        path = f"/v1/{self.project}/packages"
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{source.name}"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + source.stat().st_size + len(tail)
        extra = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        }
        headers = self._headers("POST", path, head, **extra)  # any non-empty body: unsigned
        headers["Content-Length"] = str(length)
        with source.open("rb") as fh:
            self.conn.request("POST", path, body=_parts(head, fh, tail), headers=headers)
            answer = self.conn.getresponse()
            raw = answer.read()
        if answer.status != 200:
            raise SystemExit(f"POST /packages: {answer.status} {raw[:500]!r}")
        result: Figures = json.loads(raw)
        return result


def _parts(head: bytes, fh: BinaryIO, tail: bytes) -> Iterator[bytes]:
    yield head
    while chunk := fh.read(CHUNK):
        yield chunk
    yield tail


def seed(data: Path, url: str, jobs: int, cache: Path) -> tuple[str, str]:
    """The source workspace's N jobs and an empty target workspace with the 20 connections,
    written straight into the database (not measured); the project id and target workspace.

    The first run of a size generates the workload (``bench/workload.py``) and keeps its export
    in ``cache``; later runs import that package into the source workspace through the import
    service, which is many times faster than generating it again."""
    db, services = migrated(data, url)
    actor = services.accounts.actor_for(AK)
    source = services.accounts.scope(actor, actor.project_id, None)
    ws = services.accounts.create_workspace(actor, actor.project_id, "target")
    target = services.accounts.scope(actor, actor.project_id, ws)
    package = cache / f"workload-{jobs}.zip"
    if package.exists():
        _connections(services, source)
        with package.open("rb") as fh:
            path = services.imports.upload(source, fh, package.name).path
        body = {"path": path, "sameNamePolicy": "OVERWRITE"}
        services.imports.run(services.imports.prepare(source, parse_import_request(body)))
        services.db.refresh_statistics(GROWN_BY_IMPORT)
    else:
        generate(services, source, jobs)
        prepared = services.exports.prepare(source, parse_background_export({"mode": "workspace"}))
        services.exports.run(prepared)
        download = services.tasks.show(source, prepared.task_id).outcome["downloadId"]
        cache.mkdir(parents=True, exist_ok=True)
        _item, chunks = services.downloads.open(source, download)
        with package.with_suffix(".part").open("wb") as out:
            out.writelines(chunks)
        package.with_suffix(".part").rename(package)
    _connections(services, target)
    db.dispose()
    return actor.project_id, ws


def _connections(services: Services, scope: Scope) -> None:
    """The 20 connections the workload's jobs and scripts use."""
    for c in range(20):
        conn = {"type": "DWS", "config": {}, "secrets": {"password": "prod-pw"}}
        services.environment.put(scope, "connection", f"dws_conn_{c:02d}", conn)


@contextmanager
def serving(data: Path, url: str) -> Iterator[tuple[int, int]]:
    """A ``jobferry serve`` on a free loopback port: its port and process id."""
    port = free_port()
    env = serve_env(data, url, port)
    log = (data / "serve.log").open("wb")
    cmd = [sys.executable, "-m", "jobferry", "serve"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", proc)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def phases(client: Client, target: Client, data: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Each phase's name and the work it does, in order (later phases use earlier results)."""
    found: Figures = {}

    def export() -> Any:
        task = client.send("POST", "/exports", {"mode": "workspace"})["taskId"]
        client.wait(task)  # an export's own answer is small: no subtasks
        found["download"] = client.send("GET", f"/system-tasks/{task}")["result"]["downloadId"]

    def download() -> Any:
        return client.download(f"/downloads/{found['download']}/content", data / "package.zip")

    def upload() -> Any:
        found["path"] = target.upload(data / "package.zip")["path"]
        return found["path"]

    def plan() -> Any:
        answer = target.send("POST", "/jobs/import/plan", _import_body(found["path"]))
        return target.wait(answer["taskId"])["status"] if "taskId" in answer else "answered"

    def import_() -> Any:
        answer = target.send("POST", "/jobs/import", _import_body(found["path"]))
        return target.wait(answer["taskId"])["status"]

    yield from zip(PHASES, (export, download, upload, plan, import_), strict=True)


def _import_body(path: str) -> Figures:
    return {"path": path, "sameNamePolicy": "OVERWRITE"}


def size_run(backend: str, jobs: int, args: argparse.Namespace) -> Figures:
    """Every phase's figures for one database and size."""
    with tempfile.TemporaryDirectory(prefix="jobferry-http-") as tmp:
        data = Path(tmp)
        with database(backend, data, args.pg_url) as url:
            started = time.perf_counter()
            project, ws = seed(data, url, jobs, args.cache)
            print(f"seeded {jobs} jobs on {backend} in {time.perf_counter() - started:.0f} s")
            out: Figures = {"db": backend, "jobs": jobs, "load": os.getloadavg()[0]}
            with serving(data, url) as (port, pid):
                whole = Sampler(pid)
                source, target = Client(port, project), Client(port, project, ws)
                for name, work in phases(source, target, data):
                    load, sampler, began = os.getloadavg()[0], Sampler(pid), time.perf_counter()
                    outcome = work()
                    seconds = time.perf_counter() - began
                    peak = sampler.stop()
                    out[name] = {"seconds": seconds, "peak_mb": peak, "load": load}
                    print(f"  {name:<9} {seconds:8.2f} s  peak {peak:6.0f} MB  load {load:5.1f}")
                    if name == "download":
                        out["package_mb"] = outcome / 1e6
                out["whole_peak_mb"] = whole.stop()
            return out


def report(small: Figures, large: Figures) -> None:
    """How each phase grew from the smaller size to the larger."""
    size = large["jobs"] / small["jobs"]
    print(f"\n{small['db']}: {small['jobs']} → {large['jobs']} jobs ({size:.0f}x the work)")
    print(f"  {'phase':<9} {'time':>17} {'of linear':>10} {'peak MB':>15} {'ratio':>6}")
    for name in PHASES:
        a, b = small[name], large[name]
        grew = b["seconds"] / a["seconds"]
        print(
            f"  {name:<9} {a['seconds']:7.2f} → {b['seconds']:7.2f} {grew / size:10.2f}"
            f" {a['peak_mb']:6.0f} → {b['peak_mb']:5.0f} {b['peak_mb'] / a['peak_mb']:6.2f}"
        )
    ratio = large["whole_peak_mb"] / small["whole_peak_mb"]
    print(
        f"  whole run peak {small['whole_peak_mb']:.0f} → {large['whole_peak_mb']:.0f} MB"
        f" ({ratio:.2f}x; target <= 1.25x); package {small['package_mb']:.1f} →"
        f" {large['package_mb']:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--jobs", default="10000,100000", help="workspace sizes, comma-separated")
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server for postgresql")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "jobferry-bench-http",
        help="where each size's generated workload is kept as a package for later runs",
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.jobs.split(",")]
    runs: list[Figures] = []
    for backend in args.db.split(","):
        for jobs in sizes:
            print(f"{jobs} jobs on {backend} (load average {os.getloadavg()[0]:.1f})")
            runs.append(size_run(backend, jobs, args))
            print(f"  whole run peak {runs[-1]['whole_peak_mb']:.0f} MB")
        mine = [r for r in runs if r["db"] == backend]
        if len(mine) > 1:
            report(mine[0], mine[-1])
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
