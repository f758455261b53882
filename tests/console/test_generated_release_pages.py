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
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from jobferry.services.container import Services
from support.builders import make_job
from support.console import (
    hidden_fields,
    wait_task,
)
from support.console_form_model import refusal_text
from support.console_release_model import (
    APPROVER_ROLES,
    FORBIDDEN,
    PACKAGERS,
    PEOPLE,
    REFUSED,
    UNDOERS,
    Package,
)
from support.console_release_stories import (
    APPROVERS,
    a_job_started_by_hand,
    a_stale_approval,
    a_whole_release,
    release_page_stories,
)
from support.console_release_told import Told
from support.import_stories import generated
from support.release_stories import Step
from support.releases import (
    run_release,
)
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(2)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
ACTIONS = {
    "deploy": "/deploy",
    "replan": "/replan",
    "revoke": "/revoke",
    "rollback": "/rollback",
    "restore": "/restore",
}
"""A package page's actions and the end of the path their forms post to."""


def _package_url(told: Told, package: Package, end: str = "") -> str:
    return told.url(f"/releases/packages/{package.id}{end}")


def _pick(told: Told, index: int) -> Package | None:
    packages = told.model.packages
    return packages[index % len(packages)] if packages else None


def _answered(told: Told, step: Step, answer: Any, predicted: int | None, ok: int) -> bool:
    """Check a post's answer against the model's prediction: taken (``ok``), or refused
    with the status predicted, saying why in the console's words; whether it was taken."""
    note(f"{step}: {answer.status_code} (predicted {predicted or ok})")
    event(f"{step.act}: {predicted or 'taken'}")
    assert answer.status_code != 500, answer.text[-2000:]
    if predicted is None:
        assert answer.status_code == ok, (step, refusal_text(answer.text))
        return True
    said = refusal_text(answer.text)
    assert answer.status_code == predicted, (step, said)
    assert said.strip(), step
    assert not api_terms(said), (step, said)
    return False


def _refused_changes_nothing(told: Told, before: Any, taken: bool) -> None:
    if not taken:
        assert told.whole() == before, "a refused post changed something"


def submit(told: Told, job: str) -> None:
    tag = next(told.tags)
    body = {**make_job(job, description=f"v{tag}"), "targetStatus": "SUBMITTED"}
    told.services.jobs.update(told.scopes["developer"], job, body)
    told.model.pending[job] = tag


def package(told: Told, step: Step, who: str, approvers: str) -> Package | None:
    model, items = told.model, told.items()
    named = tuple(who if a == "self" else a for a in APPROVERS[approvers])
    predicted = model.package_refusal(who, named, len(items))
    browser = told.browsers[who]
    _check_pending_page(told, who, browser.get(told.url("/releases/pending")), len(items))
    name = f"p{len(model.packages)}"
    form = [
        ("package_name", name),
        *[("item", str(i.id)) for i in items],
        *[("approver", str(told.scopes[a].actor.user_id)) for a in named],
    ]
    before = told.whole()
    answer = browser.post(told.url("/releases/pending/package"), form)
    if not _answered(told, step, answer, predicted, 303):
        _refused_changes_nothing(told, before, False)
        return None
    made = int(re.findall(r"/releases/packages/(\d+)", answer.headers["location"])[0])
    assert sorted(i.name for i in items) == sorted(model.pending), items
    carried = dict(model.pending)
    made_package = Package(made, who, named, carried, {}, name=name)
    model.planned(made_package)
    model.pending = {}
    model.packages.append(made_package)
    assert not told.items(), "a package left pending items it was given"
    return made_package


def _check_pending_page(told: Told, who: str, page: Any, items: int) -> None:
    """The pending items page says how many wait; it offers the package form to admins and
    developers (when an item waits), with the members holding admin or deployer as approvers
    (never oneself), and the rule of approvals beside them; filtered by a part of the name or
    by the submitter, it lists those items only."""
    assert page.status_code == 200, page.text[-2000:]
    assert f"of {items} waiting item" in page.text or not items, items
    packager = PEOPLE[who] in PACKAGERS
    form = 'name="package_name"' in page.text
    assert form == (packager and items > 0), who
    ticks = len(re.findall(r'name="item" value=', page.text))
    assert ticks == (items if packager else 0), (who, ticks)
    offered = set(re.findall(r'name="approver" value="([^"]+)"', page.text))
    expected = {
        str(told.scopes[a].actor.user_id)
        for a, role in PEOPLE.items()
        if role in APPROVER_ROLES and a != who
    }
    assert offered == (expected if form else set()), (who, offered)
    rule = f"a package is deployed once {told.model.required} of its approvers"
    assert (rule in page.text) == (form and told.model.required > 0), who
    developer = told.scopes["developer"].actor.name
    for query, count in (
        ("name=a", sum(1 for n in told.model.pending if "a" in n)),
        (f"who={developer}", items),
        ("who=nobody", 0),
    ):
        filtered = told.browsers[who].get(told.url(f"/releases/pending?{query}")).text
        shown = re.findall(r"of ([\d,]+) waiting item", filtered)
        assert shown == ([str(count)] if count else []), (query, shown)


