"""Offline package tools: inspect, diff, keygen, sign, verify — no server involved."""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.package.routeblock import RouteBlock
from jobferry.package.writer import PackageWriter
from support.builders import make_job, make_script
from support.cli import invoke
from support.packages import HEADER, tamper, write_package


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(tmp_path / "pkg.zip")


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    result = invoke([*args, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr)
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def test_inspect_lists_objects_layout_and_manifest(package: Path) -> None:
    view = run_json("package", "inspect", str(package))
    assert view["layout"] == "single"
    assert view["signed"] is False
    assert view["manifest"]["source"]["workspace"] == "test"
    kinds = [(o["kind"], o["name"]) for o in view["objects"]]
    assert kinds == [
        ("script", "daily_sales_sh"),
        ("script", "daily_sales_sql"),
        ("resource", "udf_jar"),
        ("job", "daily_sales"),
    ]
    human = invoke(["package", "inspect", str(package)])
    assert human.exit_code == 0, human.output
    assert "hashes verified" in human.stdout
    assert "dws_conn" in human.stdout  # the environment objects the jobs need


def test_inspect_of_a_dataarts_export_without_manifest(tmp_path: Path) -> None:
    package = write_package(tmp_path / "DLF_daily_sales.zip", with_manifest=False)
    view = run_json("package", "inspect", str(package))
    assert view["manifest"] is None
    human = invoke(["package", "inspect", str(package)])
    assert "none (a DataArts export)" in human.stdout


def test_inspect_refuses_a_tampered_package_with_exit_3(package: Path) -> None:
    tamper(package, "jobs/daily_sales.job", orjson.dumps(make_job("daily_sales", directory="/x")))
    result = invoke(["package", "inspect", str(package)])
    assert result.exit_code == 3
    assert "DLF.9020" in result.stderr
    assert "jobs/daily_sales.job" in result.stderr
    assert "Traceback" not in result.output


def test_diff_reports_objects_and_fields(tmp_path: Path) -> None:
    old = write_package(tmp_path / "old.zip")
    changed = make_job("daily_sales")
    changed["nodes"][0]["properties"][1]["value"] = "dws_prod"
    new = write_package(tmp_path / "new.zip", [changed, make_job("weekly_sales")])
    view = run_json("package", "diff", str(old), str(new))
    assert view["identical"] is False
    by_name = {(o["kind"], o["name"]): o for o in view["objects"]}
    assert by_name[("job", "weekly_sales")]["status"] == "added"
    assert by_name[("script", "daily_sales_sql")]["status"] == "same"
    job = by_name[("job", "daily_sales")]
    assert job["status"] == "changed"
    assert job["diff"] == [
        {
            "path": "nodes[load].properties[connectionName].value",
            "op": "changed",
            "before": "dws_conn",
            "after": "dws_prod",
        }
    ]
    assert view["summary"] == {"added": 3, "removed": 0, "renamed": 0, "changed": 1, "same": 3}
    human = invoke(["package", "diff", str(old), str(new)])
    assert human.exit_code == 0
    assert "nodes[load].properties[connectionName].value" in human.stdout
    assert "'dws_conn' → 'dws_prod'" in human.stdout


def test_diff_of_a_package_with_itself_is_empty(package: Path) -> None:
    view = run_json("package", "diff", str(package), str(package))
    assert view["identical"] is True
    assert {o["status"] for o in view["objects"]} == {"same"}


def test_keygen_sign_verify_round_trip(tmp_path: Path, package: Path) -> None:
    keys = run_json("package", "keygen", str(tmp_path / "release"))
    private, public = tmp_path / "release.pem", tmp_path / "release.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_text().strip() == keys["publicKey"]
    signed = run_json("package", "sign", str(package), "--key", str(private))
    assert signed["keyId"] == keys["keyId"]
    assert run_json("package", "inspect", str(package))["signed"] is True
    verified = run_json("package", "verify", str(package), "--key", str(public))
    assert verified["signature"]["state"] == "valid"
    assert verified["entriesVerified"] == 4
    by_text = run_json("package", "verify", str(package), "--key", keys["publicKey"])
    assert by_text["ok"] is True


def test_verify_counts_every_entry_a_format_2_manifest_lists(tmp_path: Path) -> None:
    jobs = [make_job(f"job_{i}") for i in range(6)]
    larger = write_package(tmp_path / "larger.zip", jobs)
    verified = run_json("package", "verify", str(larger))
    listed = [n for n in zipfile.ZipFile(larger).namelist() if not n.startswith("manifest.")]
    assert verified["entriesVerified"] == len(listed) == 19


def test_verify_fails_with_exit_3_for_another_key(tmp_path: Path, package: Path) -> None:
    run_json("package", "keygen", str(tmp_path / "mine"))
    run_json("package", "keygen", str(tmp_path / "theirs"))
    run_json("package", "sign", str(package), "--key", str(tmp_path / "theirs.pem"))
    view = run_json("package", "verify", str(package), "--key", str(tmp_path / "mine.pub"), code=3)
    assert view["signature"]["state"] == "untrusted"
    human = invoke(["package", "verify", str(package), "--key", str(tmp_path / "mine.pub")])
    assert human.exit_code == 3
    assert "failed verification (untrusted)" in human.stdout
    assert "is not among the trusted keys" in human.stdout


def test_verify_fails_when_an_entry_changed_after_signing(tmp_path: Path, package: Path) -> None:
    run_json("package", "keygen", str(tmp_path / "k"))
    run_json("package", "sign", str(package), "--key", str(tmp_path / "k.pem"))
    tamper(package, "scripts/daily_sales_sql.script", b'{"name": "daily_sales_sql"}')
    result = invoke(["package", "verify", str(package), "--key", str(tmp_path / "k.pub")])
    assert result.exit_code == 3
    assert "scripts/daily_sales_sql.script" in result.stderr


def test_verify_of_a_changed_entry_says_the_mismatch_once_and_the_fix_as_its_fix(
    package: Path,
) -> None:
    tamper(package, "scripts/daily_sales_sql.script", b'{"name": "daily_sales_sql"}')
    result = invoke(["package", "verify", str(package)])
    assert result.exit_code == 3
    fixes = [line for line in result.stderr.splitlines() if line.startswith("fix:")]
    assert fixes == [], result.stderr  # the mismatch is no fix: the message says it, and what to do
    assert result.stderr.count("where manifest.json lists") == 1, result.stderr
    assert "export it again from its source workspace" in result.stderr


def test_verify_fails_when_the_manifest_changed_after_signing(
    tmp_path: Path, package: Path
) -> None:
    run_json("package", "keygen", str(tmp_path / "k"))
    run_json("package", "sign", str(package), "--key", str(tmp_path / "k.pem"))
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["source"]["workspace"] = "prod"
    edited = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    tamper(package, "manifest.json", edited)
    view = run_json("package", "verify", str(package), code=3)
    assert view["signature"]["state"] == "invalid"


def test_verify_of_an_unsigned_package(package: Path) -> None:
    assert run_json("package", "verify", str(package))["signature"]["state"] == "unsigned"
    view = run_json("package", "verify", str(package), "--require-signed", code=3)
    assert view["ok"] is False


def test_verify_says_what_it_did_not_verify(tmp_path: Path, package: Path) -> None:
    unsigned = invoke(["package", "verify", str(package)])
    assert unsigned.exit_code == 0
    said = unsigned.stdout + unsigned.stderr
    assert "OK: 4 entries match manifest.json" in said
    assert "Not verified: the signer: the package is not signed" in said
    assert "OK: verified." not in said

    keys = run_json("package", "keygen", str(tmp_path / "k"))
    run_json("package", "sign", str(package), "--key", str(tmp_path / "k.pem"))
    no_keys = run_json("package", "verify", str(package))
    assert no_keys["signature"]["state"] == "untrusted"
    assert "no trusted key was given" in no_keys["summary"]
    refused = run_json("package", "verify", str(package), "--require-signed", code=3)
    assert "not trusted" in refused["summary"]

    lines = tmp_path / "trusted.txt"
    lines.write_text(f"# release key\n{keys['publicKey']}\n")
    listed = tmp_path / "trusted.json"
    listed.write_text(json.dumps({"keys": [{"name": "r", "publicKey": keys["publicKey"]}]}))
    for trusted in (lines, listed):
        view = run_json(
            "package", "verify", str(package), "--trusted-keys", str(trusted), "--require-signed"
        )
        assert view["ok"] is True
        assert view["notVerified"] == []


def test_verify_fails_a_package_signed_by_a_key_a_saved_listing_marks_distrusted(
    tmp_path: Path, package: Path
) -> None:
    """Offline, as the server refuses it: a package signed by a key the workspace's saved key
    listing (``keys list --distrusted --json``) marks distrusted fails, with or without
    --require-signed; before, the key was left out and the package read as merely untrusted."""
    keys = run_json("package", "keygen", str(tmp_path / "leaked"))
    run_json("package", "sign", str(package), "--key", str(tmp_path / "leaked.pem"))
    mine = run_json("package", "keygen", str(tmp_path / "mine"))
    listed = tmp_path / "keys.json"
    listed.write_text(
        json.dumps(
            {
                "keys": [
                    {"name": "mine", "publicKey": mine["publicKey"], "distrusted": False},
                    {"name": "leaked", "publicKey": keys["publicKey"], "distrusted": True},
                ]
            }
        )
    )
    view = run_json("package", "verify", str(package), "--trusted-keys", str(listed), code=3)
    assert view["signature"]["state"] == "distrusted"
    assert view["ok"] is False
    assert f"key {keys['keyId']} is distrusted" in view["summary"]
    human = invoke(["package", "verify", str(package), "--trusted-keys", str(listed)])
    assert human.exit_code == 3
    assert "is distrusted (the key listing marks it so)" in human.stdout


def test_verify_of_a_package_without_manifest_verified_nothing(tmp_path: Path) -> None:
    plain = write_package(tmp_path / "plain.zip", with_manifest=False)
    result = invoke(["package", "verify", str(plain)])
    assert result.exit_code == 3
    assert "nothing could be checked" in result.stdout
    assert "no manifest.json" in result.stdout


def test_sign_refuses_a_package_without_manifest(tmp_path: Path) -> None:
    package = write_package(tmp_path / "plain.zip", with_manifest=False)
    run_json("package", "keygen", str(tmp_path / "k"))
    result = invoke(["package", "sign", str(package), "--key", str(tmp_path / "k.pem")])
    assert result.exit_code == 3
    assert "no manifest.json" in result.stderr


def test_keygen_does_not_overwrite_keys(tmp_path: Path) -> None:
    run_json("package", "keygen", str(tmp_path / "k"))
    again = invoke(["package", "keygen", str(tmp_path / "k")])
    assert again.exit_code == 2
    assert "--force" in again.stderr
    run_json("package", "keygen", str(tmp_path / "k"), "--force")


def test_bad_key_arguments_are_usage_errors(tmp_path: Path, package: Path) -> None:
    result = invoke(["package", "verify", str(package), "--key", "not-a-key"])
    assert result.exit_code == 2
    public = tmp_path / "k.pub"
    run_json("package", "keygen", str(tmp_path / "k"))
    wrong = invoke(["package", "sign", str(package), "--key", str(public)])
    assert wrong.exit_code == 2
    assert "PEM private key" in wrong.stderr


def test_diff_shows_where_long_text_changes(tmp_path: Path) -> None:
    long_sql = "select * from orders where region = 'east' and year = 2024 order by id limit 100"
    entry = "scripts/daily_sales_sql.script"
    old = tamper(
        write_package(tmp_path / "old.zip", with_manifest=False),
        entry,
        json.dumps(make_script("daily_sales_sql", content=long_sql)).encode(),
    )
    new = tamper(
        write_package(tmp_path / "new.zip", with_manifest=False),
        entry,
        json.dumps(make_script("daily_sales_sql", content=long_sql.replace("100", "500"))).encode(),
    )
    human = invoke(["package", "diff", str(old), str(new)])
    assert human.exit_code == 0, human.stderr
    assert "limit 100" in human.stdout
    assert "limit 500" in human.stdout


def test_inspect_of_a_package_of_deletions_only_lists_them_its_route_and_chain_link(
    tmp_path: Path,
) -> None:
    deleted_at = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC
    header = replace(
        HEADER,
        created_at_ms=deleted_at,
        deleted=[
            {"kind": "job", "uid": "u1", "name": "old_report", "deletedAt": deleted_at},
            {"kind": "script", "uid": "u2", "name": "old_sql", "deletedAt": deleted_at - 1000},
        ],
        route=RouteBlock("nightly", "ws-test", "test", deleted_at + 5000, deleted_at - 86_400_000),
    )
    buf = io.BytesIO()
    PackageWriter(buf, header).close()
    package = tmp_path / "deletions.zip"
    package.write_bytes(buf.getvalue())

    view = run_json("package", "inspect", str(package))
    assert view["objects"] == []
    assert [(d["kind"], d["name"]) for d in view["deletions"]] == [
        ("job", "old_report"),
        ("script", "old_sql"),
    ]
    human = invoke(["package", "inspect", str(package)], env={"COLUMNS": "200"})
    assert human.exit_code == 0, human.output
    shown = human.stdout
    assert "Objects: none (the package carries deletions only)" in shown
    assert "old_report" in shown
    assert "old_sql" in shown
    assert "2026-01-01 00:00:00" in shown
    assert "1970" not in shown
    assert re.search(r"newest change:\s+2026-01-01 00:00:00 UTC", shown)
    assert re.search(r"route:\s+nightly, from workspace test", shown)
    assert "continues the package cut at 2025-12-31 00:00:00 UTC" in shown


def test_verify_with_keys_given_fails_an_unsigned_package(tmp_path: Path, package: Path) -> None:
    """docs/cli.md: exit 3 "when keys are given … and none signed it": an unsigned package
    passed ``--key`` before, as if the key had vouched for it."""
    keys = run_json("package", "keygen", str(tmp_path / "k"))
    view = run_json("package", "verify", str(package), "--key", keys["publicKey"], code=3)
    assert view["signature"]["state"] == "unsigned"
    assert view["ok"] is False
    assert "not signed, and trusted keys were given" in view["summary"]
    listed = tmp_path / "trusted.txt"
    listed.write_text(f"{keys['publicKey']}\n")
    human = invoke(["package", "verify", str(package), "--trusted-keys", str(listed)])
    assert human.exit_code == 3
    assert "failed verification (unsigned)" in human.stdout
