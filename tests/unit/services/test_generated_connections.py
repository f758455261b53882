"""Generated stories of data connections and environment objects
(``support/connection_stories.py``) in two workspaces. After every step, whatever the story,
the promises of docs/api.md ("Data connections", the ``/environment`` extension, "Required
secrets") hold, as ``support/connection_model.py`` says them:

- a refused call answers the documented code and changes nothing;
- the DataArts Factory list and show, the DataArts Studio list and show and the environment
  objects' list and names read the one store alike: each connection (side) once, its type,
  settings, description and Studio attributes, every secret that is set masked (or named
  only); the lists' filters (part of a name, a type in any case, part of an address) and
  pages select what the model says;
- no read (a list, a show, the connection bundle, a package of jobs) ever shows a value sent
  as a secret, and no table holds one in plain text (a task's request, an audit entry); the
  stored secrets are what the writes left (one kept across an update that does not name it,
  one emptied removed);
- a connection a job references is not deleted, through any call;
- the bundle imported into the other workspace creates, skips or overwrites each connection
  as ``sameNamePolicy`` says, with the secrets its ``params`` give and those the target kept;
- jobs carried into the other workspace (under a profile renaming a connection) are imported
  exactly when every connection they use is there with the secrets the source's has (the
  profile check says which are missing and each connection's secret state first), and carry
  no connection with them.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import event, example, given, note
from sqlalchemy import select

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.storage import environment as repo
from jobferry.storage.tables import metadata
from support.builders import make_job
from support.connection_model import ATTRIBUTES, DEV, KINDS, PROD, Model, Space, Write, shown
from support.connection_stories import (
    bundle_given_a_password,
    carried_with_secrets,
    config,
    connection_stories,
    described_at_length,
    secret_held_by_key_only,
    secret_named_twice,
    secret_value,
    secrets_given,
    write,
)
from support.console import admin_scope
from support.import_stories import generated
from support.planning import run_import, upload
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(3)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
SIDES = (DEV, PROD)
NO_ID = "0" * 32
Taken = tuple[str | None, Callable[[], object]]
"""What the model says a step is refused with (``None``: taken), and the call taking it."""


def _workspaces(services: Services, n: int) -> list[Scope]:
    admin = admin_scope(services)
    made = [
        services.accounts.create_workspace(admin.actor, admin.actor.project_id, f"conn{n}_{s}")
        for s in ("a", "b")
    ]
    return [admin_scope(services, ws) for ws in made]


def _raw(services: Services, scope: Scope) -> list[Any]:
    """Every stored row of the workspace's environment objects and its sealed secrets."""
    ws = scope.workspace.id
    with services.db.transaction(readonly=True) as tx:
        rows = repo.list_objects(tx, ws, None, env=None)
        return [(r, repo.read_secrets(tx, ws, r.kind, r.name, r.env)) for r in rows]


def _secrets(services: Services, scope: Scope, kind: str, name: str, env: str) -> dict[str, str]:
    with services.db.transaction(readonly=True) as tx:
        token = repo.read_secrets(tx, scope.workspace.id, kind, name, env)
    value = {} if token is None else load(services.environment.box.decrypt(token))
    assert isinstance(value, dict)
    return value


def _unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _never_shown(model: Model, *reads: object) -> None:
    """No value ever sent as a secret appears in what the reads answered."""
    text = "".join(repr(read) for read in reads)
    leaked = sorted(value for value in model.secret_values if value in text)
    assert not leaked, leaked


def _check_factory(services: Services, scope: Scope, space: Space) -> list[object]:
    dev = space.dev()
    expected = [(n, s.type, shown(s), s.description) for n, s in sorted(dev.items())]
    page = services.connections.list(scope, name=None, limit=100, offset=None)
    listed = [(c.name, c.type, c.config, c.description) for c in page.items]
    assert (page.total, listed) == (len(expected), expected)
    one = [services.connections.get(scope, name) for name in sorted(dev)]
    assert [(c.name, c.type, c.config, c.description) for c in one] == expected
    return [page, one]


