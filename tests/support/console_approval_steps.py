"""The steps of the generated stories of a route plan's Approvals page
(``tests/console/test_generated_approval_pages.py``), each posted through the console as a
browser does, its answer checked against ``support/console_approval_model.py``; and ``Told``,
a story's workspaces, people, keys, browsers and model."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event

from jobferry.domain.enums import Role
from jobferry.errors import JobferryError
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import KeyPair, generate_key_pair
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.releases.approval_keys import parse_key
from support.builders import make_script
from support.console import (
    PASSWORD,
    Browser,
    add_connections,
    admin_actor,
    finish_task,
    main_text,
    seed,
)
from support.console_approval_model import FIRST_ROLES, PEOPLE, RouteApprovalModel
from support.release_stories import Step

_SERIAL = itertools.count()
API_SPEAK = re.compile(
    r"\b(?:GET|POST|PUT|DELETE) (?:/|…|\{)|/v[12]/|\{project_id\}|\bapprovals: "
    r"|\b(?:keyId|planHash|publicKey|requireApprovals|approvers are named|DLF\.\d+)\b"
)
"""The API's words (calls, paths, the approval call's fields, error codes) no page may show."""


class Told:
    """A story's source (seeded) and target workspaces, its people (the project admin and the
    target's members, ``dev`` a developer of the source too), their key pairs, the route
    requiring approvals, each person's cookies, the waiting plan, the statements the pages
    showed of each plan generation, and the model."""

    def __init__(
        self, services: Services, client: TestClient, rule: tuple[int, tuple[str, ...]]
    ) -> None:
        self.services, n = services, next(_SERIAL)
        boss = admin_actor(services)
        pid, accounts = boss.project_id, services.accounts
        source_id = accounts.create_workspace(boss, pid, f"ap{n}s")
        target_id = accounts.create_workspace(boss, pid, f"ap{n}p")
        self.source = accounts.scope(boss, pid, source_id)
        self.target = accounts.scope(boss, pid, target_id)
        seed(services, self.source)
        add_connections(services, self.target, "dws_conn", "ssh_conn")
        self.users = {"admin": "admin", **{p: f"{p}{n}" for p in FIRST_ROLES}}
        self.actors = {"admin": boss}
        for who, role in FIRST_ROLES.items():
            user = accounts.create_user(boss, pid, self.users[who], False)
            self.actors[who] = Actor(user.id, user.name, pid, False)
            accounts.set_role(boss, pid, self.users[who], target_id, role.value)
            services.signin.set_password(boss, self.users[who], PASSWORD)
        accounts.set_role(boss, pid, self.users["dev"], source_id, Role.DEVELOPER.value)
        self.pairs: dict[str, list[KeyPair]] = {p: [] for p in PEOPLE}
        for who in PEOPLE:
            self.register(who)
        self.route = f"ap{n}"
        self.save_rule(*rule)
        self.client = client
        self.jars: dict[str, dict[str, str]] = {}
        self.browser = Browser(client)
        self.model = RouteApprovalModel(rule[0], rule[1], "")
        self.statements: dict[int, tuple[str, str]] = {}
        """A plan generation → the plan hash and statement its page showed."""
        self.plan_id = ""
        self.moved = False
        """Whether the target holds the package's script yet (written by a move)."""

    def register(self, who: str) -> None:
        """A new key pair of ``who``, its public half registered."""
        pair = generate_key_pair()
        key = parse_key({"publicKey": pair.public_key})
        self.services.approval_keys.register(self.actors[who], key)
        self.pairs[who].append(pair)

    def save_rule(self, required: int, approvers: tuple[str, ...]) -> None:
        """Save the route (source → target) requiring ``required`` approvals of ``approvers``."""
        document = {
            "source": {"workspace": self.source.workspace.name},
            "target": {"workspace": self.target.workspace.name},
            "approvals": {"required": required, "approvers": [self.users[a] for a in approvers]},
        }
        self.services.routes.put(self.source, self.route, document)

    def url(self, what: str = "approvals") -> str:
        """The waiting plan's Approvals page (or where its *Import* posts, ``what`` "import")."""
        ws = self.target.workspace.id
        return f"/console/w/{ws}/routes/{self.route}/plans/{self.plan_id}/{what}"

    def as_(self, who: str) -> Browser:
        """The browser, signed in as ``who`` (each person's cookies kept apart)."""
        self.client.cookies.clear()
        if who not in self.jars:
            assert self.browser.sign_in(self.users[who]).status_code == 303
            self.jars[who] = dict(self.client.cookies)
        self.client.cookies.update(self.jars[who])
        return self.browser


