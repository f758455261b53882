"""``jobferry releases approve|approvals|verify|rule|export|import`` and ``jobferry routes
approve|approvals``: signed approvals of release packages and route plans, and a release
carried across an air gap with its approvals.

``approve`` reads the package's approvals (its plan hash and the statement to sign), checks
that the statement is the one its plan's facts make, signs it here with the approver's private
key file and sends the signature; the key never leaves this machine. ``approvals`` shows them
(``--out`` keeps the approvals file); ``verify`` checks such a file with no server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from jobferry.cli.client import ApiClient, segment
from jobferry.cli.exits import CheckProblemsError, CliUsageError, CommandError
from jobferry.cli.files import file_bytes
from jobferry.cli.output import Output, epoch_ms, mapping
from jobferry.cli.releases import PackageId, end_with_task
from jobferry.cli.session import JsonOption, WorkspaceOption, release_session, session
from jobferry.cli.verdict import listed_keys
from jobferry.package.approvals import ApprovalsVerdict, check_approvals, sign_statement
from jobferry.package.keys import key_id_of, public_key_of

KeyFile = Annotated[
    Path,
    typer.Option("--key", help="Your private key file ('users keys new' made it).", metavar="FILE"),
]


def _approvals_path(package_id: str) -> str:
    return f"/factory/release-packages/{package_id}/approvals"


def read_private_key(file: Path) -> tuple[bytes, str]:
    """The private key file's bytes and its public key's id (usage error otherwise)."""
    pem = file_bytes(file)
    try:
        return pem, key_id_of(public_key_of(pem))
    except ValueError as exc:
        raise CliUsageError(f"{file}: {exc}.") from exc


def sign_answer(answer: dict[str, Any], pem: bytes, key_id: str) -> dict[str, str]:
    """The body approving what ``answer`` (an approvals file) shows: refused here when its
    statement is not the one its facts make (nothing is signed then)."""
    verdict = check_approvals(answer)
    if verdict.problems:
        raise CommandError(
            "The server's approvals do not hold together, so nothing was signed: "
            + "; ".join(verdict.problems)
            + "."
        )
    return {
        "keyId": key_id,
        "planHash": verdict.plan_hash,
        "signature": sign_statement(pem, str(answer["statement"])),
    }


def approve_at(
    client: ApiClient, path: str, pem: bytes, key_id: str, **where: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """Approve the plan whose approvals are at ``path`` (of the API ``where`` names:
    ``api="v2"``, ``scoped=False``): read them, sign their statement here, send the signature.
    The body sent and the approvals as the server keeps them now."""
    answer = mapping(client.call("GET", path, **where))
    body = sign_answer(answer, pem, key_id)
    return body, mapping(client.call("POST", path, body, **where))


def _show(out: Output, answer: dict[str, Any]) -> None:
    out.fields(
        [
            ("subject", answer.get("subject")),
            ("plan hash", answer.get("planHash")),
            ("approvers", ", ".join(answer.get("approvers") or []) or "-"),
            ("required", answer.get("required")),
            ("counted", answer.get("counted")),
        ]
    )
    rows = [
        (
            a.get("user"),
            a.get("keyId"),
            epoch_ms(a.get("approvedAt")),
            "yes" if a.get("counts") else f"no: {a.get('why')}",
        )
        for a in (mapping(x) for x in answer.get("approvals") or [])
    ]
    out.table(("approver", "key id", "approved (UTC)", "counts"), rows, empty="No approvals.")


def approve_package(
    ctx: typer.Context,
    package_id: PackageId,
    key: KeyFile,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Approve a release package: sign its plan hash with your key (signed here)."""
    pem, key_id = read_private_key(key)
    s = release_session(ctx, json_mode, workspace)
    body, kept = approve_at(s.client(), _approvals_path(package_id), pem, key_id, api="v2")
    s.output.result(
        kept,
        f"Approved release package {package_id} (plan {body['planHash'][:16]}…) with key "
        f"{key_id}: {kept.get('counted')} of {kept.get('required')} required approvals count.",
    )


def show_approvals(
    ctx: typer.Context,
    package_id: PackageId,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the approvals file here.", metavar="FILE"),
    ] = None,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """A package's approvals: its plan hash, who signed it and whether each counts."""
    s = release_session(ctx, json_mode, workspace)
    answer = mapping(s.client().call("GET", _approvals_path(package_id), api="v2"))
    if out_file is not None:
        try:
            out_file.write_bytes(orjson.dumps(answer, option=orjson.OPT_INDENT_2))
        except OSError as exc:
            raise CommandError(f"Cannot write {out_file}: {exc.strerror or exc}.") from exc
    if s.output.json_mode:
        s.output.emit(answer)
        return
    _show(s.output, answer)
    if out_file is not None:
        s.output.note(f"Wrote the approvals file {out_file}: jobferry releases verify checks it.")


def _verdict_lines(verdict: ApprovalsVerdict) -> list[str]:
    lines = [f"plan {verdict.plan_hash}"]
    lines += [
        f"{c.user} (key {c.key_id}): {'valid' if c.valid else 'NOT valid: ' + c.why}"
        for c in verdict.checks
    ]
    lines += [f"problem: {p}" for p in verdict.problems]
    lines.append(f"{verdict.counted} of {verdict.required} required approvals count")
    return lines


