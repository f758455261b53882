"""Generated stories of the console's release pages in enterprise mode
(``support/console_release_stories.py``): six people signed in (the workspace's admin, a
developer, two deployers, an operator, a viewer) post the pages' forms — the pending items
packaged with the approvers chosen, a package approved with a key (the signature the page's
script makes, made here with ``cryptography``), deployed, revoked, planned again, its release
rolled back, production restored to it (the dry run, then *Restore*) — whoever may or may not.
After every post, whatever the story, the pages keep the promises of docs/console.md and
docs/api.md (``support/console_release_model.py`` says them):

- a post by a role that may not is refused with a 403 page, and one the rules of releases
  refuse (a package closed, approvals missing, production changed since the plan, an
  approval by the applicant or by someone not named, a rollback of what is not the newest
  release) with a 400 page saying why in the console's words; neither changes anything;
- any other post does what the model says, and the services then hold it: each package's
  state, production's jobs;
- each package's page says the state the services hold and offers each person exactly the
  actions their role and its state allow; its Approvals page says how many approvals count
  and offers *Approve with my key* only to an approver named who may sign;
- the ledger page's *In production* and its CSV download say what the ledger service holds.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, note

from jobferry.services.container import Services
from support.console_release_model import (
    PEOPLE,
    Package,
)
from support.console_release_steps import STEPS, package_url, submit
from support.console_release_stories import (
    a_job_started_by_hand,
    a_stale_approval,
    a_whole_release,
    release_page_stories,
)
from support.console_release_told import Told
from support.import_stories import generated
from support.release_stories import Step

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(2)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
ACTIONS = {
    "deploy": "/deploy",
    "replan": "/replan",
    "revoke": "/revoke",
    "rollback": "/rollback",
    "restore": "/restore",
}
"""A package page's actions and the end of the path their forms post to."""


def _check_package_pages(told: Told, chosen: Package) -> None:
    """The package's page says its state and offers each person the actions the model
    allows; its Approvals page says how many approvals count."""
    model = told.model
    for who in PEOPLE:
        page = told.browsers[who].get(package_url(told, chosen))
        assert page.status_code == 200, (who, page.text[-2000:])
        assert f"data-package-state>{chosen.state}<" in page.text, (who, chosen.state)
        head = page.text[page.text.index("data-package-state") :]
        head = head[: head.index("</h1>")]
        assert ("rolled back" in head) == chosen.rolled_back, (who, chosen, head)
        if chosen.restored:
            assert "rolled back, then restored" in head, (who, chosen, head)
        offered = {
            act: f'action="{package_url(told, chosen, end)}"' in page.text
            for act, end in ACTIONS.items()
        }
        assert offered == model.offered(who, chosen), (who, chosen)
        if offered["deploy"] and model.required:
            said = f"{model.counted(chosen)} of {model.required} count"
            assert said in page.text, (who, said)
    approvals = told.browsers["viewer"].get(package_url(told, chosen, "/approvals"))
    assert approvals.status_code == 200, approvals.text[-2000:]
    counted = re.findall(r"data-approvals-counted>(\d+)<", approvals.text)
    assert counted[:1] == [str(model.counted(chosen))], (counted, chosen)
    rows = _APPROVAL.findall(approvals.text)
    signers = {told.scopes[who].actor.name: basis for who, basis in chosen.signed.items()}
    assert {user for user, _ in rows} == set(signers), (rows, chosen)
    counting = {user for user, badge in rows if badge == "successful"}
    assert counting == {u for u, basis in signers.items() if basis == chosen.basis}, rows


_APPROVAL = re.compile(
    r"<tr>\s*<td>([^<]*)</td>\s*<td><code>[^<]*</code></td>\s*<td[^>]*>.*?</td>\s*"
    r'<td><span class="badge status-(\w+)">'
)
"""An approval's row on the Approvals page: who, and whether it counts."""