def _check_filters(services: Services, scope: Scope, space: Space) -> None:
    """The lists' filters and pages: the Factory list by part of the name and two at a time,
    the Studio list by part of the name, by type in any case and by part of an address."""
    dev = sorted(space.dev())
    for part in ("a", "c"):
        page = services.connections.list(scope, name=part, limit=100, offset=None)
        assert [c.name for c in page.items] == [n for n in dev if part in n], part
    read: list[str] = []
    for offset in itertools.count(0, 2):
        page = services.connections.list(scope, name=None, limit=2, offset=offset)
        assert page.total == len(dev)
        read += [c.name for c in page.items]
        if len(page.items) < 2:
            break
    assert read == dev
    sides = space.conns.items()
    for query, wanted in (
        ({"name": "b"}, {key for key, _ in sides if "b" in key[0]}),
        ({"type": "dws"}, {key for key, side in sides if side.type == "DWS"}),
        ({"ip": "10.0.0.1"}, {key for key, side in sides if "10.0.0.1" in side.public["host"]}),
    ):
        page = services.data_connections.list(scope, {"limit": "100", **query})
        assert {(c.name, c.env.value) for c in page.items} == wanted, query


def _check_studio(services: Services, scope: Scope, space: Space) -> list[object]:
    expected = []
    for (name, env), side in sorted(space.conns.items()):
        settings = shown(side)
        attrs = {wire: settings.pop(key, "") for wire, key in ATTRIBUTES.items()}
        expected.append((name, env, side.type, settings, attrs, side.description))
    page = services.data_connections.list(scope, {"limit": "100"})
    assert (page.matched, page.total) == (len(expected), len(expected))

    def seen(c: Any) -> tuple[Any, ...]:
        attrs = {"agent_id": c.agent_id, "dw_category": c.category}
        return (c.name, c.env.value, c.type, c.config, attrs, c.description)

    assert sorted((seen(c) for c in page.items), key=repr) == sorted(expected, key=repr)
    one = [services.data_connections.get(scope, c.dw_id) for c in page.items]
    assert [seen(c) for c in one] == [seen(c) for c in page.items]
    return [page, one]


def _check_objects(services: Services, scope: Scope, space: Space) -> list[object]:
    held = [("connection", n, s) for n, s in space.dev().items()]
    held += [(kind, n, s) for (kind, n), s in space.objects.items()]
    expected = [(k, n, s.type, s.public, tuple(sorted(s.secrets))) for k, n, s in sorted(held)]
    for kind in KINDS:
        names = sorted(n for k, n, _ in held if k == kind)
        found = services.environment.names(scope, kind, 2)
        assert (found.names, found.total) == (tuple(names[:2]), len(names)), kind
    listed = services.environment.list_objects(scope)
    got = [(o.kind.value, o.name, o.type, o.config, tuple(sorted(o.secret_keys))) for o in listed]
    assert got == expected
    for kind, name, side in held:
        env = DEV if kind == "connection" else "development"
        assert _secrets(services, scope, kind, name, env) == side.secrets, (kind, name)
    for (name, env), side in space.conns.items():
        assert _secrets(services, scope, "connection", name, env) == side.secrets, (name, env)
    return [listed]


def _check_bundle(services: Services, scope: Scope, space: Space) -> bytes:
    """The workspace's connection bundle: each development side, settings without secrets."""
    data = services.connection_migration.export(scope)
    entries = {k: orjson.loads(v) for k, v in _unzipped(data).items()}
    expected = {
        f"connections/{name}.conn": {
            "name": name,
            "type": side.type,
            "config": side.public,
            "description": side.description,
        }
        for name, side in space.dev().items()
    }
    assert entries == expected
    return data


def _never_stored_plain(services: Services, model: Model) -> None:
    """No value sent as a secret is written in plain text in any table (a task's request,
    an audit entry, a setting): only sealed, where the environment keeps secrets."""
    with services.db.transaction(readonly=True) as tx:
        rows = [
            (t.name, tuple(r)) for t in metadata.sorted_tables for r in tx.conn.execute(select(t))
        ]
    found = sorted({table for table, row in rows for v in model.secret_values if v in repr(row)})
    assert not found, found


def _check(services: Services, scopes: list[Scope], model: Model, touched: list[int]) -> None:
    for ws in touched:
        scope, space = scopes[ws], model.spaces[ws]
        reads = _check_factory(services, scope, space)
        reads += _check_studio(services, scope, space)
        reads += _check_objects(services, scope, space)
        _check_filters(services, scope, space)
        bundle = _check_bundle(services, scope, space)
        _never_shown(model, reads, _unzipped(bundle))


def _dw_id(services: Services, scope: Scope, name: str, env: str) -> str:
    page = services.data_connections.list(scope, {"limit": "100", "name": name})
    found = [c.dw_id for c in page.items if (c.name, c.env.value) == (name, env)]
    return found[0] if found else NO_ID


def _described(body: dict[str, Any], description: str | None) -> dict[str, Any]:
    return body if description is None else {**body, "description": description}