def promote(told: Told, planner: str) -> None:
    """``planner`` presses the route's *Promote now*; the plan it makes links its Approvals
    page, whose plan the story then follows."""
    browser = told.as_(planner)
    ws = told.source.workspace.id
    browser.get(f"/console/w/{ws}/routes/{told.route}")
    started = browser.post(f"/console/w/{ws}/routes/{told.route}/promote", [])
    assert started.status_code == 303, started.text[-2000:]
    plan = browser.get(started.headers["location"])
    found = re.search(r'href="([^"]+/approvals)" data-approvals-link', plan.text)
    assert found, ("the plan links no Approvals page", main_text(plan.text)[-2000:])
    told.plan_id = html.unescape(found[1]).split("/")[-2]
    told.model.maker = planner
    _read_statement(told)


def _read_statement(told: Told) -> None:
    """The statement of the plan as it is now, as an approver's page shows it."""
    found = told.services.route_approvals.approvals(told.target.actor, told.route, told.plan_id)
    document = found.document()
    told.statements[told.model.generation] = (document["planHash"], document["statement"])


def kept(told: Told) -> list[tuple[str, bool, str]]:
    """The approvals the services keep of the route's plans: who, whether it counts, why not."""
    found = told.services.route_approvals.approvals(told.target.actor, told.route, told.plan_id)
    return sorted((a["user"], a["counts"], a["why"] or "") for a in found.document()["approvals"])


def expected_kept(told: Told) -> list[tuple[str, bool, str]]:
    """The approvals the model keeps, judged as the page says."""
    model = told.model
    judged = [(who, model.why_not(who, a)) for (who, _), a in model.kept.items()]
    return sorted((told.users[who], not why, why) for who, why in judged)


def _refused(told: Told, answer: Any, expected: tuple[int, str], what: str) -> None:
    """A refused post: the status the model expects and, for a rule broken, the page saying
    it in the console's words (the people named as the model names them)."""
    status, words = expected
    assert answer.status_code == status, (what, answer.status_code, main_text(answer.text)[-1500:])
    if status == 403:
        return
    said = " ".join(main_text(answer.text).split())
    for who, name in told.users.items():
        said = re.sub(rf"\b{name}\b", who, said)
    assert words in said, (what, words, said[:1500])
    assert not API_SPEAK.findall(said), API_SPEAK.findall(said)


def _signing(told: Told, who: str, how: str) -> tuple[int, int]:
    """The key (``who``'s n-th) and the plan generation an approval is signed with."""
    keys, generation = told.model.keys[who], told.model.generation
    revoked = [n for n, gone in enumerate(keys) if gone]
    key = told.model.active_key(who)
    if (how == "revoked" and revoked) or key is None:
        key = revoked[-1]
    if how == "stale":
        generation = min(told.statements)
    return key, generation


def approve(told: Told, step: Step) -> None:
    """``who`` opens the Approvals page and posts an approval signed ``how``."""
    who, how = step.args
    browser, model = told.as_(who), told.model
    page = browser.get(told.url())
    assert page.status_code == (200 if model.sees(who) else 403), page.status_code
    if model.sees(who):
        assert ("data-approve-form" in page.text) == model.offered(who), (
            who,
            main_text(page.text)[:800],
        )
        browser.get("/console/account")  # the session's CSRF token, as the page carries it
    key, generation = _signing(told, who, how)
    pair = told.pairs[who][key]
    if how == "foreign":  # another person's key (its id and its signature)
        key, pair = -1, told.pairs["ada" if who == "admin" else "admin"][0]
    plan_hash, statement = told.statements[generation]
    form = {
        "plan_hash": plan_hash,
        "key_id": pair.key_id,
        "signature": sign_statement(pair.private_pem, statement),
    }
    before = kept(told)
    if how == "forged":  # posted without the session's security token
        assert browser.post(told.url(), form, csrf=False).status_code == 403
        assert kept(told) == before
        return
    answer = browser.post(told.url(), form)
    expected = model.approve(who, key, generation)
    event(f"approve: {expected[1] if expected else 'kept'}")
    if expected is None:
        assert answer.status_code == 303, (answer.status_code, main_text(answer.text)[-1500:])
        shown = browser.get(answer.headers["location"])
        assert "Approved: your signature of the route" in shown.text
        return
    _refused(told, answer, expected, f"{who} approving")
    assert kept(told) == before  # a refused approval keeps nothing


