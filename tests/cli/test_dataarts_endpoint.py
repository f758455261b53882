"""Against an endpoint that speaks only the DataArts calls (like the real cloud): the CLI signs
exactly as the SDK does, and ``import`` falls back to check-file when there is no plan call.

The endpoint is a small loopback HTTP server that verifies every signature with jobferry's own
verifier and answers like DataArts: 404 ``APIGW.0101`` for jobferry's extensions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from jobferry.signing import verify_request
from support.cli import invoke

PROJECT = "0123456789abcdef0123456789abcdef"
AK, SK = "CLOUDAK0000000000001", "cloud-secret-key"
WORKSPACE = "0833a5737480d53b2f25c010dc1a7b88"


class DataArtsStub(BaseHTTPRequestHandler):
    """Answers import_job, list_system_tasks and show_file_info; 404 for anything else."""

    calls: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []
    queries: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items()}
        try:
            verify_request(
                self.command,
                parts.path,
                parts.query,
                headers,
                body,
                lambda ak: SK if ak == AK else None,
                datetime.now(UTC),
            )
        except Exception as exc:
            self._answer(401, {"error_code": "APIGW.0301", "error_msg": str(exc)})
            return
        parsed = json.loads(body) if body else {}
        route = parts.path.removeprefix(f"/v1/{PROJECT}")
        # A workspace name is looked up (GET /workspaces) before a workspace is chosen.
        assert headers.get("workspace") == (None if route == "/workspaces" else WORKSPACE)
        DataArtsStub.calls.append((self.command, route, parsed))
        DataArtsStub.queries.append(parts.query)
        if (self.command, route) == ("POST", "/jobs/check-file"):
            self._answer(200, {"jobs": [{"name": "daily_sales", "path": "/sales"}], "scripts": []})
        elif (self.command, route) == ("POST", "/jobs/import"):
            self._answer(200, {"taskId": "cloudtask1"})
        elif (self.command, route) == ("GET", "/system-tasks/cloudtask1"):
            self._answer(200, {"id": "cloudtask1", "status": "SUCCESSFUL", "subtasks": []})
        else:
            missing = {"error_code": "APIGW.0101", "error_msg": "The API does not exist."}
            self._answer(404, missing)

    def do_GET(self) -> None:
        """A GET call."""
        self._handle()

    def do_POST(self) -> None:
        """A POST call."""
        self._handle()


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Path]:
    """The stub on a free port and a config profile for it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), DataArtsStub)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)  # quick stop
    thread.start()
    DataArtsStub.calls = []
    DataArtsStub.queries = []
    config = tmp_path / "config.toml"
    config.write_text(
        "[contexts.cloud]\n"
        f'endpoint = "http://127.0.0.1:{server.server_address[1]}"\n'
        f'project_id = "{PROJECT}"\nworkspace = "{WORKSPACE}"\n'
        f'ak = "{AK}"\nsk = "{SK}"\n',
        encoding="utf-8",
    )
    yield config
    server.shutdown()
    server.server_close()


def test_import_without_a_plan_call_shows_the_contents_and_imports(cloud: Path) -> None:
    args = ["--config", str(cloud), "--context", "cloud", "import", "obs://bucket/pkg.zip"]
    result = invoke([*args, "--yes", "--policy", "overwrite"])
    assert result.exit_code == 0, result.output
    assert "cannot plan an import" in result.stderr
    assert "daily_sales" in result.stdout
    routes = [(method, route) for method, route, _ in DataArtsStub.calls]
    assert routes == [
        ("POST", "/jobs/import/plan"),
        ("POST", "/jobs/check-file"),
        ("POST", "/jobs/import"),
        ("GET", "/system-tasks/cloudtask1"),
    ]
    assert DataArtsStub.queries[-1] == "", "no extension parameter for a DataArts endpoint"
    sent = DataArtsStub.calls[2][2]
    assert sent == {"path": "obs://bucket/pkg.zip", "sameNamePolicy": "OVERWRITE"}


def test_extensions_name_the_endpoint_as_the_reason(cloud: Path) -> None:
    # (--profile is the deprecated spelling of --context: it still works, with a notice)
    result = invoke(["--config", str(cloud), "--profile", "cloud", "downloads", "list"])
    assert result.exit_code == 1
    assert "notice: --profile is deprecated" in result.stderr
    assert "use --context" in result.stderr
    assert "APIGW.0101" in result.stderr
    assert "need a jobferry server" in result.stderr


def test_a_workspace_name_needs_an_endpoint_that_lists_workspaces(cloud: Path) -> None:
    args = ["--config", str(cloud), "--context", "cloud", "jobs", "list", "-w", "sales_prod"]
    result = invoke(args)
    assert result.exit_code == 2
    assert "Workspace 'sales_prod' is a name" in result.stderr
    assert "give the workspace's 32-character id" in result.stderr
    assert [route for _, route, _ in DataArtsStub.calls] == ["/workspaces"]