def _dlf(services: Services, scope: Scope, model: Model, step: Step, n: int) -> Taken:
    op, ws, name, type_, look, secret, description = step.args
    sent = write(type_, look, secret, description, n)
    expected = model.dlf(op, ws, name, None if op == "delete" else sent)
    body = _described({"type": type_, "config": sent.config}, description)
    if op == "create":
        return expected, lambda: services.connections.create(scope, {"name": name, **body})
    if op == "update":
        return expected, lambda: services.connections.update(scope, name, body, False)
    return expected, lambda: services.connections.delete(scope, name)


def _source(source: tuple[Any, ...], n: int) -> tuple[dict[str, Any], tuple[str, str, Write]]:
    name, env, type_, look, secret, description, agent = source
    settings = config(look, secret, n)
    vo = _described(
        {"dw_name": name, "dw_type": type_, "dw_config": settings, "env_type": env}, description
    )
    if agent is not None:
        vo["agent_id"] = agent
        settings = {**settings, "agentId": agent}
    return vo, (name, SIDES[env], Write(type_, settings, description))


def _studio(services: Services, scope: Scope, model: Model, step: Step, n: int) -> Taken:
    if step.act == "studio_create":
        ws, sources = step.args
        made = [_source(source, n * 10 + i) for i, source in enumerate(sources)]
        expected = model.studio_create(ws, [m for _, m in made])
        body = {"data_source_vos": [vo for vo, _ in made]}
        return expected, lambda: services.data_connections.create(scope, body)
    if step.act == "studio_delete":
        ws, name, env = step.args
        dw_id = _dw_id(services, scope, name, SIDES[env])
        return model.studio_delete(
            ws, (name, SIDES[env])
        ), lambda: services.data_connections.delete(scope, dw_id)
    ws, name, env, same, type_, look, secret, description = step.args
    sent_env = env if same else 1 - env
    vo, (_, _, sent) = _source((name, sent_env, type_, look, secret, description, None), n)
    expected = model.studio_update(ws, (name, SIDES[env]), (name, SIDES[sent_env]), sent)
    dw_id = _dw_id(services, scope, name, SIDES[env])
    return expected, lambda: services.data_connections.update(
        scope, dw_id, {"data_source_vos": [vo]}
    )


def _environment(services: Services, scope: Scope, model: Model, step: Step, n: int) -> Taken:
    if step.act == "env_delete":
        ws, kind, name = step.args
        expected = model.env_delete(ws, kind, name)
        return expected, lambda: services.environment.delete(scope, kind, name)
    ws, kind, name, type_, look, secret, choice = step.args
    sent, secrets = write(type_, look, secret, None, n), secrets_given(choice, n)
    expected = model.env_put(ws, kind, name, sent, secrets)
    body: dict[str, Any] = {"type": type_, "config": sent.config}
    if secrets is not None:
        body["secrets"] = secrets
    return expected, lambda: services.environment.put(scope, kind, name, body)


def _job(services: Services, scope: Scope, model: Model, step: Step) -> None:
    ws, k, *used = step.args
    name, space = f"j{ws}{k}", model.spaces[ws]
    if step.act == "unjob":
        if space.jobs.pop(name, None) is not None:
            services.jobs.delete(scope, name)
        return
    job = make_job(name)
    job["nodes"] = job["nodes"][:1]
    job["nodes"][0]["properties"] = [
        {"name": "connectionName", "value": used[0]},
        {"name": "database", "value": "postgres"},
        {"name": "statement", "value": "select 1"},
    ]
    if name in space.jobs:
        services.jobs.update(scope, name, job)
    else:
        services.jobs.create(scope, job)
    space.jobs[name] = used[0]


def _bundle(
    services: Services, scopes: list[Scope], model: Model, step: Step, folder: Path, n: int
) -> Taken:
    src, policy, params = step.args
    bundled = model.spaces[src].dev()
    sent, modelled = [], []
    for name, typed, secret in params:
        held = bundled[name].type if name in bundled else "DWS"
        type_ = {None: None, "same": held, "lower": held.lower()}.get(
            typed, "HIVE" if held != "HIVE" else "DWS"
        )
        settings = {"password": secret_value(n, name)} if secret else {}
        sent.append({"name": name, "type": type_, "params": settings})
        modelled.append((name, type_, settings))
    expected = model.bundle(src, policy, modelled)
    target = scopes[1 - src]
    path = folder / f"bundle{n}.zip"
    path.write_bytes(services.connection_migration.export(scopes[src]))
    body = {"path": upload(services, target, path), "sameNamePolicy": policy, "params": sent}
    return expected, lambda: services.connection_migration.import_bundle(target, body)