def press_import(told: Told, step: Step) -> None:
    """``who`` presses *Import* on the Approvals page (posted from it, offered or not)."""
    (who,) = step.args
    browser, model = told.as_(who), told.model
    page = browser.get(told.url())
    if model.sees(who):
        offered = not model.imported and not model.missing and model.imports_here(who)
        assert ("data-route-import-button" in page.text) == offered, main_text(page.text)[:1500]
    browser.get("/console/account")
    answer = browser.post(told.url("import"), [])
    expected = model.import_refusal(who)
    event(f"import: {expected[0] if expected else 'imported'}")
    if expected is None:
        finish_task(told.services, told.target, answer)
        model.imported = True
    else:
        _refused(told, answer, expected, f"{who} importing")
    imported = told.services.promotions.history(told.source, told.route)
    assert len(imported) == int(model.imported), imported  # exactly when the rule is met


def revoke(told: Told, step: Step) -> None:
    """``who`` revokes their newest key not revoked (nothing when none is)."""
    (who,) = step.args
    key = told.model.active_key(who)
    if key is None:
        return
    told.services.approval_keys.revoke(told.actors[who], told.pairs[who][key].key_id)
    told.model.keys[who][key] = True


def new_key(told: Told, step: Step) -> None:
    """``who`` registers a new key."""
    (who,) = step.args
    told.register(who)
    told.model.keys[who].append(False)


def set_role(told: Told, step: Step) -> None:
    """A workspace admin sets ``who``'s role in the target, or takes it away."""
    who, role = step.args
    boss = told.actors["admin"]
    accounts, ws = told.services.accounts, told.target.workspace.id
    if role == "none":
        if told.model.roles[who] is None:
            return
        accounts.remove_role(boss, boss.project_id, told.users[who], ws)
        told.model.roles[who] = None
        return
    accounts.set_role(boss, boss.project_id, told.users[who], ws, role)
    told.model.roles[who] = Role(role)


def _move_target(told: Told) -> None:
    """A change in the target the plan reads: the package's script there, written anew."""
    script = make_script("daily_sales_sql", content=f"select {told.model.generation + 100};")
    if not told.moved:
        told.services.scripts.create(told.target, script)
        told.moved = True
    else:
        told.services.scripts.update(told.target, "daily_sales_sql", script)


def replan(told: Told, step: Step) -> None:
    """``who`` follows *Plan it again* (the target changed first, when ``move``)."""
    who, move = step.args
    model = told.model
    if model.imported:
        event("replan: imported")
        return
    event(f"replan: {'moved' if move else 'same'} {model.imports_here(who)}")
    browser = told.as_(who)
    promotion = told.services.promotions.waiting(told.source, told.route)
    assert promotion is not None
    ws = told.target.workspace.id
    again = f"/console/w/{ws}/routes/{told.route}/promotions/{promotion.id}?again=1"
    if not model.imports_here(who):
        assert browser.get(again).status_code == 403
        return
    if move:
        _move_target(told)
        model.generation += 1
    page = browser.get(again)
    assert page.status_code == 200, main_text(page.text)[-1500:]
    newer = told.services.route_plans.waiting_plan(told.source, told.route)
    assert newer is not None
    told.plan_id, model.maker = newer, who
    before = told.statements.get(model.generation)
    _read_statement(told)
    if model.required:  # the plan step says how the new plan stands, and links its page
        said = " ".join(main_text(page.text).split())
        s, missing = "s" if model.required != 1 else "", model.missing
        stands = f"requires {model.required} signed approval{s} of this plan before its import"
        stands += f": {model.counted} count" + (f", {missing} missing" if missing else ".")
        assert stands in said, (stands, said[:2000])
        assert f'href="{told.url()}" data-approvals-link' in page.text
    if before is not None:  # the same target: the same plan hash
        assert told.statements[model.generation] == before
    hashes = [h for g, (h, _) in told.statements.items() if g != model.generation]
    assert told.statements[model.generation][0] not in hashes


