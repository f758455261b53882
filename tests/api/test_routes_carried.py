"""Routes across an air gap through the API: ``POST …/routes/{name}/package`` for a carried
target cuts the package into the source's download center with the route's identity in its
manifest; ``POST …/routes/{name}/promotions`` takes an uploaded package in on the target side,
refused in the DataArts envelope (``DLF.9041``) when it was not cut for the route, breaks the
route's chain or its signature, with nothing recorded.

One database plays both servers: the route is saved with a carried target, its packages cut,
then saved again (same name) with a carried source, as the target server holds it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.exporting import manifest, seed
from support.importing import connected_workspace, run_import, upload
from support.packages import tamper

SOURCE = {"source": {"workspace": "default"}, "target": {"carried": True}}


def _default(api: SignedClient) -> str:
    listed = api.call("GET", "/workspaces").json()["workspaces"]
    return str(next(w["id"] for w in listed if w["name"] == "default"))


def _cut(api: SignedClient, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    made = api.call("POST", f"/routes/{route}/package", body)
    assert made.status_code == 200, made.text
    answer: dict[str, Any] = made.json()
    return answer


def _bytes(api: SignedClient, made: dict[str, Any]) -> bytes:
    got = api.call("GET", f"/downloads/{made['download']['id']}/content")
    assert got.status_code == 200, got.text
    return bytes(got.content)


def _edit(api: SignedClient, value: str) -> None:
    job = make_job("daily_sales")
    job["params"] = [{"name": "bizdate", "value": value}]
    assert api.call("PUT", "/jobs/daily_sales", job).status_code == 204


def _history(api: SignedClient, route: str) -> list[dict[str, Any]]:
    listed = api.call("GET", f"/routes/{route}/promotions")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["promotions"])


def _target_side(api: SignedClient, route: str, prod: str, **settings: Any) -> None:
    """The route as the target server holds it: a carried source, a workspace of its own."""
    assert api.call("DELETE", f"/routes/{route}").status_code == 204
    document = {
        "source": {"carried": True, "workspaceId": _default(api)},
        "target": {"workspace": prod},
        "propagateDeletes": True,
        **settings,
    }
    saved = api.call("PUT", f"/routes/{route}", document)
    assert saved.status_code == 200, saved.text


def _take_in(api: SignedClient, route: str, data: bytes, prod: str) -> Any:
    path = upload(api, data, workspace=prod)
    return api.call("POST", f"/routes/{route}/promotions", {"path": path})


def test_a_carried_package_names_its_route_and_continues_the_last_one_carried_out(
    api: SignedClient,
) -> None:
    seed(api, ("daily_sales", "weekly_sales"))
    assert api.call("PUT", "/routes/out", SOURCE).status_code == 200
    first = _cut(api, "out")
    promotion = first["promotion"]
    assert (promotion["carried"], promotion["since"], promotion["jobs"]) == ("out", None, 2)
    assert first["target"] == {"carried": True}
    assert first["download"]["sha256"] == promotion["packageSha256"]
    route = manifest(_bytes(api, first))["route"]
    assert route == {
        "name": "out",
        "sourceWorkspaceId": _default(api),
        "sourceWorkspace": "default",
        "snapshotAt": promotion["snapshotTime"],
        "since": None,
    }
    assert _cut(api, "out")["promotion"] is None  # nothing changed since
    _edit(api, "yesterday")
    second = _cut(api, "out")["promotion"]
    assert (second["since"], second["jobs"]) == (promotion["snapshotTime"], 1)
    full = _cut(api, "out", {"full": True})["promotion"]
    assert (full["since"], full["jobs"]) == (None, 2)
    history = _history(api, "out")
    assert [p["carried"] for p in history] == ["out"] * 3
    assert [p["taskId"] for p in history] == [None] * 3


def test_full_is_only_for_a_carried_target(api: SignedClient) -> None:
    prod = connected_workspace(api)
    saved = api.call("PUT", "/routes/local", {**SOURCE, "target": {"workspace": prod}})
    assert saved.status_code == 200, saved.text
    refused = api.call("POST", "/routes/local/package", {"full": True})
    assert_error(refused, "DLF.3051", "full is only for a route whose target is carried")
    assert _history(api, "local") == []


def test_a_package_taken_in_continues_the_chain_and_imports_as_any_promotion(
    api: SignedClient,
) -> None:
    seed(api, ("daily_sales",))
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/gap", SOURCE).status_code == 200
    first = _bytes(api, _cut(api, "gap"))
    _edit(api, "yesterday")
    cut = _cut(api, "gap")
    second = _bytes(api, cut)
    _target_side(api, "gap", prod)

    refused = _take_in(api, "gap", second, prod)
    missing = hashlib.sha256(first).hexdigest()
    assert_error(refused, "DLF.9041", f"Import package sha256 {missing} (cut at ", '{"full": true}')
    assert refused.json()["rule"] == "route.chain"
    assert refused.json()["missing_sha256"] == missing  # named by its hash, not only a time
    assert refused.json()["remedy"] == "cut_full_package"
    assert refused.json()["missing_snapshot"] == cut["promotion"]["since"]
    assert _history(api, "gap") == []  # nothing recorded

    taken = _take_in(api, "gap", first, prod)
    assert taken.status_code == 200, taken.text
    made = taken.json()
    assert made["source"] == {"workspaceId": _default(api), "name": "default", "carried": True}
    assert made["target"]["workspaceId"] == prod
    assert made["importOptions"]["propagateDeletes"] is True
    promotion = made["promotion"]
    assert (promotion["carried"], promotion["jobs"], promotion["since"]) == ("in", 1, None)
    body = {"path": promotion["path"], **made["importOptions"]}
    plan = api.call("POST", "/jobs/import/plan", body, workspace=prod).json()
    assert plan["problems"] == [], plan
    task = run_import(api, {**body, "planId": plan["planId"]}, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    recorded = api.call("POST", f"/routes/gap/promotions/{promotion['id']}", {"taskId": task["id"]})
    assert recorded.status_code == 200, recorded.text
    assert _history(api, "gap")[0]["applied"] is True

    again = _take_in(api, "gap", first, prod)  # the same package, taken in and imported
    assert_error(again, "DLF.9041", f"package sha256 {hashlib.sha256(first).hexdigest()}")
    assert (again.json()["rule"], again.json()["task_id"]) == ("route.repeated", task["id"])
    assert again.json()["remedy"] == "roll_back_first"
    assert len(_history(api, "gap")) == 1  # listed once

    continued = _take_in(api, "gap", second, prod)  # the chain holds now
    assert continued.status_code == 200, continued.text
    assert continued.json()["promotion"]["since"] == promotion["snapshotTime"]


def test_a_package_of_another_route_or_not_signed_as_the_route_asks_is_refused(
    api: SignedClient, tmp_path: Path
) -> None:
    seed(api, ("daily_sales",))
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/gap", SOURCE).status_code == 200
    assert api.call("PUT", "/routes/other", SOURCE).status_code == 200
    unsigned = _bytes(api, _cut(api, "gap"))
    other = _bytes(api, _cut(api, "other"))  # unsigned too
    key = api.call("POST", "/signing-key")
    assert key.status_code == 200, key.text
    signed = tmp_path / "signed.zip"
    signed.write_bytes(_bytes(api, _cut(api, "gap", {"full": True})))
    document = manifest(signed.read_bytes())
    document["route"]["since"] = None
    document["route"]["name"] = "gap"
    document["createdAt"] = "2026-01-01T00:00:00.000Z"
    copy = tmp_path / "copy.zip"
    copy.write_bytes(signed.read_bytes())
    changed = tamper(copy, "manifest.json", orjson_dumps(document))
    _target_side(api, "gap", prod, requireSignature=True)
    trusted = {"name": "test", "publicKey": key.json()["publicKey"]}
    assert api.call("POST", "/trusted-keys", trusted, workspace=prod).status_code == 200

    wrong_route = _take_in(api, "gap", other, prod)
    assert_error(wrong_route, "DLF.9041", "it was cut for route 'other'")
    # Whose package it is comes before whether its signer is trusted (the route requires a
    # signature): the fix of a package of another route is never to trust its signer.
    assert wrong_route.json()["rule"] == "route.name"
    bad_signature = _take_in(api, "gap", changed.read_bytes(), prod)
    assert_error(bad_signature, "DLF.9041", "signature is invalid")
    not_signed = _take_in(api, "gap", unsigned, prod)
    assert_error(not_signed, "DLF.9041", "signature is unsigned (the route requires a signature)")
    corrupt = _take_in(api, "gap", b"PK\x03\x04 not a zip", prod)
    assert_error(corrupt, "DLF.9020")
    assert _history(api, "gap") == []  # nothing recorded
    taken = _take_in(api, "gap", signed.read_bytes(), prod)
    assert taken.status_code == 200, taken.text


def orjson_dumps(document: dict[str, Any]) -> bytes:
    """A manifest as jobferry writes one (sorted keys, two-space indent, final newline)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def test_a_carried_package_signed_by_a_key_the_target_distrusts_is_refused(
    api: SignedClient,
) -> None:
    """The route does not require a signature, and the target workspace does not require
    signed packages: a key it distrusts is refused all the same, before anything is recorded."""
    seed(api, ("daily_sales",))
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/gap", SOURCE).status_code == 200
    key = api.call("POST", "/signing-key").json()
    signed = _bytes(api, _cut(api, "gap"))
    _target_side(api, "gap", prod)
    trusted = {"name": "test", "publicKey": key["publicKey"]}
    assert api.call("POST", "/trusted-keys", trusted, workspace=prod).status_code == 200
    distrusted = api.call("DELETE", f"/trusted-keys/{key['keyId']}", workspace=prod)
    assert distrusted.status_code == 204

    refused = _take_in(api, "gap", signed, prod)

    assert_error(refused, "DLF.9065", f"signed by key {key['keyId']} ('test')")
    assert refused.json()["remedy"] == "distrusted_signer"
    assert _history(api, "gap") == []  # nothing recorded
