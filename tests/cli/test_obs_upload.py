"""upload = "obs": a local package goes to object storage first, then import reads obs://…

Runs against moto's S3 server and a jobferry server whose obs:// paths map to it (SQLite only:
the object-storage path does not depend on the database).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import Cli, Remote, write_config
from support.exporting import seed
from support.s3server import S3Server
from support.server import ServerProcess, SharedServers


@pytest.fixture(scope="module")
def obs_server(shared_servers: SharedServers) -> ServerProcess:
    """The test process's shared SQLite server (obs:// on its S3 server)."""
    return shared_servers.get("sqlite")


@pytest.fixture
def obs_cli(
    obs_server: ServerProcess,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    remote = Remote(obs_server)
    workspace = remote.new_workspace("obs")
    config = write_config(
        tmp_path / "config.toml",
        obs_server,
        workspace,
        upload="obs",
        obs_bucket=bucket,
        obs_endpoint=s3_server.endpoint,
        obs_prefix="incoming/",
        obs_ak="test",
        obs_sk="test",
    )
    monkeypatch.chdir(tmp_path)
    return Cli(obs_server, remote, workspace, config, tmp_path)


def test_import_uploads_to_obs_then_imports_the_obs_path(
    obs_cli: Cli,
    s3_server: S3Server,
    bucket: str,
) -> None:
    seed(obs_cli.remote, ("daily_sales",), workspace=obs_cli.workspace)
    package = Path(obs_cli.json("export", "daily_sales")["file"])
    target = obs_cli.remote.new_workspace("obs_target", "dws_conn", "ssh_conn")
    result = obs_cli.imported(package, workspace=target)
    assert result["path"].startswith(f"obs://{bucket}/incoming/DLF_daily_sales-")
    key = result["path"].removeprefix(f"obs://{bucket}/")
    stored = s3_server.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == package.read_bytes()
    listed = obs_cli.remote.call("GET", "/jobs", workspace=target).json()
    assert [j["name"] for j in listed["jobs"]] == ["daily_sales"]


def test_export_to_obs_then_plan_straight_from_it(obs_cli: Cli, bucket: str) -> None:
    seed(obs_cli.remote, ("daily_sales",), workspace=obs_cli.workspace)
    exported = obs_cli.json("export", "daily_sales", "--obs-path", f"obs://{bucket}/drop/")
    assert exported["path"].startswith(f"obs://{bucket}/drop/daily_sales_exported/")
    assert exported["path"] == f"{exported['obsPath']}/daily_sales.zip"
    view = obs_cli.json("plan", exported["path"])
    assert view["path"] == exported["path"]
    assert view["plan"]["summary"]["UNCHANGED"] == 4


def test_a_missing_bucket_is_reported(obs_cli: Cli, tmp_path: Path) -> None:
    seed(obs_cli.remote, ("daily_sales",), workspace=obs_cli.workspace)
    package = Path(obs_cli.json("export", "daily_sales")["file"])
    config = obs_cli.config.read_text().replace('obs_bucket = "', 'obs_bucket = "gone-')
    obs_cli.config.write_text(config, encoding="utf-8")
    result = obs_cli("plan", str(package))
    assert result.exit_code == 1
    assert "NoSuchBucket" in result.stderr
