"""Generated stories of the release ledger's pages (``support/ledger_page_stories.py``, which
says what docs/api.md promises), through the API app, in both offset modes: an enterprise
workspace releases packages, then reads the ledger with drawn ``limit`` and ``offset``. Each
page is the slice of the entries newest first (``offset`` in rows, or a page number), answers
the ``offset`` asked, counts every entry in ``total`` and shows the same ``production``. The
app's task runner is held: each release's import runs in the story, in order.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, note

from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.settings import OffsetMode
from support.clients import SignedClient
from support.import_stories import generated
from support.ledger_page_stories import LedgerStory, ledger_page_stories
from support.releases import enterprise_team, register_connections, release, submit_job

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.usefixtures("held_tasks"),
    pytest.mark.parametrize("settings", list(OffsetMode), indirect=True),
]
GENERATED = generated(6)
_SERIAL = itertools.count()


@GENERATED
@given(story=ledger_page_stories())
def test_ledger_pages_are_slices_of_the_entries_answering_the_offset_asked(
    api: SignedClient, services: Services, story: LedgerStory
) -> None:
    note(repr(story))
    n = next(_SERIAL)
    team = enterprise_team(services, f"lp{n}")
    register_connections(services, team)
    names: list[str] = []
    for k in range(story.releases):
        submit_job(services, team.developer, f"lp{n}_job", description=f"cut {k}")
        names.append(f"lp{n}_r{k}")
        release(services, team, names[-1], StartupMode.LEAVE)
    newest_first = names[::-1]
    by_page = services.settings.offset_mode is OffsetMode.PAGE
    held: list[Any] = []
    for ask in story.asks:
        answer = api.call(
            "GET",
            "/factory/release-ledger",
            workspace=team.workspace_id,
            version="v2",
            query=ask.query(),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        entries, offset = ask.expected(newest_first, by_page)
        assert [e["package_name"] for e in body["entries"]] == entries, (ask, body["entries"])
        assert body["offset"] == offset, ask
        assert body["total"] == story.releases
        held.append(body["production"])
    assert all(p == held[0] for p in held)