def verify_approvals(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An approvals file ('releases approvals --out').")],
    trusted: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Only keys listed here count: one 'ed25519:…' per line, or what 'jobferry "
            "keys list --distrusted --json' prints (an approval a key it marks distrusted "
            "signed fails the file).",
            metavar="FILE",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Check an approvals file with no server (exit 3 unless enough approvals count)."""
    try:
        document = orjson.loads(file_bytes(file))
    except orjson.JSONDecodeError as exc:
        raise CliUsageError(f"{file} is not an approvals file (not JSON: {exc}).") from exc
    keys, distrusted = (None, []) if trusted is None else listed_keys(trusted, "--key")
    verdict = check_approvals(
        document, None if keys is None else frozenset(keys), frozenset(distrusted)
    )
    out = session(ctx, json_mode, None).output
    result = {
        "ok": verdict.ok,
        "planHash": verdict.plan_hash,
        "required": verdict.required,
        "counted": verdict.counted,
        "approvals": [c.__dict__ for c in verdict.checks],
        "problems": list(verdict.problems),
    }
    leaked = [c.user for c in verdict.checks if c.distrusted]
    if not verdict.ok or leaked:  # one approval a distrusted key signed refuses the whole
        said = [f"{', '.join(leaked)}'s approval is signed by a distrusted key"] if leaked else []
        raise CheckProblemsError(
            f"The approvals in {file} do not hold: "
            + "; ".join(said + _verdict_lines(verdict))
            + ".",
            verdict=result,
        )
    out.result(result, "\n".join(_verdict_lines(verdict)))


def approval_rule(
    ctx: typer.Context,
    require: Annotated[
        int | None,
        typer.Option(
            "--require-approvals",
            help="Approvals every package needs before a deploy (0: none); admins.",
            metavar="N",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Show (or set) how many signed approvals the workspace's packages need."""
    s = release_session(ctx, json_mode, workspace)
    if require is None:
        answer = mapping(s.client().get("/approval-rule"))
    else:
        body = {"requireApprovals": require}
        answer = mapping(s.client().call("PUT", "/approval-rule", body))
    count = answer.get("requireApprovals")
    s.output.result(
        answer,
        f"Release packages of {s.workspace_label()} need {count} signed approval(s) before "
        "a deploy."
        if count
        else f"Release packages of {s.workspace_label()} need no signed approval.",
    )


def _route_path(route: str, plan_id: str) -> str:
    return f"/routes/{segment(route)}/plans/{segment(plan_id)}/approvals"


def approve_route_plan(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(metavar="ROUTE", help="The route's name.")],
    plan_id: Annotated[
        str, typer.Argument(metavar="PLAN", help="The plan id 'promote ROUTE' printed.")
    ],
    key: KeyFile,
    json_mode: JsonOption = False,
) -> None:
    """Approve a route's plan: sign its plan hash with your key (signed here); then
    'promote ROUTE --apply' can import it."""
    pem, key_id = read_private_key(key)
    s = session(ctx, json_mode, None)
    _, kept = approve_at(s.client(), _route_path(route, plan_id), pem, key_id, scoped=False)
    s.output.result(
        kept,
        f"Approved plan {plan_id} of route '{route}' with key {key_id}: "
        f"{kept.get('counted')} of {kept.get('required')} required approvals count.",
    )


def show_route_approvals(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(metavar="ROUTE", help="The route's name.")],
    plan_id: Annotated[str, typer.Argument(metavar="PLAN", help="The plan id.")],
    json_mode: JsonOption = False,
) -> None:
    """A route plan's approvals: its plan hash, who signed it and whether each counts."""
    s = session(ctx, json_mode, None)
    answer = mapping(s.client().call("GET", _route_path(route, plan_id), scoped=False))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    _show(s.output, answer)


def export_release(
    ctx: typer.Context,
    package_id: PackageId,
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the signed release file.", metavar="FILE")
    ],
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Export a package with its approvals as one signed release file, to carry it to
    another server ('releases import' there)."""
    s = release_session(ctx, json_mode, workspace)
    got = s.client().download(
        "GET", f"/factory/release-packages/{segment(package_id)}/signed-release", out_file,
        api="v2",
    )  # fmt: skip
    s.output.result(
        {"file": str(got.path), "size": got.size, "sha256": got.sha256},
        f"Wrote the signed release of package {package_id} to {got.path} (sha256 "
        f"{got.sha256}). On the other server: jobferry releases import {got.path.name} -w WS.",
    )


def import_release(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A signed release file ('releases export').")],
    start: Annotated[
        bool,
        typer.Option(
            "--start", help="Start the new batch jobs it brings (default: leave them stopped)."
        ),
    ] = False,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Take a signed release into this enterprise workspace's production: planned here,
    imported only with the approved plan hash and approvals verified with keys this workspace
    trusts; waits for the import (exit 1 when it failed)."""
    s = release_session(ctx, json_mode, workspace)
    client = s.client()
    uploaded = client.upload(file.expanduser())
    body = {"path": uploaded["path"], "startup_mode": 1 if start else 0}
    answer = mapping(
        client.call("POST", "/factory/release-packages/signed-release", body, api="v2")
    )
    end_with_task(
        s,
        str(answer.get("taskId")),
        answer,
        done="Released",
        failed="The release failed:",
        what=f"the signed release (plan {str(answer.get('planHash'))[:16]}…, "
        f"{answer.get('approvals')} approval(s) verified) into production",
    )
