"""An import whose package is read and prepared in a helper process stores exactly what an
import read in one process stores: objects, versions, the reference index, the ledger (with the
helper's compressed copies), the change records rollback reads, the subtasks; and it rolls
back the same way."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.services.importing import planner
from jobferry.storage import tables
from jobferry.storage.importing.ledger import DEFLATE_MARK, unpack
from jobferry.storage.importing.tables import promotion_ledger, task_subtasks
from support.builders import make_job
from support.clients import SignedClient
from support.importing import new_workspace, run_import, upload
from support.packages import write_package
from support.readahead import helper_from, prepare_then_die, small_batches


def stored(services: Services, workspace: str, task: str) -> dict[str, Any]:
    """What an import left in a workspace, without ids, times and identifiers of its own."""
    jobs, refs, ledger = tables.jobs, tables.job_refs, promotion_ledger
    with services.db.transaction(readonly=True) as tx:
        run = tx.conn.execute
        names = {
            r.id: r.name
            for r in run(sa.select(jobs.c.id, jobs.c.name).where(jobs.c.workspace_id == workspace))
        }
        return {
            "jobs": sorted(
                tuple(r)
                for r in run(
                    sa.select(jobs.c.name, jobs.c.document, jobs.c.latest_version).where(
                        jobs.c.workspace_id == workspace
                    )
                )
            ),
            "refs": sorted(
                (names[r.job_id], r.kind, r.name, r.ref_workspace)
                for r in run(sa.select(refs).where(refs.c.job_id.in_(list(names))))
            ),
            "scripts": sorted(
                tuple(r)
                for r in run(
                    sa.select(tables.scripts.c.name, tables.scripts.c.document).where(
                        tables.scripts.c.workspace_id == workspace
                    )
                )
            ),
            "ledger": sorted(
                (
                    r.kind,
                    r.source_uid,
                    r.name,
                    r.written_sha256,
                    unpack(r.written),
                    unpack(r.source) if r.source else "",
                )
                for r in run(sa.select(ledger).where(ledger.c.target_workspace_id == workspace))
            ),
            "changes": sorted(
                (c.kind, c.name, c.action, c.after_version, c.after_sha256)
                for c in run(
                    sa.select(tables.import_changes).where(tables.import_changes.c.task_id == task)
                )
            ),
            "subtasks": [
                (s.seq, s.status, s.line.split('"lastUpdate"')[0])
                for s in run(
                    sa.select(task_subtasks)
                    .where(task_subtasks.c.task_id == task)
                    .order_by(task_subtasks.c.seq)
                )
            ],
        }


def ledger_forms(services: Services, workspace: str) -> dict[str, int]:
    """How many ledger documents (written, and source when a transform changed it) are stored
    as their entry's deflate stream, and how many compressed by the import."""
    t = promotion_ledger.c
    with services.db.transaction(readonly=True) as tx:
        rows = list(
            tx.conn.execute(
                sa.select(t.written, t.source).where(t.target_workspace_id == workspace)
            )
        )
    forms = [
        f"{column} {'entry' if data[:1] == DEFLATE_MARK else 'zlib'}"
        for row in rows
        for column, data in (("written", row.written), ("source", row.source))
        if data
    ]
    return {form: forms.count(form) for form in sorted(set(forms))}


def test_an_import_read_in_a_helper_stores_what_one_read_here_stores(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    jobs = [make_job(f"job_{i:02d}") for i in range(6)]
    jobs[3]["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_01"], "dependPeriod": "SAME_PERIOD"}
    package = write_package(tmp_path / "p.zip", jobs).read_bytes()
    body = {"sameNamePolicy": "OVERWRITE", "profile": {"owner": "ops"}}
    results = {}
    for way in ("here", "helper"):
        if way == "helper":
            small_batches(monkeypatch)
            helper_from(monkeypatch, 0, 0.5)
            settings = services.imports.settings.model_copy(update={"import_helper_objects": 0})
            monkeypatch.setattr(services.imports, "settings", settings)
        ws = new_workspace(api, f"target_{way}")
        for name in ("dws_conn", "ssh_conn"):
            secrets = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
            assert api.call(
                "PUT", f"/environment/connection/{name}", secrets, workspace=ws
            ).is_success
        path = upload(api, package, ws)
        task = run_import(api, {**body, "path": path}, ws)
        assert task["status"] == "SUCCESSFUL", task
        results[way] = (ws, task, stored(services, ws, task["id"]))

    (here_ws, here_task, here), (helper_ws, helper_task, helped) = results.values()
    assert helped == here
    assert len(here["ledger"]) == 6 + 12 + 1
    # Everything the helper read keeps its entry's own deflate stream, whether it prepared the
    # object (two of each batch of three) or sent it on unprepared: as written (scripts and the
    # resource), or as the package held it (the jobs, which the profile changes, so their
    # written text is compressed). Read here, without a helper, apply compresses all of it.
    assert ledger_forms(services, here_ws) == {"source zlib": 6, "written zlib": 19}
    assert ledger_forms(services, helper_ws) == {
        "source entry": 6,
        "written entry": 13,
        "written zlib": 6,
    }
    assert helper_task["result"]["summary"] == here_task["result"]["summary"]
    for ws, task in ((here_ws, here_task), (helper_ws, helper_task)):
        undone = api.call("POST", f"/system-tasks/{task['id']}/rollback", {}, workspace=ws)
        assert undone.status_code == 200, undone.text
        assert stored(services, ws, task["id"])["jobs"] == []


def test_an_import_whose_helper_dies_fails_and_writes_nothing(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    jobs = [make_job(f"job_{i:02d}") for i in range(6)]
    package = write_package(tmp_path / "p.zip", jobs).read_bytes()
    small_batches(monkeypatch)
    helper_from(monkeypatch, 0, 1.0)
    monkeypatch.setattr(planner, "prepare", prepare_then_die)
    settings = services.imports.settings.model_copy(update={"import_helper_objects": 0})
    monkeypatch.setattr(services.imports, "settings", settings)
    ws = new_workspace(api, "target")
    for name in ("dws_conn", "ssh_conn"):
        secrets = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        assert api.call("PUT", f"/environment/connection/{name}", secrets, workspace=ws).is_success

    task = run_import(api, {"path": upload(api, package, ws), "sameNamePolicy": "OVERWRITE"}, ws)

    assert task["status"] == "FAILED", task
    assert "helper process reading the package stopped (exit code 3)" in str(task), task
    left = stored(services, ws, task["id"])
    written = ("jobs", "refs", "scripts", "ledger", "changes")
    assert {key: left[key] for key in written} == {key: [] for key in written}, left
    assert api.call("GET", "/jobs", workspace=ws).json()["total"] == 0
