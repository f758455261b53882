"""What the steps of ``tests/cli/test_generated_env_commands.py`` said they did, and what the
workspace holds after each, read back through the API with signed calls by the project's admin
and compared with the model (``support/cli_env_model.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from support.cli import Cli
from support.cli_env_model import ROUTE, Model
from support.cli_env_stories import PUBLIC_KEYS, Step
from support.server import ServerProcess


@dataclass
class Told:
    """A story's workspace, the CLI configured for its admin and for the lesser user, the
    secret the story sends, and the model of what the workspace holds."""

    server: ServerProcess
    admin: Cli
    lesser: Cli
    folder: Path
    secret: str
    name: str
    """The workspace's name (an enterprise one: ``-w 'NAME (production)'`` is its production
    side)."""
    production: str
    """The production side's id."""
    route: str
    """The name of the story's route (from the workspace to another)."""
    model: Model = field(default_factory=Model)
    key_ids: dict[str, str] = field(default_factory=dict)
    """The id the server gave each public key it knows."""
    signing_key: str | None = None
    """The id of the workspace's signing key as last read."""

    def call(self, path: str, query: str = "", where: str | None = None) -> requests.Response:
        """A signed read of the API by the project's admin (``path`` under /v1/{project_id}),
        in the workspace (or ``where``)."""
        server = self.server
        raw_path = f"/v1/{server.project_id}{path}"
        headers = {
            "Host": server.url.removeprefix("http://"),
            "X-Project-Id": server.project_id,
            "workspace": where or self.admin.workspace,
        }
        headers.update(
            server.signer.sign("GET", raw_path, query, headers, b"", server.ak, server.sk)
        )
        url = server.url + raw_path + (f"?{query}" if query else "")
        return requests.get(url, headers=headers, timeout=30)

    def get(self, path: str, query: str = "") -> Any:
        answer = self.call(path, query)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()


def _rows(out: str) -> list[list[str]]:
    """The cells of each row of a table told for a person."""
    return [[c.strip() for c in line.split("│")] for line in out.splitlines() if "│" in line]


def _said(out: str) -> str:
    return " ".join(out.split())


def check_said(told: Told, step: Step, body: Any, out: str) -> None:
    """What a command that worked says it did, or shows, is what the workspace holds."""
    if step.act.startswith(("env-", "prod-")):
        _env_said(told, step, body, out)
    elif step.act.startswith("profiles-"):
        _profile_said(told, step, body, out)
    elif step.act.startswith("policies-"):
        _policy_said(told, step, body, out)
    else:
        _key_said(told, step, body, out)


def _env_said(told: Told, step: Step, body: Any, out: str) -> None:
    objects, act, args = told.model.objects, step.act, step.args
    if act == "prod-list":  # the production side holds nothing
        assert body["objects"] == [] if body is not None else out.startswith("No "), out
        return
    if act == "env-list":
        kind = args[0]
        listed = sorted(ref for ref in objects if kind in (None, ref[0]))
        if body is not None:
            got = [(o.get("kind", kind), o["name"]) for o in body["objects"]]
        else:
            rows = [r if kind is None else [kind, *r] for r in _rows(out)]
            got = [(r[0], r[1]) for r in rows]
            shown = [(r[2], r[3]) for r in rows]
            assert shown == [
                (objects[ref].type, ", ".join(sorted(objects[ref].secrets))) for ref in listed
            ], out
        assert got == listed, (listed, body, out)
        return
    held = objects.get((args[0], args[1]))
    if act == "env-show":
        assert held is not None
        if body is not None:
            assert (body["type"], body["config"]) == (held.type, held.config), body
            assert body.get("secrets", {}) == dict.fromkeys(held.secrets, "set"), body
        else:
            assert re.search(rf"^type:\s+{re.escape(held.type)}$", out, re.M), out
            assert ("password (set)" in out) == bool(held.secrets), out
    elif act == "env-put":
        assert held is not None
        secrets = sorted(held.secrets)
        if body is not None:
            assert (body["type"], sorted(body.get("secrets") or {})) == (held.type, secrets)
        else:
            saved = f"Saved {args[0]} '{args[1]}' in "
            assert saved in _said(out), out
            assert f"(secrets set: {', '.join(secrets) or 'none'})" in _said(out), out
    elif body is not None:
        assert body == {"deleted": {"kind": args[0], "name": args[1]}}, body
    else:
        assert f"Deleted {args[0]} '{args[1]}' from " in _said(out), out


def _profile_said(told: Told, step: Step, body: Any, out: str) -> None:
    profiles, act, args = told.model.profiles, step.act, step.args
    if act == "profiles-list":
        listed = sorted((name, len(saved)) for name, saved in profiles.items())
        if body is not None:
            assert sorted((p["name"], p["version"]) for p in body["profiles"]) == listed, body
        else:
            assert sorted((r[0], int(r[1])) for r in _rows(out)) == listed, out
    elif act == "profiles-show":
        saved = profiles[args[0]]
        number = args[1] or len(saved)
        if body is not None:
            assert (body["version"], body["document"]) == (number, saved[number - 1]), body
        else:
            assert re.search(rf"^version:\s+{number}$", out, re.M), out
    elif act == "profiles-put":
        number = len(profiles[args[0]])
        if body is not None:
            assert (body["name"], body["version"]) == (args[0], number), body
        else:
            assert f"Saved profile '{args[0]}' version {number} in " in _said(out), out
    elif body is not None:
        assert body == {"deleted": args[0]}, body
    else:
        assert f"Deleted profile '{args[0]}' from " in _said(out), out


