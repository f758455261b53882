"""The definition editor when others act at the same time: a page opened before someone else
saved the job (another tab, the API, an import) refuses the save, naming what they changed
and keeping the text; the same form posted twice (a double click, a browser's retry) saves
once and says it was saved; a job the text names renamed between the review confirmed and the
save shows the review again, with its caution, rather than save what it did not say."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.review import DefinitionReview
from support.builders import editable, make_job
from support.console import Browser, assert_page, review_token, save_in_editor


def _field(page: str, name: str) -> str:
    """A field of the editor's form as the browser sends it back (the text box or a hidden
    input)."""
    if name == "definition":
        found = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', page, re.S)
    else:
        found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in the page"
    return html.unescape(found.group(1))


def _opened(browser: Browser, url: str) -> dict[str, str]:
    """The editor's form as the page opened at ``url`` holds it."""
    page = browser.get(url).text
    return {"definition": _field(page, "definition"), "base": _field(page, "base")}


def test_a_stale_page_is_refused_naming_the_change_and_keeps_the_text(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs/daily_sales"
    form = _opened(browser, url)
    mine = json.loads(form["definition"]) | {"logPath": "obs://logs/mine/"}
    form["definition"] = json.dumps(mine)
    # Meanwhile someone saves the job through the API (or another tab).
    theirs = editable(services.jobs.show(seeded, "daily_sales").document)
    services.jobs.update(seeded, "daily_sales", theirs | {"description": "by the API"})

    refused = browser.post(url, form)

    assert_page(
        refused,
        400,
        "Job &#39;daily_sales&#39; changed since it was read",
        f"{seeded.actor.name} last changed it at",
        "nothing was saved",
        "open Edit again to start from what is stored now",
        "description",
        f"changed by {seeded.actor.name} since this page was opened",
    )
    assert 'name="confirm"' not in refused.text  # nothing offered to save over it at once
    assert _field(refused.text, "definition") == form["definition"]
    assert services.jobs.show(seeded, "daily_sales").document.get("logPath") is None
    # The page is now made from what is stored: reviewed and saved, it replaces their change.
    again = {**form, "base": _field(refused.text, "base")}
    saved = save_in_editor(browser, url, again)
    assert saved.status_code == 303, saved.text
    stored = services.jobs.show(seeded, "daily_sales").document
    assert (stored["logPath"], stored.get("description")) == ("obs://logs/mine/", None)


def test_a_save_posted_twice_saves_once_and_says_it_was_saved(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs/daily_sales"
    form = _opened(browser, url)
    form["definition"] = json.dumps(json.loads(form["definition"]) | {"description": "twice"})
    confirmed = {**form, "confirm": review_token(browser.post(url, form).text)}

    first = browser.post(url, confirmed)
    second = browser.post(url, confirmed)

    assert first.status_code == second.status_code == 303, second.text
    assert second.headers["location"] == first.headers["location"]
    assert services.jobs.show(seeded, "daily_sales").version == 2  # one new version, not two


def test_a_create_posted_twice_creates_once_and_says_it_was_created(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs"
    form = {"definition": json.dumps(make_job("hourly_load"))}
    confirmed = {**form, "confirm": review_token(browser.post(url, form).text)}

    first = browser.post(url, confirmed)
    second = browser.post(url, confirmed)

    assert first.status_code == second.status_code == 303, second.text
    assert second.headers["location"] == first.headers["location"]
    assert services.jobs.show(seeded, "hourly_load").version == 1
    # Another job of that name, typed differently, is still refused as taken.
    other = {"definition": json.dumps(make_job("hourly_load", directory="/other"))}
    taken = browser.post(url, {**other, "confirm": confirmed["confirm"]})
    assert_page(taken, 400, "job named &#39;hourly_load&#39; already exists")


def test_a_rename_between_the_review_and_the_save_is_reviewed_again_not_saved_uncautioned(
    browser: Browser, services: Services, seeded: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.jobs.create(seeded, make_job("upstream"))
    url = f"/console/w/{seeded.workspace.id}/editor/jobs/daily_sales"
    form = _opened(browser, url)
    mine = json.loads(form["definition"])
    mine["schedule"]["cron"]["dependJobs"] = {"jobs": ["upstream"]}
    form["definition"] = json.dumps(mine)
    first = browser.post(url, form)
    assert "names job &#39;upstream&#39;" not in first.text  # 'upstream' is there
    reviewed = services.reviews.job

    def renamed_after(*args: Any) -> DefinitionReview:
        # The confirmation's review is made; 'upstream' is renamed before its save.
        review = reviewed(*args)
        monkeypatch.setattr(services.reviews, "job", reviewed)
        services.jobs.rename(seeded, "upstream", "upstream_v2")
        return review

    monkeypatch.setattr(services.reviews, "job", renamed_after)
    again = browser.post(url, {**form, "confirm": review_token(first.text)})

    workspace = seeded.workspace.name
    assert_page(
        again,
        200,
        "it names job &#39;upstream&#39;, which the workspace no longer has",
        "nothing was saved",
        f"names job &#39;upstream&#39;, which workspace &#39;{workspace}&#39; does not have",
    )
    assert "dependJobs" not in json.dumps(services.jobs.show(seeded, "daily_sales").document)
    saved = browser.post(url, {**form, "confirm": review_token(again.text)})
    assert saved.status_code == 303, saved.text
    cron = services.jobs.show(seeded, "daily_sales").document["schedule"]["cron"]
    assert cron["dependJobs"] == {"jobs": ["upstream"]}  # as typed, the caution seen