_ROW = re.compile(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>")


def _check_ledger(told: Told) -> None:
    """The ledger page's *In production* and its CSV say what the ledger service holds."""
    held = told.services.ledger.ledger(told.scopes["viewer"], None, (20, 0))
    expected = sorted((o.name, o.kind, str(o.version)) for o in held.production)
    jobs = {o.name for o in held.production if o.kind == "job"}
    assert jobs == set(told.model.prod), (held.production, told.model.prod)
    page = told.browsers["viewer"].get(told.url("/release-ledger"))
    assert page.status_code == 200, page.text[-2000:]
    table = page.text[page.text.index('aria-label="In production"') :]
    table = table[: table.index("</table>")]
    assert sorted(_ROW.findall(table)) == expected
    _check_entries(told, page.text)
    download = told.browsers["viewer"].get(told.url("/release-ledger.csv"))
    assert download.status_code == 200
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeff"), "the console's CSV has no byte order mark"
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert sorted((r["name"], r["kind"], r["version"]) for r in rows) == expected


def _check_package_list(told: Told) -> None:
    """The packages page lists, newest first, the packages of each state asked for (a
    cancelled one in no other state's list), each with its applicant and approvers, and those
    whose name holds a part asked for."""
    model, browser = told.model, told.browsers["viewer"]
    made = model.packages
    states = {
        "": [p.id for p in made] + list(told.first),
        "waiting": [p.id for p in made if p.waiting],
        "released": [p.id for p in made if p.state == "released"] + list(told.first),
        "cancelled": [p.id for p in made if p.state == "cancelled"],
        "failed": [],
    }
    for state, ids in states.items():
        page = browser.get(told.url(f"/releases/packages?state={state}"))
        assert page.status_code == 200, page.text[-2000:]
        shown = [int(i) for i in re.findall(r'data-package-row="(\d+)"', page.text)]
        assert shown == sorted(ids, reverse=True), (state, shown)
    for chosen in made:
        row = page_row(browser.get(told.url("/releases/packages")).text, chosen.id)
        names = [told.scopes[a].actor.name for a in (chosen.applicant, *chosen.named)]
        assert all(n in row for n in names), (chosen, row)
    part = made[-1].name if made else "p"
    page = browser.get(told.url(f"/releases/packages?name={part}"))
    shown = [int(i) for i in re.findall(r'data-package-row="(\d+)"', page.text)]
    expected = [p.id for p in made if part in p.name] + [
        i for i, name in zip(told.first, ("scripts", "base"), strict=True) if part in name
    ]
    assert shown == sorted(expected, reverse=True), (part, shown)


def page_row(page: str, package_id: int) -> str:
    """The packages page's row of a package."""
    start = page.index(f'data-package-row="{package_id}"')
    return page[start : page.index("</tr>", start)]


_ENTRY = re.compile(r"<tr>\s*<td>(\d+)</td>\s*<td>(\w+)(?: <span [^>]*>of entry (\d+))?")


def _check_entries(told: Told, page: str) -> None:
    """The ledger page lists its entries newest first: each release, rollback and restore,
    and which entry a rollback undid or a restore brought back."""
    table = page[page.index('aria-label="Ledger entries"') :]
    rows = _ENTRY.findall(table[: table.index("</table>")])[::-1]
    ledger = told.model.ledger
    if len(ledger) + 1 > len(rows):  # a page holds 20: the newest
        ledger = ledger[len(ledger) + 1 - len(rows) :]
    else:
        assert rows[0][1] == "deploy", rows  # the scripts' release, before the story
        rows = rows[1:]
    ids = {id(e): int(r[0]) for e, r in zip(ledger, rows, strict=True)}
    for entry, (_, action, target) in zip(ledger, rows, strict=True):
        assert action == entry.action, (rows, ledger)
        if entry.target is not None:
            undone = told.model.ledger[entry.target]
            assert int(target) == ids.get(id(undone), int(target)), (rows, entry)


def _check_services(told: Told) -> None:
    """Each package stands as the model says, and production holds the model's jobs."""
    admin = told.scopes["admin"]
    for made in told.model.packages:
        view = told.services.releases.show(admin, made.id)
        words = "cancelled" if view.record.delete_flag else view.status.name
        expected = {
            "cancelled": "cancelled",
            "released": "SUCCESS",
            "waiting for approval": "PENDING",
        }[made.state]
        assert words == expected, (made, words)
    assert told.held() == told.model.prod
    assert told.running() == told.model.running
    assert sorted(i.name for i in told.items()) == sorted(told.model.pending)


@GENERATED
@given(story=release_page_stories())
@example(story=a_whole_release())
@example(story=a_stale_approval())
@example(story=a_job_started_by_hand())
def test_the_release_pages_offer_and_do_what_each_role_may(
    services: Services, client: TestClient, story: tuple[int, tuple[Step, ...]]
) -> None:
    required, steps = story
    note(repr(story))
    told = Told(services, client, required)
    for step in steps:
        if step.act == "submit":
            submit(told, *step.args)
            continue
        touched = STEPS[step.act](told, step, *step.args)
        _check_services(told)
        if touched is not None:
            _check_package_pages(told, touched)
        if step.act in ("deploy", "rollback", "restore", "last"):
            _check_ledger(told)
        if step.act in ("package", "deploy", "revoke"):
            _check_package_list(told)