def save_rule(told: Told, step: Step) -> None:
    """The route saved again with another rule while its plan waits (refused, keeping the
    rule, when it names an approver with no role in the target)."""
    required, approvers = step.args
    if told.model.rule_refused(approvers):
        with pytest.raises(JobferryError, match="no role in workspace"):
            told.save_rule(required, approvers)
        return
    told.save_rule(required, approvers)
    told.model.required, told.model.approvers = required, approvers


def _rows(page: str) -> list[tuple[str, bool, str]]:
    """The approvals the page lists: who, whether it counts, why not."""
    table = page.split('aria-label="Approvals"', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r"<tr>\s*<td>(.*?)</tr>", table, re.S):
        user = html.unescape(row.split("</td>", 1)[0].strip())
        why = re.search(r'<span class="small muted">([^<]*)</span>', row)
        found.append((user, "status-successful" in row, html.unescape(why[1]) if why else ""))
    return sorted(found)


def check_page(told: Told, who: str) -> None:
    """``who``'s Approvals page says what the model holds: how many count, each approval and
    whether it counts (and why not), who planned it and the approvers, how many are missing
    or the *Import* (only to who imports there), *Approve with my key* (only to who may), and
    once imported that it was, offering no way to approve; in the console's words."""
    model, page = told.model, told.as_(who).get(told.url())
    if not model.sees(who):
        assert page.status_code == 403, page.status_code
        return
    assert page.status_code == 200, main_text(page.text)[-1500:]
    text = page.text
    said = " ".join(main_text(text).split())
    assert not API_SPEAK.findall(said), API_SPEAK.findall(said)
    assert f"data-approvals-counted>{model.counted}<" in text, said[:1500]
    listed = _rows(text) if model.kept else []
    assert listed == expected_kept(told), (listed, said[:2000])
    if not model.kept:
        assert "Nobody has approved this plan yet" in said
    assert f"Planned by {told.users[model.maker]}" in said
    named = ", ".join(told.users[a] for a in model.approvers) or "anyone with a role here"
    assert f"Approvers {named}" in said
    required = f"{model.required} before its import" if model.required else "none"
    assert f"Required {required}" in said
    assert ("data-approve-form" in text) == model.offered(who), said[:1500]
    importable = not model.imported and not model.missing and model.imports_here(who)
    assert ("data-route-import-button" in text) == importable, said[:1500]
    if model.imported:
        assert "This plan's promotion was imported" in said
        assert "data-approvals-closed" in text
    elif model.missing:
        s = "s" if model.missing != 1 else ""
        assert f"{model.missing} more approval{s} must count before its import" in said
    elif not importable:
        assert "a developer or admin of this workspace imports it" in said


def check_links(told: Told, who: str) -> None:
    """While the plan waits and the route requires approvals, the route's page links its
    Approvals page (*Approvals of its plan*) and, to an admin or a developer of the target
    alone, the promotion's *Plan and import*, which opens it: the newest plan made, not a
    plan of their own."""
    model, browser = told.model, told.as_(who)
    if not model.sees(who):
        return
    ws = told.target.workspace.id
    route = browser.get(f"/console/w/{ws}/routes/{told.route}")
    if model.imported or not model.required:  # no plan waits for approvals
        assert "Approvals of its plan" not in route.text, main_text(route.text)[:2000]
        return
    assert f'href="{told.url()}">Approvals of its plan' in route.text, main_text(route.text)
    offered = ">Plan and import</a>" in route.text  # only to whom it is (a viewer got a 403)
    assert offered == model.imports_here(who), (who, main_text(route.text))
    promotion = told.services.promotions.waiting(told.source, told.route)
    assert promotion is not None
    opened = browser.get(f"/console/w/{ws}/routes/{told.route}/promotions/{promotion.id}")
    if not model.imports_here(who):  # Plan and import is theirs (docs/console.md's table)
        assert opened.status_code == 403, opened.status_code
        return
    assert opened.status_code == 303, main_text(opened.text)[-1500:]
    assert opened.headers["location"] == told.url()


def view(told: Told, step: Step) -> None:
    """``who`` reads the Approvals page, and follows the links that lead to it (checked)."""
    check_page(told, step.args[0])
    check_links(told, step.args[0])


STEPS = {
    "approve": approve,
    "import": press_import,
    "revoke": revoke,
    "newkey": new_key,
    "role": set_role,
    "replan": replan,
    "rule": save_rule,
    "view": view,
}