def approve(told: Told, step: Step, index: int, who: str) -> Package | None:
    chosen = _pick(told, index)
    if chosen is None:
        return None
    browser, url = told.browsers[who], _package_url(told, chosen, "/approvals")
    page = browser.get(url)
    assert page.status_code == 200, page.text
    may = told.model.may_sign(who, chosen)
    assert ("data-approve-form" in page.text) == may, (who, chosen)
    document = told.services.release_approvals.approvals(told.scopes["admin"], chosen.id)
    statement = document.document()["statement"]
    pair = told.keys[who]
    form = {
        "plan_hash": statement.rsplit("plan ", 1)[1].strip(),
        "key_id": pair.key_id,
        "signature": sign_statement(pair.private_pem, statement),
    }
    before = told.whole()
    answer = browser.post(url, form)
    taken = _answered(told, step, answer, told.model.approve_refusal(who, chosen), 303)
    _refused_changes_nothing(told, before, taken)
    if taken:
        chosen.signed[who] = dict(chosen.basis)
    return chosen


def _post_action(told: Told, who: str, chosen: Package, end: str, form: Any = None) -> Any:
    browser = told.browsers[who]
    browser.get(_package_url(told, chosen))
    return browser.post(_package_url(told, chosen, end), form or {})


def deploy(told: Told, step: Step, index: int, who: str, start: bool) -> Package | None:
    chosen = _pick(told, index)
    if chosen is None:
        return None
    predicted = told.model.deploy_refusal(who, chosen)
    note(f"counted {told.model.counted(chosen)}, drifted {told.model.drifted(chosen)}")
    before = told.whole()
    mode = StartupMode.START if start else StartupMode.LEAVE
    answer = _post_action(told, who, chosen, "/deploy", {"startup_mode": str(int(mode))})
    taken = _answered(told, step, answer, predicted, 303)
    _refused_changes_nothing(told, before, taken)
    model = told.model
    drifted = model.drifted(chosen)
    if predicted == REFUSED and chosen.waiting and model.counted(chosen) >= model.required:
        # Production changed since the plan: the refusal names each job and offers Plan again.
        said = refusal_text(answer.text)
        assert drifted, said
        assert all(f"'{n}'" in said for n in drifted), (drifted, said)
        assert "data-replan" in answer.text
    if taken:
        run_release(told.services)
        told.model.released(chosen, start)
    return chosen


def closing(told: Told, step: Step, index: int, who: str) -> Package | None:
    """Revoke, or Plan again."""
    chosen = _pick(told, index)
    if chosen is None:
        return None
    predicted = told.model.closing_refusal(who, chosen, step.act)
    before = told.whole()
    answer = _post_action(told, who, chosen, f"/{step.act}")
    taken = _answered(told, step, answer, predicted, 200)
    _refused_changes_nothing(told, before, taken)
    if taken and step.act == "revoke":
        told.model.revoked(chosen)
    elif taken:
        told.model.planned(chosen)
    return chosen


def _followed(told: Told, answer: Any) -> None:
    """The task a rollback or restore started ended well (its page follows it)."""
    location = answer.headers["location"]
    task_id = re.findall(r"(?:task=|/tasks/)([0-9a-f]+)", location)[0]
    task = wait_task(told.services, told.prod_scope(), task_id)
    assert task.status.value == "SUCCESSFUL", (task.status, task.message)


def _hand_scheduled_said(told: Told, answer: Any, predicted: int | None) -> None:
    """A rollback refused for jobs started or stopped by hand since the release names
    each."""
    moved = told.model.hand_scheduled() if told.model.ledger[-1].action == "deploy" else []
    if predicted == REFUSED and moved:
        said = refusal_text(answer.text)
        assert all(f"'{n}'" in said for n in moved), (moved, said)
        event("rollback refused: jobs scheduled by hand")


