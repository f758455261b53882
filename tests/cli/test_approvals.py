"""``jobferry users keys`` and ``jobferry releases rule|approve|approvals|verify`` against a
real server: a key pair made locally, its public half registered, a package that needs one
signed approval refused until its approver signs it, the approvals file kept and verified with
no server, a tampered one refused (exit 3)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.builders import make_job
from support.cli import Cli
from support.cli_releases import as_user, submit
from support.exporting import seed
from support.releases import studio_person


def test_a_package_is_approved_with_a_local_key(cli: Cli, prod: Cli, tmp_path: Path) -> None:
    ws, suffix = cli.workspace, uuid.uuid4().hex[:6]
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        cli.remote.call("PUT", f"/environment/connection/{name}", body, workspace=ws)
    ws_name = cli.remote.workspace_name(ws)
    mode = {"name": ws_name, "mode": "1"}
    assert cli.remote.call("PUT", f"/{cli.server.project_id}/workspace/{ws}", mode)
    dev = studio_person(cli.server, ws, f"dev_{suffix}", "developer")
    dep = studio_person(cli.server, ws, f"dep_{suffix}", "deployer")
    developer = as_user(cli, "dev", dev.ak, dev.sk, tmp_path)
    deployer = as_user(cli, "dep", dep.ak, dep.sk, tmp_path)
    ruled = cli("releases", "rule", "--require-approvals", "1")
    assert ruled.exit_code == 0, ruled.output
    assert "need 1 signed approval" in ruled.stderr + ruled.stdout
    submit(cli, "sig_a")
    made = developer.json("releases", "create", "signed", "--all", "--approver", f"dep_{suffix}")
    package = made["release_package_id"]

    refused = deployer("releases", "deploy", package, "--yes")
    assert refused.exit_code == 1
    assert "DLF.9044" in refused.stderr
    assert "jobferry releases approve" in refused.stderr

    key = tmp_path / "dep.key"
    made_key = deployer("users", "keys", "new", str(key))
    assert made_key.exit_code == 0, made_key.output
    assert (key.stat().st_mode & 0o777) == 0o600
    assert deployer("users", "keys", "new", str(key)).exit_code == 2
    added = deployer.json("users", "keys", "add", f"{key}.pub", "--name", "laptop")
    assert added["name"] == "laptop"
    assert deployer.json("users", "keys", "list")["keys"][0]["keyId"] == added["keyId"]

    dev_key = tmp_path / "dev.key"
    developer("users", "keys", "new", str(dev_key))
    developer("users", "keys", "add", f"{dev_key}.pub")
    own = developer("releases", "approve", package, "--key", str(dev_key))
    assert own.exit_code == 1
    assert "DLF.9043" in own.stderr

    approved = deployer("releases", "approve", package, "--key", str(key))
    assert approved.exit_code == 0, approved.output
    assert "1 of 1 required approvals count" in approved.stderr + approved.stdout
    kept = tmp_path / "approvals.json"
    shown = deployer("releases", "approvals", package, "--out", str(kept))
    assert shown.exit_code == 0, shown.output
    assert f"dep_{suffix}" in shown.stdout

    verified = cli("releases", "verify", str(kept), "--key", f"{key}.pub")
    assert verified.exit_code == 0, verified.output
    foreign = cli("releases", "verify", str(kept), "--key", f"{dev_key}.pub")
    assert foreign.exit_code == 3
    said = json.loads(
        cli("releases", "verify", str(kept), "--key", f"{dev_key}.pub", "--json").stdout
    )
    assert said["error"]["code"] == "problems", said  # as every exit 3 (docs/cli.md)
    document = json.loads(kept.read_text(encoding="utf-8"))
    document["plan"]["packageSha256"] = "0" * 64
    kept.write_text(json.dumps(document), encoding="utf-8")
    tampered = cli("releases", "verify", str(kept))
    assert tampered.exit_code == 3
    assert "planHash is not the hash" in tampered.stderr

    deployed = deployer("releases", "deploy", package, "--yes")
    assert deployed.exit_code == 0, (deployed.stdout, deployed.stderr)
    carried = deployer.json("releases", "export", package, "--out", str(tmp_path / "rel.zip"))
    across_the_air_gap(prod, Path(carried["file"]), f"{key}.pub")
    revoked = deployer("users", "keys", "revoke", added["keyId"])
    assert revoked.exit_code == 0, revoked.output
    said = " ".join(revoked.stdout.split())
    assert f"Approval key {added['keyId']} is revoked since " in said
    # again: nothing changes, and the time said is still when it was revoked
    again = deployer("users", "keys", "revoke", added["keyId"])
    assert again.exit_code == 0, again.output
    assert " ".join(again.stdout.split()) == said


@dataclass(frozen=True)
class SignedRoute:
    """A route from the CLI's workspace (one job, ``signed_job``) to a new workspace, which
    requires one approval, of the developer ``approver`` speaks for (``ada_<suffix>``)."""

    name: str
    target: str
    approver: Cli
    approver_name: str
    made: dict[str, Any]


def _signed_route(cli: Cli, tmp_path: Path) -> SignedRoute:
    suffix = uuid.uuid4().hex[:6]
    seed(cli.remote, ("signed_job",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    ada = studio_person(cli.server, prod, f"ada_{suffix}", "developer")
    route = f"signed-{suffix}"
    made = cli.json(
        "routes", "create", route, "--from", cli.workspace, "--to", prod,
        "--require-approvals", "1", "--approvers", f"ada_{suffix}",
    )  # fmt: skip
    approver = as_user(cli, "ada", ada.ak, ada.sk, tmp_path)
    return SignedRoute(route, prod, approver, f"ada_{suffix}", made)


def test_promote_apply_needs_the_routes_approved_plan(cli: Cli, tmp_path: Path) -> None:
    signed = _signed_route(cli, tmp_path)
    route, approver, made = signed.name, signed.approver, signed.made
    assert made["approvals"] == {"required": 1, "approvers": [signed.approver_name]}
    assert "1 signed, of ada_" in cli("routes", "show", route).stdout

    refused = cli("promote", route, "--apply", "--yes")
    assert refused.exit_code == 1
    assert "DLF.9044" in refused.stderr
    assert f"jobferry routes approve {route}" in refused.stderr
    planned = cli.json("promote", route, code=4)
    plan_id = planned["plan"]["planId"]
    assert planned["approvalsRequired"] == 1
    shown_plan = cli("promote", route)
    assert shown_plan.exit_code == 4, shown_plan.output
    said = " ".join(shown_plan.stdout.split())
    assert re.search(
        r"Plan ([0-9a-f]{32}) and its package are kept until \S+ \S+ UTC: the route's approvers "
        rf"sign it \(jobferry routes approve {route} \1 --key FILE\), and the route's approvals "
        r"page in the console imports it as it is\.",
        said,
    ), said

    key = tmp_path / "ada.key"
    approver("users", "keys", "new", str(key))
    approver("users", "keys", "add", f"{key}.pub")
    approved = approver("routes", "approve", route, plan_id, "--key", str(key))
    assert approved.exit_code == 0, approved.output
    shown = cli.json("routes", "approvals", route, plan_id)
    assert shown["counted"] == 1
    # promote --apply plans again: the same package, settings and target give the same plan
    # hash, so the approval of the plan shown counts for it.
    applied = cli("promote", route, "--apply", "--yes")
    assert applied.exit_code == 0, (applied.stdout, applied.stderr)
    edited = cli.json("routes", "edit", route, "--require-approvals", "0")
    assert "approvals" not in edited


def test_the_approved_plan_is_imported_as_it_is_after_the_source_moved_on(
    cli: Cli, tmp_path: Path
) -> None:
    """Approvers sign plan P; the source changes meanwhile. promote --apply would plan the
    change too (a plan nobody signed); promote --plan P --apply imports what they signed."""
    signed = _signed_route(cli, tmp_path)
    route, prod, approver = signed.name, signed.target, signed.approver
    plan_id = cli.json("promote", route, code=4)["plan"]["planId"]
    key = tmp_path / "ada.key"
    approver("users", "keys", "new", str(key))
    approver("users", "keys", "add", f"{key}.pub")
    assert approver("routes", "approve", route, plan_id, "--key", str(key)).exit_code == 0
    job = make_job("signed_job")
    job["params"] = [{"name": "bizdate", "value": "yesterday"}]
    changed = cli.remote.call("PUT", "/jobs/signed_job", job, workspace=cli.workspace)
    assert changed.status_code == 204, changed.text

    shown = cli("promote", route, "--plan", plan_id)  # the signed plan again, not a new one
    assert shown.exit_code == 4, shown.output
    said = " ".join(shown.stdout.split())
    assert f"promote {route} --plan {plan_id} --apply" in said
    assert f"Plan {plan_id} and its package are kept until" in said
    mixed = cli("promote", route, "--plan", plan_id, "--on-drift", "keep-target")
    assert mixed.exit_code == 2
    assert "--plan shows (and with --apply imports) a plan as it was made" in mixed.stderr

    applied = cli.json("promote", route, "--plan", plan_id, "--apply", "--yes")
    assert applied["task"]["status"] == "SUCCESSFUL"
    assert applied["promotion"]["planId"] == plan_id
    imported = cli.remote.call("GET", "/jobs/signed_job", workspace=prod).json()
    assert not any(p.get("value") == "yesterday" for p in imported.get("params") or [])
    # Imported, it waits no more; the same step run again (a pipeline's retry) has nothing
    # to do, and says so with the import and its rollback in the route's target.
    task = applied["taskId"]
    again = cli("promote", route, "--plan", plan_id, "--apply", "--yes")
    assert again.exit_code == 0, again.output
    said = " ".join(again.stdout.split())
    assert said.startswith(
        f"Nothing to do: plan {plan_id} of route '{route}' was imported already (task {task}); "
    )
    assert said.endswith(f"rollback {task} -w {cli.remote.workspace_name(prod)}")
    answer = cli.json("promote", route, "--plan", plan_id)
    assert (answer["importedBefore"], answer["taskId"]) == (True, task)
    following = cli.json("promote", route, code=4)  # the change, in a plan of its own
    assert following["promotion"]["jobs"] == 1
    assert following["plan"]["planId"] != plan_id
    assert cli("rollback", task, "--yes", workspace=prod).exit_code == 0
    gone = cli("promote", route, "--plan", plan_id)  # its import undone: nothing stands
    assert gone.exit_code == 1
    assert f"Plan {plan_id} is not the plan of promotion" in gone.stderr


def across_the_air_gap(prod: Cli, release: Path, public_key: Path) -> None:
    """The signed release taken into another server's enterprise workspace: refused until
    that workspace trusts the approver's key, then imported; not a second time (it was taken
    in), nor once rolled back there (restored instead)."""
    ws_name = prod.remote.workspace_name(prod.workspace)
    mode = {"name": ws_name, "mode": "1"}
    assert prod.remote.call("PUT", f"/{prod.server.project_id}/workspace/{prod.workspace}", mode)
    untrusted = prod("releases", "import", str(release))
    assert untrusted.exit_code == 1
    assert "DLF.9043" in untrusted.stderr
    assert prod("keys", "trust", "approver", "--file", str(public_key)).exit_code == 0
    taken = prod("releases", "import", str(release), "--start")
    assert taken.exit_code == 0, (taken.stdout, taken.stderr)
    assert "Released the signed release" in taken.stderr + taken.stdout
    assert "1 job(s) started" in taken.stderr + taken.stdout
    again = prod("releases", "import", str(release))  # a signed release is taken in once
    assert again.exit_code == 1
    assert "DLF.9076" in again.stderr
    assert "it was taken in already (ledger entry" in again.stderr
    # its production's ledger holds it, with the approval that verified; it rolls back there
    ledger = prod("releases", "ledger")
    assert ledger.exit_code == 0, ledger.output
    (entry,) = prod.json("releases", "ledger")["entries"]
    assert (entry["package_id"], entry["startup_mode"]) == (None, 1)
    assert [a["key_id"] for a in entry["approvals"]]
    undone = prod("releases", "rollback", "--last", "--yes")
    assert undone.exit_code == 0, (undone.stdout, undone.stderr)
    assert "Rolled back the signed release 'signed' taken in" in undone.stderr + undone.stdout
    entry_id = str(entry["entry_id"])
    # rolled back, it is not taken in again: production is restored to it instead
    retaken = prod("releases", "import", str(release))
    assert retaken.exit_code == 1
    assert "DLF.9075" in retaken.stderr
    said = " ".join(retaken.stderr.split())
    assert "export the signed release again (jobferry releases export ID --out FILE)" in said
    assert f"restore it: jobferry releases restore --entry {entry_id}." in said
    # and production is restored to it by its ledger entry (it has no package there)
    planned = prod.json("releases", "restore", "--entry", entry_id, "--dry-run", code=4)
    assert planned["package_id"] is None
    restored = prod(
        "releases", "restore", "--entry", entry_id, "--plan", planned["plan_id"], "--yes"
    )
    assert restored.exit_code == 0, (restored.stdout, restored.stderr)
    assert f"Restored production to entry {entry_id}" in restored.stderr + restored.stdout
    assert prod.json("releases", "ledger")["entries"][0]["action"] == "restore"
