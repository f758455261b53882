"""The steps of the generated stories of the console's release pages
(``tests/console/test_generated_release_pages.py``): each posts a page's form as a drawn
person, checks the answer against the model's prediction (``support/console_release_model.py``:
taken, or refused with the status predicted, saying why in the console's words, nothing
changed) and tells the model what was taken."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypothesis import event, note

from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from support.builders import make_job
from support.console import hidden_fields, wait_task
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
from support.console_release_stories import APPROVERS
from support.console_release_told import Told
from support.release_stories import Step
from support.releases import run_release
from test_wording import api_terms


def package_url(told: Told, package: Package, end: str = "") -> str:
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
    browser, url = told.browsers[who], package_url(told, chosen, "/approvals")
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
    browser.get(package_url(told, chosen))
    return browser.post(package_url(told, chosen, end), form or {})


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
    apply = package_url(told, chosen, "/restore/apply")
    form = hidden_fields(answer.text, apply)
    browser = told.browsers[applier]
    browser.get(package_url(told, chosen))
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


def forged(told: Told, step: Step, index: int, act: str) -> Package | None:
    """A package's form posted by the admin without the session's security token (another
    site's page posting it): refused (403), nothing changed."""
    chosen = _pick(told, index)
    if chosen is None:
        return None
    before = told.whole()
    browser = told.browsers["admin"]
    answer = browser.post(package_url(told, chosen, f"/{act}"), {}, csrf=False)
    _answered(told, step, answer, FORBIDDEN, 303)
    assert told.whole() == before, "a post without the security token changed something"
    return chosen


STEPS: dict[str, Callable[..., Package | None]] = {
    "forged": forged,
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