def _policy_said(told: Told, step: Step, body: Any, out: str) -> None:
    act, route = step.act, step.args[0] if step.args else None
    policy = told.model.policies[route]
    if act == "policies-list":
        _policies_listed(told, body, out)
    elif act == "policies-show":
        number = step.args[1] or len(policy)
        if body is not None:
            assert (body["version"], body["document"]) == (number, policy[number - 1]), body
        else:
            assert re.search(rf"^version:\s+{number}$", out, re.M), out
    elif act == "policies-history":
        if body is not None:
            got = [(v["version"], v["document"]) for v in body["versions"]]
            assert got == list(reversed(list(enumerate(policy, 1)))), body
        else:
            assert len(_rows(out)) >= len(policy), out
    elif body is not None:
        assert (body["version"], body["document"]) == (len(policy), policy[-1]), body
    else:
        assert f"version {len(policy)}." in _said(out), out


def _policies_listed(told: Told, body: Any, out: str) -> None:
    """``policies list``: the workspace's policy and the story's route's, newest versions
    (other routes of the shared server's project may be listed too)."""
    holders = {("workspace", told.name): None, ("route", told.route): ROUTE}
    expected = sorted(
        (*holder, len(saved))
        for holder, which in holders.items()
        if (saved := told.model.policies[which])
    )
    if body is not None:
        got = [(p["holder"]["kind"], p["holder"]["name"], p["version"]) for p in body["policies"]]
    else:
        got = [(*r[0].split(" ", 1), int(r[1])) for r in _rows(out)]
    assert sorted(g for g in got if tuple(g[:2]) in holders) == expected, (body, out)


def _key_said(told: Told, step: Step, body: Any, out: str) -> None:
    act, args = step.act, step.args
    if act in ("keys-create", "keys-show"):
        current = told.get("/signing-key")["keyId"]
        if act == "keys-create":
            assert current != told.signing_key, (current, told.signing_key)
        else:
            assert current == told.signing_key, (current, told.signing_key)
        if body is not None:
            assert body["keyId"] == current, body
        else:
            assert re.search(rf"^key id:\s+{current}$", out, re.M), out
    elif act == "keys-delete":
        assert body == {"deleted": "signing-key"} or "Deleted the signing key" in _said(out)
    elif act == "keys-list":
        listed = told.model.listed_keys(args[0])
        if body is not None:
            got = [(k["publicKey"], k["name"], k["distrusted"]) for k in body["keys"]]
            assert sorted(got) == listed, body
        else:
            assert sorted(r[1] for r in _rows(out)) == sorted(k[1] for k in listed), out
    else:  # the key trusted or distrusted, under the id the workspace lists it by
        public = PUBLIC_KEYS[args[1] if act == "keys-trust" else args[0]]
        ids = {
            k["publicKey"]: k["keyId"] for k in told.get("/trusted-keys", "distrusted=true")["keys"]
        }
        key_id = ids[public]
        if act == "keys-trust" and body is not None:
            assert (body["keyId"], body["name"], body["distrusted"]) == (key_id, args[0], False)
        elif act == "keys-trust":
            assert f"Trusted key {key_id} ('{args[0]}') in " in _said(out), out
        elif body is not None:
            assert body["distrusted"] == key_id, body
            assert ("key" in body) == (args[1] != "id"), body
        else:
            assert f"Key {key_id} is distrusted in " in _said(out), out


def check_held(told: Told) -> None:
    """The workspace holds what the model says, read back through the API."""
    model = told.model
    objects = told.get("/environment")["objects"]
    got = sorted(
        (o["kind"], o["name"], o["type"], o["config"], sorted(o.get("secrets") or {}))
        for o in objects
    )
    assert got == sorted(
        (*ref, o.type, o.config, sorted(o.secrets)) for ref, o in model.objects.items()
    )
    released = told.call("/environment", where=told.production)
    assert released.status_code == 200, released.text
    assert released.json()["objects"] == []  # nothing is released in the stories
    listed = told.get("/profiles")["profiles"]
    assert sorted((p["name"], p["version"]) for p in listed) == sorted(
        (name, len(saved)) for name, saved in model.profiles.items()
    )
    for name, saved in model.profiles.items():
        versions = told.get(f"/profiles/{name}/versions")["versions"]
        assert [v["document"] for v in versions] == list(reversed(saved)), name
    _check_policy_held(told)
    _check_keys_held(told)


def _check_policy_held(told: Told) -> None:
    for route, policy in told.model.policies.items():
        where = "/policies/workspace" if route is None else f"/policies/routes/{told.route}"
        answer = told.call(f"{where}/versions")
        if not policy:
            assert answer.status_code == 400, answer.text
            assert answer.json()["error_code"] == "DLF.9086", answer.text
            continue
        assert answer.status_code == 200, answer.text
        assert [v["document"] for v in answer.json()["versions"]] == list(reversed(policy))


def _check_keys_held(told: Told) -> None:
    answer = told.call("/signing-key")
    if told.model.signing_key:
        assert answer.status_code == 200, answer.text
        told.signing_key = answer.json()["keyId"]
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_code"] == "DLF.9007", answer.text
        told.signing_key = None
    keys = told.get("/trusted-keys", "distrusted=true")["keys"]
    got = sorted((k["publicKey"], k["name"], k["distrusted"]) for k in keys)
    assert got == told.model.listed_keys(True)
    told.key_ids.update({k["publicKey"]: k["keyId"] for k in keys})