def _carry(
    services: Services, scopes: list[Scope], model: Model, step: Step, folder: Path, n: int
) -> None:
    """The first workspace's jobs exported and imported into the second."""
    (rename,) = step.args
    source, target = scopes
    jobs = sorted(model.spaces[0].jobs)
    if not jobs:
        return
    renames = dict([rename]) if rename else {}
    expected = model.carry(0, renames)
    prepared = services.exports.prepare(
        source, parse_background_export({"mode": "names", "names": jobs})
    )
    services.exports.run(prepared)
    made = services.tasks.show(source, prepared.task_id).outcome
    _, chunks = services.downloads.open(source, made["downloadId"])
    path = folder / f"carried{n}.zip"
    path.write_bytes(b"".join(chunks))
    _never_shown(model, _unzipped(path.read_bytes()))
    options: dict[str, Any] = {"profile": {"renames": {"connection": renames}}} if renames else {}
    kept = upload(services, target, path)
    report = services.imports.check_profile(target, parse_import_request({"path": kept, **options}))
    missing = sorted(m.name for m in report.missing if m.kind == "connection")
    states = model.secret_states(0, renames)
    assert (dict(report.secrets), missing) == (
        states,
        sorted({n for r, n in expected if r == "missing_reference"}),
    )
    assert report.complete == (not expected)
    task = run_import(services, target, kept, **options)
    problems = task.outcome.get("problems", []) if task.outcome else []
    found = sorted({(p["reason"], p["reference"]["name"]) for p in problems if "reference" in p})
    status = TaskStatus.FAILED if expected else TaskStatus.SUCCESSFUL
    assert (task.status, found) == (status, expected), problems
    event(f"carry: {', '.join(r for r, _ in expected) or 'imported'}")


def _act(
    services: Services, scopes: list[Scope], model: Model, step: Step, folder: Path, n: int
) -> Taken:
    """The code the model says ``step`` is refused with (``None``: taken; the model has
    followed it), and the call that takes it."""
    if step.act in ("job", "unjob"):
        return None, lambda: _job(services, scopes[step.args[0]], model, step)
    if step.act == "bundle":
        return _bundle(services, scopes, model, step, folder, n)
    if step.act == "carry":
        return None, lambda: _carry(services, scopes, model, step, folder, n)
    scope = scopes[step.args[1] if step.act == "dlf" else step.args[0]]
    if step.act == "dlf":
        return _dlf(services, scope, model, step, n)
    if step.act.startswith("studio"):
        return _studio(services, scope, model, step, n)
    return _environment(services, scope, model, step, n)


def _touched(step: Step) -> list[int]:
    """The workspaces a step may change: the one it names, the one a bundle or jobs are
    imported into."""
    if step.act == "carry":
        return [1]
    ws = step.args[1] if step.act == "dlf" else step.args[0]
    return [1 - ws] if step.act == "bundle" else [ws]


def _tell(services: Services, steps: tuple[Step, ...], folder: Path) -> None:
    story = next(_SERIAL)
    scopes = _workspaces(services, story)
    model = Model()
    for n, step in enumerate(steps):
        before = [_raw(services, scope) for scope in scopes]
        # the story's number in every value a step sends: the database holds earlier stories'
        expected, call = _act(services, scopes, model, step, folder, story * 1000 + n)
        refused: JobferryError | None = None
        try:
            call()
        except JobferryError as error:
            refused = error
        if refused is None:
            assert expected is None, f"{step!r} was taken; expected {expected}"
        else:
            assert refused.code == expected, (step, str(refused))
            assert [_raw(services, scope) for scope in scopes] == before, step
            event(f"{step.act}: {refused.code}")
        _check(services, scopes, model, _touched(step))
        if step.act == "bundle":  # the one call keeping its request, params and all
            _never_stored_plain(services, model)
    # a value stored in plain text elsewhere (an audit entry) stays to the end; one kept with
    # a connection is read by the checks of every step
    _never_stored_plain(services, model)
    _check(services, scopes, model, [0, 1])


@GENERATED
@given(steps=connection_stories())
@example(steps=secret_held_by_key_only())
@example(steps=carried_with_secrets())
@example(steps=described_at_length())
@example(steps=secret_named_twice())
@example(steps=bundle_given_a_password())
def test_connection_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, steps: tuple[Step, ...]
) -> None:
    note(repr(steps))
    _tell(services, steps, tmp_path)
