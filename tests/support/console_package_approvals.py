"""Generated stories of a release package's Approvals page
(``tests/console/test_generated_approval_pages.py``): an enterprise workspace with a rule of 1
or 2 signed approvals, one package the developer made naming the deployer, or both deployers;
then drawn steps by drawn people — an approval posted from the page (with the signer's key, or
a revoked one), a key revoked or registered, an approver's role changed or taken away, *Deploy*
pressed on the package's page, the Approvals page read.

What the pages promise (docs/console.md *Release approvals*, docs/api.md *Approvals signed into
the plan*), as ``PackageModel`` says it: an approval counts while it is by an approver named on
the package (never its applicant) holding admin or deployer now, with a key not revoked, over
the plan as it is; the page offers *Approve with my key* to an approver named, not the applicant,
holding an active key; a refused approval keeps nothing; *Deploy* releases the package exactly
when enough approvals count and who presses it may deploy it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import event
from hypothesis import strategies as st

from jobferry.domain.enums import Role
from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import KeyPair
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import PASSWORD, Browser, admin_actor, main_text
from support.console_approval_steps import API_SPEAK
from support.release_stories import Step
from support.releases import (
    connected_team,
    make_package,
    person,
    register_key,
    run_release,
    submit_job,
)

_SERIAL = itertools.count()
FIRST = {
    "admin": Role.ADMIN,
    "developer": Role.DEVELOPER,
    "deployer": Role.DEPLOYER,
    "second": Role.DEPLOYER,
    "operator": Role.OPERATOR,
}
"""Who signs in, and their role in the workspace when the story starts (the admin is the
project's, holding admin in each workspace)."""
APPROVING = (Role.ADMIN, Role.DEPLOYER)
"""The roles an approver holds for their approval to count."""
DEPLOYING = (Role.ADMIN, Role.DEPLOYER, Role.OPERATOR)
"""The roles of an approver named who deploys (a workspace admin deploys any package)."""


@dataclass
class PackageModel:
    """The rule, the package's approvers, each person's role and keys, the approvals kept
    (signer → their key), and whether the package was released."""

    required: int
    named: tuple[str, ...]
    roles: dict[str, Role | None] = field(default_factory=lambda: dict(FIRST))
    keys: dict[str, list[bool]] = field(default_factory=lambda: {p: [False] for p in FIRST})
    kept: dict[str, int] = field(default_factory=dict)
    released: bool = False

    def active_key(self, who: str) -> int | None:
        live = [n for n, revoked in enumerate(self.keys[who]) if not revoked]
        return live[-1] if live else None

    def why_not(self, who: str) -> str:
        """Why ``who``'s approval counts no more ('' when it counts)."""
        role = self.roles[who]
        if who not in self.named:
            return "not one of its approvers"
        if role not in APPROVING:
            held = role.value if role is not None else "no role"
            return f"its signer holds admin or deployer no longer ({held} now)"
        if self.keys[who][self.kept[who]]:
            return "its key is revoked"
        return ""

    @property
    def counted(self) -> int:
        return sum(1 for who in self.kept if not self.why_not(who))

    @property
    def missing(self) -> int:
        return max(self.required - self.counted, 0)

    def offered(self, who: str) -> bool:
        """The page offers *Approve with my key*: to an approver named on the waiting package
        (not its applicant) holding admin or deployer, with an active key."""
        return (
            not self.released
            and who != "developer"
            and who in self.named
            and self.roles[who] in APPROVING
            and self.active_key(who) is not None
        )

    def approve(self, who: str, key: int) -> tuple[int, str] | None:
        """``who`` approves with their ``key``: the refusal (status, words), or ``None``."""
        role = self.roles[who]
        if role is None:
            return 403, ""
        if self.released:
            return 400, "has been released"
        if who == "developer":
            return 400, "nobody approves their own plan"
        if who not in self.named:
            return 400, "is not one of its approvers"
        if role not in APPROVING:
            return 400, f"holds role '{role.value}'"
        if self.keys[who][key]:
            return 400, "is revoked"
        self.kept[who] = key
        return None

    def may_deploy(self, who: str) -> bool:
        """A workspace admin, or an approver named holding deployer, operator or admin; never
        the applicant."""
        role = self.roles[who]
        named = who in self.named and role in DEPLOYING
        return who != "developer" and (role is Role.ADMIN or named)

    def deploy(self, who: str) -> tuple[int, str] | None:
        """``who`` presses *Deploy*: the refusal, or ``None`` once released."""
        if self.roles[who] is None or not self.may_deploy(who):
            return 403, ""
        if self.released:
            return 400, "has been released"
        if self.missing:
            return 400, f"{self.counted} count"
        self.released = True
        return None


class PackageTold:
    """A story's enterprise workspace, its people (scopes, key pairs, cookies), the package
    and the model."""

    def __init__(
        self, services: Services, client: TestClient, required: int, named: tuple[str, ...]
    ) -> None:
        n = next(_SERIAL)
        team = connected_team(services, f"pa{n}")
        ws = team.workspace_id
        self.services, self.workspace_id = services, ws
        self.scopes: dict[str, Scope] = {
            "admin": team.admin,
            "developer": team.developer,
            "deployer": team.deployer,
            "second": person(services, ws, f"pa{n}_second", Role.DEPLOYER),
            "operator": person(services, ws, f"pa{n}_operator", Role.OPERATOR),
        }
        for who, scope in self.scopes.items():
            if who != "admin":
                services.signin.set_password(admin_actor(services), scope.actor.name, PASSWORD)
        services.release_approvals.set_rule(team.admin, {"requireApprovals": required})
        self.pairs: dict[str, list[KeyPair]] = {
            who: [register_key(services, scope)] for who, scope in self.scopes.items()
        }
        submit_job(services, team.developer, "daily")
        approvers = [self.scopes[a] for a in named]
        self.package = make_package(services, team, "story", approvers=approvers)
        self.client, self.browser = client, Browser(client)
        self.jars: dict[str, dict[str, str]] = {}
        self.model = PackageModel(required, named)

    def url(self, end: str = "") -> str:
        return f"/console/w/{self.workspace_id}/releases/packages/{self.package}{end}"

    def as_(self, who: str) -> Browser:
        self.client.cookies.clear()
        if who not in self.jars:
            assert self.browser.sign_in(self.scopes[who].actor.name).status_code == 303
            self.jars[who] = dict(self.client.cookies)
        self.client.cookies.update(self.jars[who])
        return self.browser

    def kept(self) -> list[tuple[str, bool, str]]:
        document = self.services.release_approvals.approvals(self.scopes["admin"], self.package)
        return sorted(
            (a["user"], a["counts"], a["why"] or "") for a in document.document()["approvals"]
        )

    def expected(self) -> list[tuple[str, bool, str]]:
        model = self.model
        judged = [(who, model.why_not(who)) for who in model.kept]
        return sorted((self.scopes[w].actor.name, not why, why) for w, why in judged)


def _refused(told: PackageTold, answer: Any, expected: tuple[int, str], what: str) -> None:
    status, words = expected
    said = " ".join(main_text(answer.text).split())
    assert answer.status_code == status, (what, answer.status_code, said[-1500:])
    if status != 403:
        assert words in said, (what, words, said[:1500])
        assert not API_SPEAK.findall(said), API_SPEAK.findall(said)


def approve(told: PackageTold, step: Step) -> None:
    who, how = step.args
    model, browser = told.model, told.as_(who)
    page = browser.get(told.url("/approvals"))
    if model.roles[who] is not None:
        assert ("data-approve-form" in page.text) == model.offered(who), (who, step)
    browser.get("/console/account")
    key = model.active_key(who)
    revoked = [n for n, gone in enumerate(model.keys[who]) if gone]
    if (how == "revoked" and revoked) or key is None:
        key = revoked[-1]
    pair = told.pairs[who][key]
    document = told.services.release_approvals.approvals(told.scopes["admin"], told.package)
    statement = document.document()["statement"]
    form = {
        "plan_hash": statement.rsplit("plan ", 1)[1].strip(),
        "key_id": pair.key_id,
        "signature": sign_statement(pair.private_pem, statement),
    }
    before = told.kept()
    answer = browser.post(told.url("/approvals"), form)
    expected = model.approve(who, key)
    event(f"package approve: {expected[1] if expected else 'kept'}")
    if expected is None:
        assert answer.status_code == 303, main_text(answer.text)[-1500:]
        return
    _refused(told, answer, expected, f"{who} approving")
    assert told.kept() == before


def deploy(told: PackageTold, step: Step) -> None:
    (who,) = step.args
    browser = told.as_(who)
    browser.get(told.url())
    browser.get("/console/account")
    answer = browser.post(told.url("/deploy"), {"startup_mode": str(int(StartupMode.LEAVE))})
    expected = told.model.deploy(who)
    event(f"package deploy: {expected[0] if expected else 'released'}")
    if expected is None:
        assert answer.status_code == 303, main_text(answer.text)[-1500:]
        run_release(told.services)
    else:
        _refused(told, answer, expected, f"{who} deploying")
    shown = told.services.release_approvals.approvals(told.scopes["admin"], told.package)
    assert (shown.record.status == 2) == told.model.released, shown.record.status


def revoke(told: PackageTold, step: Step) -> None:
    (who,) = step.args
    key = told.model.active_key(who)
    if key is not None:
        told.services.approval_keys.revoke(told.scopes[who].actor, told.pairs[who][key].key_id)
        told.model.keys[who][key] = True


def new_key(told: PackageTold, step: Step) -> None:
    (who,) = step.args
    told.pairs[who].append(register_key(told.services, told.scopes[who]))
    told.model.keys[who].append(False)


def set_role(told: PackageTold, step: Step) -> None:
    who, role = step.args
    boss, accounts = admin_actor(told.services), told.services.accounts
    name = told.scopes[who].actor.name
    if role == "none":
        if told.model.roles[who] is not None:
            accounts.remove_role(boss, boss.project_id, name, told.workspace_id)
            told.model.roles[who] = None
        return
    accounts.set_role(boss, boss.project_id, name, told.workspace_id, role)
    told.model.roles[who] = Role(role)


def check_pages(told: PackageTold, who: str) -> None:
    """The Approvals page and the package's page as ``who`` reads them."""
    model, browser = told.model, told.as_(who)
    page = browser.get(told.url("/approvals"))
    if model.roles[who] is None:
        assert page.status_code == 403, page.status_code
        return
    said = " ".join(main_text(page.text).split())
    assert page.status_code == 200, said[-1500:]
    assert not API_SPEAK.findall(said), API_SPEAK.findall(said)
    assert f"data-approvals-counted>{model.counted}<" in page.text, said[:1500]
    assert ("data-approve-form" in page.text) == model.offered(who), (who, said[:1500])
    lost = model.roles[who] not in APPROVING and who in model.named and who != "developer"
    if lost and not model.released and model.active_key(who) is not None:
        assert "an approver holds admin or deployer" in said, said[:1500]
    listed = []
    if model.kept:
        table = page.text.split('aria-label="Approvals"', 1)[1].split("</table>", 1)[0]
        for row in re.findall(r"<tr>\s*<td>(.*?)</tr>", table, re.S):
            why = re.search(r'<span class="small muted">([^<]*)</span>', row)
            user = row.split("</td>", 1)[0].strip()
            listed.append((user, "status-successful" in row, why[1] if why else ""))
    assert sorted(listed) == told.expected(), (listed, said[:1500])
    if model.released:
        assert "This package is released: it takes no more approvals" in said
        return
    package = " ".join(main_text(browser.get(told.url()).text).split())
    more = f": {model.missing} more before a deploy" if model.missing else ""
    counts = f"{model.counted} of {model.required} count{more}" in package
    assert counts == model.may_deploy(who), (who, package[:2000])  # said beside Deploy


STEPS = {
    "approve": approve,
    "deploy": deploy,
    "revoke": revoke,
    "newkey": new_key,
    "role": set_role,
    "view": lambda told, step: check_pages(told, step.args[0]),
}
NAMED = (("deployer",), ("deployer", "second"), ("deployer", "second"))
"""Whom the package names: the deployer, or both deployers (weighing twice)."""
people = st.sampled_from(sorted(FIRST))
approvers = st.sampled_from(["deployer", "deployer", "second", "second", "developer", "operator"])


@st.composite
def package_steps(draw: st.DrawFn) -> Step:
    """One step of a package's story."""
    act = draw(
        st.sampled_from(
            ["approve"] * 5 + ["deploy"] * 2 + ["revoke", "newkey", "role", "role", "view"]
        )
    )
    if act == "approve":
        return Step(
            act,
            (draw(st.one_of(approvers, people)), draw(st.sampled_from(["page"] * 3 + ["revoked"]))),
        )
    if act in ("deploy", "view"):
        return Step(act, (draw(people),))
    if act == "role":
        role = draw(st.sampled_from(["developer", "operator", "deployer", "deployer", "none"]))
        return Step(act, (draw(st.sampled_from(["deployer", "second"])), role))
    return Step(act, (draw(st.sampled_from(["deployer", "second"])),))


@st.composite
def package_stories(draw: st.DrawFn) -> tuple[int, tuple[str, ...], tuple[Step, ...]]:
    """A rule (1 or 2), whom the package names (at least as many), and 4 to 12 steps."""
    named = draw(st.sampled_from(NAMED))
    required = draw(st.integers(1, len(named)))
    return required, named, tuple(draw(st.lists(package_steps(), min_size=4, max_size=12)))


def a_role_lost_and_given_back() -> tuple[int, tuple[str, ...], tuple[Step, ...]]:
    """Both deployers approve; the second made developer: their approval no longer counts
    ("holds admin or deployer no longer (developer now)"), a new one is refused naming their
    role, Deploy is refused; given deployer back it counts again; the deployer's key revoked,
    their approval counts no more until they approve with a new key; then the operator (not
    named) is refused Deploy and the second deploys; an approval after the release is refused."""
    return (
        2,
        ("deployer", "second"),
        (
            Step("approve", ("deployer", "page")),
            Step("approve", ("second", "page")),
            Step("role", ("second", "developer")),
            Step("view", ("second",)),
            Step("approve", ("second", "page")),
            Step("deploy", ("deployer",)),
            Step("role", ("second", "deployer")),
            Step("revoke", ("deployer",)),
            Step("deploy", ("admin",)),
            Step("newkey", ("deployer",)),
            Step("approve", ("deployer", "page")),
            Step("deploy", ("operator",)),
            Step("deploy", ("second",)),
            Step("approve", ("deployer", "page")),
            Step("view", ("deployer",)),
        ),
    )
