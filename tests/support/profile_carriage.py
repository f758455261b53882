"""The carriage of a profile story (``support/profile_stories.py``): its source and target
built through the services, a workspace exported whole, and the stories that found bugs."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from support.profile_stories import CONNECTIONS, PAST, Story, StoryJob
from support.zone_model import Cron


def build_source(services: Services, scope: Scope, story: Story) -> None:
    """The story's source: its connections, scripts and jobs (submitted)."""
    for name in CONNECTIONS:
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(scope, "connection", name, body)
    for name, connection in story.scripts:
        services.scripts.create(scope, story.script_doc(name, connection))
    for job in story.jobs:
        services.jobs.create(scope, {**story.job_doc(job), "targetStatus": "SUBMITTED"})


def build_target(services: Services, scope: Scope, story: Story) -> dict[str, Any]:
    """The target's connections, and its profile stored when the story says so; the import
    options naming or holding it."""
    for name in story.held_by_target():
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(scope, "connection", name, body)
    if story.stored:
        services.profiles.put(scope, "prod", story.profile())
        return {"profile": "prod"}
    return {"profile": story.profile()}


def export_workspace(services: Services, scope: Scope, path: Path) -> Path:
    """The development state of the scope's whole workspace, exported to ``path``."""
    asked = {"mode": "workspace", "exportDepend": True, "withManifest": True}
    prepared = services.exports.prepare(scope, parse_background_export(asked))
    services.exports.run(prepared)
    task = services.tasks.show(scope, prepared.task_id)
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    _, chunks = services.downloads.open(scope, task.outcome["downloadId"])
    path.write_bytes(b"".join(chunks))
    return path


def without_moved(doc: dict[str, Any]) -> dict[str, Any]:
    """A job definition but what a keepInstant move rewrites (expression, startTime,
    endTime)."""
    out = copy.deepcopy(doc)
    for key in ("expression", "startTime", "endTime"):
        out["schedule"]["cron"].pop(key, None)
    return out


def naive_start_read_in_the_new_zone() -> Story:
    """The story that found a keepWallClock move's note read a startTime without an offset
    in the source's zone: 12:00 on 2027-03-14 in Shanghai is before New York's clocks go
    forward that day, but the moved schedule reads it in New York, after them; the note
    named 2027-03-14 for a daily 02:30 the schedule first runs into on 2028-03-12."""
    story = day_29_moved_back()
    job = replace(
        story.jobs[0],
        cron=Cron(frozenset({30}), frozenset({2})),
        window=(datetime(2027, 3, 14, 4, 0, tzinfo=UTC), None),
        style="naive",
    )
    return replace(story, jobs=(job,), mode="keepWallClock")


def day_29_moved_back() -> Story:
    """The story that found day 29 moved back to day 28 by a keepInstant move (Shanghai's
    07:30 is New York's 18:30 the day before): the moved schedule fired on 28 February 2027,
    a day the source's never fired on; such a move is refused."""
    job = StoryJob(
        name="ja",
        script="sa",
        connection="dws_a",
        env="dev",
        region=None,
        cron=Cron(frozenset({30}), frozenset({7}), days_of_month=frozenset({29})),
        window=(PAST, None),
        style="colon",
    )
    return Story(
        scripts=(("sa", "dws_a"),),
        jobs=(job,),
        fates=tuple((c, "same") for c in CONNECTIONS),
        source_zone="Asia/Shanghai",
        zoneless=False,
        give_source_zone=False,
        decoy=None,
        target_zone="America/New_York",
        mode="keepInstant",
        params=False,
        job_params=(),
        stored=False,
    )
