"""Release refusals say what the user knows (SQLite and PostgreSQL): a package refused at its
creation is named by its name, not by the id of the upload its content is kept as; a deploy is
refused up front, before any task, when production's jobs were started or stopped by hand
since the plan, and names every policy rule its plan breaks with a release's fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.releases.records import PackageQuery
from support.releases import Team, make_package, submit_job


def _freeze_now() -> list[dict[str, str]]:
    now, day = datetime.now(UTC), timedelta(days=1)
    window = {"from": (now - day).strftime("%Y-%m-%d"), "to": (now + day).strftime("%Y-%m-%d")}
    return [window | {"zone": "UTC"}]


def test_a_package_refused_at_creation_is_named_by_its_name_not_an_upload_id(
    services: Services, team: Team
) -> None:
    services.policies.put(team.admin, None, {"freeze": _freeze_now(), "naming": {"jobs": "x_.*"}})
    submit_job(services, team.developer, "daily")
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, "nightly-batch")
    problems = refused.value.context["problems"]
    assert problems[0].startswith("release package 'nightly-batch': the plan breaks the freeze")
    assert problems[1].startswith("job 'daily' breaks the naming rule")  # named once
    assert not re.search(r"'[0-9a-f]{12,}'", refused.value.message), refused.value.message
    assert services.releases.packages(team.admin, PackageQuery())[0] == 0  # none made