def rollback(told: Told, step: Step, index: int, who: str) -> Package | None:
    chosen = _pick(told, index)
    if chosen is None:
        return None
    predicted = told.model.rollback_refusal(who, chosen)
    before = told.whole()
    answer = _post_action(told, who, chosen, "/rollback")
    taken = _answered(told, step, answer, predicted, 303)
    _refused_changes_nothing(told, before, taken)
    if told.model.newest_release(chosen):
        _hand_scheduled_said(told, answer, predicted)
    if taken:
        _followed(told, answer)
        told.model.rolled_back(chosen)
    return chosen


def restore(told: Told, step: Step, index: int, who: str, applier: str) -> Package | None:
    chosen = _pick(told, index)
    if chosen is None:
        return None
    predicted = told.model.restore_refusal(who, chosen)
    before = told.whole()
    answer = _post_action(told, who, chosen, "/restore")
    taken = _answered(told, step, answer, predicted, 200)
    assert told.whole() == before, "a restore's dry run changed something"
    if not taken:
        return chosen
    entry = told.model.release_of(chosen)
    assert entry is not None
    if entry.after == told.model.prod:
        assert "Production already holds what it held right after this release" in answer.text
        return chosen
    apply = _package_url(told, chosen, "/restore/apply")
    form = hidden_fields(answer.text, apply)
    browser = told.browsers[applier]
    browser.get(_package_url(told, chosen))
    applied = browser.post(apply, form)
    if not _answered(told, step, applied, told.model.restore_refusal(applier, chosen), 303):
        assert told.whole() == before, "a refused restore changed something"
        return chosen
    _followed(told, applied)
    told.model.restored(chosen)
    return chosen


def last(told: Told, step: Step, who: str) -> Package | None:
    """The ledger page's *Roll back the last release*: whatever release is the ledger's
    newest entry (docs/api.md, ``last``)."""
    model = told.model
    newest = model.ledger[-1]
    allowed = PEOPLE[who] in UNDOERS
    predicted = None if newest.action == "deploy" and not model.hand_scheduled() else REFUSED
    browser = told.browsers[who]
    browser.get(told.url("/release-ledger"))
    before = told.whole()
    answer = browser.post(told.url("/release-ledger/rollback"), {})
    taken = _answered(told, step, answer, predicted if allowed else FORBIDDEN, 303)
    _refused_changes_nothing(told, before, taken)
    if allowed:
        _hand_scheduled_said(told, answer, predicted)
    if taken:
        _followed(told, answer)
        rolled = next(p for p in [*model.packages, told.base] if p.id == newest.package)
        model.rolled_back(rolled)
        return rolled if rolled is not told.base else None
    return None


def toggle(told: Told, step: Step, index: int) -> None:
    """A production job started or stopped by hand (by the operator)."""
    jobs = sorted(told.model.prod)
    if not jobs:
        return
    name = jobs[index % len(jobs)]
    actor = told.scopes["operator"].actor
    production = told.services.accounts.scope(actor, actor.project_id, told.production)
    running = name in told.model.running
    (told.services.jobs.stop if running else told.services.jobs.start)(production, name)
    told.model.toggled(name)


STEPS: dict[str, Callable[..., Package | None]] = {
    "toggle": toggle,
    "last": last,
    "package": package,
    "approve": approve,
    "deploy": deploy,
    "revoke": closing,
    "replan": closing,
    "rollback": rollback,
    "restore": restore,
}


def _check_package_pages(told: Told, chosen: Package) -> None:
    """The package's page says its state and offers each person the actions the model
    allows; its Approvals page says how many approvals count."""
    model = told.model
    for who in PEOPLE:
        page = told.browsers[who].get(_package_url(told, chosen))
        assert page.status_code == 200, (who, page.text[-2000:])
        assert f"data-package-state>{chosen.state}<" in page.text, (who, chosen.state)
        head = page.text[page.text.index("data-package-state") :]
        head = head[: head.index("</h1>")]
        assert ("rolled back" in head) == chosen.rolled_back, (who, chosen, head)
        if chosen.restored:
            assert "rolled back, then restored" in head, (who, chosen, head)
        offered = {
            act: f'action="{_package_url(told, chosen, end)}"' in page.text
            for act, end in ACTIONS.items()
        }
        assert offered == model.offered(who, chosen), (who, chosen)
        if offered["deploy"] and model.required:
            said = f"{model.counted(chosen)} of {model.required} count"
            assert said in page.text, (who, said)
    approvals = told.browsers["viewer"].get(_package_url(told, chosen, "/approvals"))
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
