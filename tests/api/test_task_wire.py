"""The exact bytes of system tasks and downloads on the wire: the presenters render the services'
records in DataArts' key order, and a task streamed with its subtask rows is the same document
as one answered whole."""

from __future__ import annotations

from dataclasses import replace

import orjson

from jobferry.api.presenters.tasks import task_document
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.storage import downloads as download_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.downloads import DownloadRecord
from support.clients import SignedClient
from support.console import admin_scope

START = 1_700_000_000_000
SUBTASKS = [
    {"id": "job:a", "name": "a", "status": "SUCCESSFUL", "message": "Created."},
    {"id": "job:b", "name": "b", "status": "FAILED", "message": "Refused."},
]


def _task(services: Services, *, rows: bool, inline: bool = False) -> str:
    """A finished import task with a result, its subtasks as rows or (as older versions kept
    them) inline."""
    scope = admin_scope(services)
    task = services.tasks.record(scope, "import", "Import p.zip.", {"path": "p.zip"})
    task = replace(
        task,
        status="WARNING",
        message="1 of 2 imported.",
        progress=100,
        start_time=START,
        last_update=START + 5,
        end_time=START + 9,
        result=orjson.dumps({"written": 1, "failed": 1}).decode(),
        subtasks=orjson.dumps({"items": SUBTASKS}).decode() if inline else None,
    )
    with services.db.transaction() as tx:
        task_repo.insert_task(tx, task)
        if rows:
            lines = [(i, s["status"], orjson.dumps(s).decode()) for i, s in enumerate(SUBTASKS, 1)]
            task_repo.insert_subtasks(tx, task.id, lines)
    return task.id


def _expected(task_id: str, *, streamed: bool) -> bytes:
    """The task's bytes: its subtasks after ``message`` (DataArts' order), or last when they are
    rows streamed a page at a time after the task's own fields."""
    listed = b'"subtasks":' + orjson.dumps(SUBTASKS)
    return (
        b'{"id":"' + task_id.encode() + b'","name":"Import p.zip.","projectId":"%s",'
        b'"startTime":1700000000000,"lastUpdate":1700000000005,"status":"WARNING",'
        b'"message":"1 of 2 imported.",'
        + (b"" if streamed else listed + b",")
        + b'"kind":"import","progress":100,"createUser":"%s","endTime":1700000000009,'
        b'"result":{"written":1,"failed":1}' + (b"," + listed if streamed else b"") + b"}"
    )


def test_a_task_answers_its_fields_in_dataarts_order(api: SignedClient, services: Services) -> None:
    scope = admin_scope(services)
    project, user = scope.actor.project_id.encode(), scope.actor.name.encode()
    for rows in (True, False):
        task_id = _task(services, rows=rows, inline=not rows)
        whole = api.call("GET", f"/system-tasks/{task_id}")
        assert whole.status_code == 200, whole.text
        assert whole.content == _expected(task_id, streamed=rows) % (project, user)
        assert orjson.loads(whole.content) == task_document(services.tasks.show(scope, task_id))


def test_a_listed_task_leaves_its_subtasks_and_result_out(
    api: SignedClient, services: Services
) -> None:
    task_id = _task(services, rows=True)
    listed = api.call("GET", "/system-tasks").json()
    assert listed["total"] == 1
    assert list(listed["tasks"][0]) == [
        "id",
        "name",
        "projectId",
        "startTime",
        "lastUpdate",
        "status",
        "message",
        "kind",
        "progress",
        "createUser",
        "endTime",
    ]
    assert listed["tasks"][0]["id"] == task_id


def test_a_page_of_subtasks_and_the_count_of_those_left_out(
    api: SignedClient, services: Services
) -> None:
    task_id = _task(services, rows=True)
    page = api.call("GET", f"/system-tasks/{task_id}/subtasks", query={"offset": 1, "limit": 5})
    assert page.content == b'{"total":2,"subtasks":' + orjson.dumps(SUBTASKS[1:]) + b"}"
    first = task_document(services.tasks.show(admin_scope(services), task_id, subtasks=1))
    assert (first["subtasks"], first["subtasksTotal"]) == (SUBTASKS[:1], 2)
    assert list(first)[-1] == "subtasksTotal"


def test_a_download_answers_its_fields_in_order(api: SignedClient, services: Services) -> None:
    scope = admin_scope(services)
    now = now_ms()
    item = DownloadRecord(
        id="d" * 32,
        project_id=scope.actor.project_id,
        workspace_id=scope.workspace.id,
        task_id=None,
        file_name="ws_workspace_20240101000000.zip",
        selection='{"mode":"workspace","jobs":3}',
        size=10,
        sha256="0" * 64,
        store="local",
        location="somewhere",
        created_by="admin",
        created_at=now,
        expires_at=now + 60_000,
    )
    with services.db.transaction() as tx:
        download_repo.insert_download(tx, item)
    shown = api.call("GET", f"/downloads/{item.id}")
    assert shown.content == (
        b'{"id":"' + item.id.encode() + b'","fileName":"ws_workspace_20240101000000.zip",'
        b'"selection":{"mode":"workspace","jobs":3},"size":10,"sha256":"' + b"0" * 64 + b'",'
        b'"createUser":"admin","createTime":%d,"expireTime":%d,"taskId":null,"store":"local"}'
        % (now, now + 60_000)
    )
    listed = api.call("GET", "/downloads").content
    assert listed == b'{"total":1,"lastGeneratedAt":%d,"downloads":[%s]}' % (now, shown.content)
