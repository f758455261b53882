"""Generated stories of routes as objects and of the approvals of a route's plan for
``tests/unit/services/routes/test_generated_routes.py``: project admins and users of each role
save routes (valid documents, and ones with an unknown key, a bad value, a bad end, a source
equal to the target spelled by name or by id, an end or a profile the project does not have,
an approval rule asking more than it names or naming strangers; on no condition, the version
read, a stale one, a create or a change), show them (the newest, a version, one past the
last), list them and their versions, and remove them (on no condition, the version read or a
stale one) and add mappings to their inline profiles, from any of three workspaces; and on
route ``ap`` (from the first workspace into the second, requiring approvals) they plan (with
overrides now and then), sign the newest plan or the first, take a signer's role in the target
away and give it back, move the target, change the rule and apply.

Documents hold placeholders the test fills in: ``{w0}`` a workspace's name, ``{w0#}`` its
id, ``{developer}`` a user's name. The model is ``support/route_model.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.route_model import (
    ADMIN,
    BOSS,
    CHOICES,
    DEVELOPER,
    FAR,
    GHOST,
    OPERATOR,
    PADMIN,
    VIEWER,
)

PLACES = ("w0", "w1", "w2")
"""Three workspaces: the role users hold roles in the first two, ``far`` in the third."""
NAMES = ("r1", "r1", "r2", "路线-1", "r" * 128)
BAD_NAMES = ("..", "r" * 129, " r1")
CONDITIONS = (None, None, None, "read", "stale", "create", "change")
CALLERS = (BOSS, BOSS, BOSS, PADMIN, ADMIN, DEVELOPER, OPERATOR, VIEWER, FAR)
APPROVAL_ROUTE = "ap"
PEOPLE = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
"""Who may approve the approvals route's plans (members of its target)."""


@dataclass(frozen=True)
class Step:
    """One step: what it does and its arguments (the caller and the place first, where
    there are)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


def fill(value: Any, words: Mapping[str, str]) -> Any:
    """``value`` with every placeholder string replaced by what ``words`` says."""
    if isinstance(value, str):
        return words.get(value, value)
    if isinstance(value, Mapping):
        return {k: fill(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, words) for v in value]
    return value


@st.composite
def ends(draw: st.DrawFn) -> dict[str, Any]:
    """A route's end: a workspace by name or id, a carried one, or a faulty one."""
    which = draw(st.integers(0, 9))
    if which <= 6:
        place = draw(st.sampled_from(PLACES))
        return {"workspace": draw(st.sampled_from((f"{{{place}}}", f"{{{place}#}}")))}
    if which == 7:
        return draw(st.sampled_from(({"carried": True}, {"carried": True, "workspaceId": "ws-x"})))
    return draw(
        st.sampled_from(
            (
                {"workspace": "nowhere"},
                {},
                {"workspace": ""},
                {"carried": True, "workspace": "{w0}"},
                {"workspace": "{w0}", "workspaceId": "ws-x"},
                {"workspace": "{w0}", "carried": "yes"},
            )
        )
    )


SELECTIONS: tuple[Any, ...] = (
    None,
    {"kind": "ALL"},
    {"kind": "FOLDERS", "values": ["/sales", "/sales"]},
    {"kind": "NAMES", "values": ["daily"], "withUpstream": False},
    {"kind": "TAGS", "values": []},
    {"kind": "ALL", "values": ["x"]},
    {"kind": "all"},
    {"kind": "TAGS", "values": ["t"], "upstream": True},
)
PROFILES: tuple[Any, ...] = (
    None,
    None,
    "prod",
    "staging",
    "eu",
    "",
    {"renames": {"connection": {"dws_test": "dws_prod"}}},
    {"renmaes": {"connection": {"a": "b"}}},
)
"""``prod`` is held by the second workspace, ``staging`` by the first, ``eu`` by none."""


@st.composite
def approval_rules(draw: st.DrawFn, people: tuple[str, ...] = (*PEOPLE, FAR, GHOST)) -> Any:
    """An approval rule: how many, and whose (now and then a faulty one)."""
    which = draw(st.integers(0, 9))
    if which == 0:
        return draw(st.sampled_from(({"required": -1}, {"required": 21, "approvers": []})))
    if which == 1:
        return draw(st.sampled_from(({"required": 1}, {"required": "1", "approvers": []})))
    named = draw(st.lists(st.sampled_from(people), max_size=3))
    required = draw(st.integers(0, max(len(set(named)), 1)))
    return {"required": required, "approvers": [f"{{{n}}}" for n in named]}


@st.composite
def clean_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A route document the project takes: two workspaces of it (now and then one end
    carried), valid settings, a profile its target holds or one inline, and approvers
    holding a role in its target."""
    source, target = draw(st.permutations(PLACES))[:2]
    spelled = [draw(st.sampled_from((f"{{{p}}}", f"{{{p}#}}"))) for p in (source, target)]
    doc: dict[str, Any] = {"source": {"workspace": spelled[0]}, "target": {"workspace": spelled[1]}}
    if draw(st.integers(0, 7)) == 0:
        doc[draw(st.sampled_from(("source", "target")))] = {"carried": True}
    for key, (_, values) in CHOICES.items():
        if draw(st.booleans()):
            doc[key] = draw(st.sampled_from(values))
    if draw(st.booleans()):
        doc["selection"] = draw(st.sampled_from(SELECTIONS[:4]))
    held = {"w0": "staging", "w1": "prod"}.get(target)
    doc["profile"] = draw(st.sampled_from((None, held, PROFILES[6])))
    if draw(st.integers(0, 2)) == 0 and "workspace" in doc["target"]:
        people = (FAR, PADMIN) if target == "w2" else (*PEOPLE, PADMIN)
        named = draw(st.lists(st.sampled_from(people), min_size=1, max_size=3, unique=True))
        required = draw(st.integers(0, len(named)))
        doc["approvals"] = {"required": required, "approvers": [f"{{{n}}}" for n in named]}
    return doc


@st.composite
def route_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A route document: mostly one the project takes, else each part there or not, now and
    then with a fault."""
    if draw(st.integers(0, 2)):
        return draw(clean_documents())
    doc: dict[str, Any] = {"source": draw(ends()), "target": draw(ends())}
    if draw(st.integers(0, 5)) == 0:
        doc["description"] = draw(st.sampled_from(("test to prod", 7)))
    for key, (_, values) in CHOICES.items():
        if draw(st.integers(0, 2)) == 0:
            doc[key] = draw(st.sampled_from((*values, values[-1].lower())))
    for key in ("propagateDeletes", "requireSignature"):
        if draw(st.integers(0, 3)) == 0:
            doc[key] = draw(st.sampled_from((True, False, "yes")))
    if draw(st.booleans()):
        doc["selection"] = draw(st.sampled_from(SELECTIONS))
    if draw(st.booleans()):
        doc["profile"] = draw(st.sampled_from(PROFILES))
    if draw(st.integers(0, 2)) == 0:
        doc["approvals"] = draw(approval_rules())
    if draw(st.integers(0, 7)) == 0:
        doc[draw(st.sampled_from(("onDrfit", "name")))] = "other"
    return doc


def _ap(rule: Any) -> dict[str, Any]:
    """The approvals route's document with ``rule``."""
    return {
        "source": {"workspace": "{w0}"},
        "target": {"workspace": "{w1#}"},
        "scheduling": "PAUSE_AND_RESTORE",
        "approvals": rule,
    }


RENAMES: tuple[dict[str, dict[str, str]], ...] = (
    {"connection": {"dws_test": "dws_prod"}},
    {"connection": {"dws_test": "dws_other"}},
    {"dli_queue": {"q_test": "q_prod"}, "connection": {"dws_test": "dws_prod"}},
)
"""Mappings added to a route's inline profile (the console's fix of a missing object)."""
OVERRIDES: tuple[dict[str, Any], ...] = (
    {"onDrift": "KEEP_TARGET"},
    {"onDrift": "FAIL"},
    {"mode": "PER_OBJECT", "onDrift": "TAKE_PACKAGE"},
    {"onDrift": "keep"},
    {"mode": 1},
    {"ondrift": "FAIL"},
)
"""This run's settings over the approvals route's: some change it, one says what it holds
(the same plan as none), three are refused (a bad value, a value of no type, no setting)."""


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    """A plan's overrides: mostly none."""
    return draw(st.sampled_from(({}, {}, {}, *OVERRIDES)))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    caller, place = draw(st.sampled_from(CALLERS)), draw(st.sampled_from(PLACES))
    act = draw(
        st.sampled_from(
            (
                *("put", "put", "put", "show", "list", "versions", "remove", "renames"),
                *("plan", "plan", "approve", "approve", "approve", "apply", "apply"),
                *("revoke", "restore", "move", "rule"),
            )
        )
    )
    name = draw(st.sampled_from(NAMES) if draw(st.integers(0, 9)) else st.sampled_from(BAD_NAMES))
    if act == "put":
        doc, condition = draw(route_documents()), draw(st.sampled_from(CONDITIONS))
        return Step(act, (caller, place, name, doc, condition))
    if act == "renames":
        renames = draw(st.sampled_from(RENAMES))
        return Step(act, (caller, place, name, renames))
    if act == "show":
        return Step(act, (caller, place, name, draw(st.none() | st.integers(0, 3))))
    if act == "versions":
        return Step(act, (caller, place, name))
    if act == "remove":
        condition = draw(st.sampled_from((None, "read", "stale")))
        return Step(act, (caller, place, name, condition))
    if act == "list":
        return Step(act, (caller, place))
    if act == "plan":
        planner = draw(st.sampled_from((BOSS, PADMIN, BOSS, ADMIN, DEVELOPER)))
        return Step(act, (planner, draw(overrides())))
    if act == "approve":
        signer = draw(st.sampled_from((*PEOPLE, *PEOPLE, FAR, BOSS, PADMIN)))
        return Step(act, (signer, draw(st.sampled_from(("newest", "newest", "first")))))
    if act == "apply":
        return Step(act, (draw(st.sampled_from((BOSS, PADMIN, DEVELOPER))),))
    if act in ("revoke", "restore"):
        return Step(act, (draw(st.sampled_from(PEOPLE)),))
    if act == "rule":
        people = (*PEOPLE, BOSS, PADMIN)
        return Step(act, (draw(approval_rules(people)), draw(st.sampled_from(PLACES))))
    return Step(act, ())


@st.composite
def route_stories(draw: st.DrawFn, max_steps: int = 16) -> tuple[Step, ...]:
    """A whole story: route ``ap`` saved requiring approvals of the target's people, then
    its steps."""
    named = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True))
    rule = {"required": draw(st.integers(1, len(named))), "approvers": [f"{{{n}}}" for n in named]}
    opening = Step("rule", (rule, "w1"))
    return (opening, *draw(st.lists(steps(), min_size=6, max_size=max_steps)))


def ap_document(rule: Any) -> dict[str, Any]:
    """The approvals route's document with ``rule`` (placeholders unfilled)."""
    return _ap(rule)


def admins_approve() -> tuple[Step, ...]:
    """A route naming a project admin among its approvers: they sign its plan (a project
    admin is an admin of every workspace), and their approval counts."""
    rule = {"required": 1, "approvers": ["{padmin}"]}
    return (
        Step("rule", (rule, "w1")),
        Step("plan", (BOSS, {})),
        Step("approve", (PADMIN, "newest")),
        Step("apply", (BOSS,)),
    )


def same_workspace_by_id() -> tuple[Step, ...]:
    """A route whose source is its target, once by name and once by id: refused."""
    doc = {"source": {"workspace": "{w0}"}, "target": {"workspace": "{w0#}"}}
    return (Step("rule", ({"required": 0}, "w1")), Step("put", (BOSS, "w0", "r1", doc, None)))


def approver_struck_off() -> tuple[Step, ...]:
    """The developer signs the waiting plan; the route is saved again naming the operator
    alone and requiring two approvals: the developer's approval counts no more, and the
    plan is not imported on it."""
    first = {"required": 1, "approvers": ["{developer}", "{operator}"]}
    then = {"required": 1, "approvers": ["{operator}"]}
    return (
        Step("rule", (first, "w1")),
        Step("plan", (BOSS, {})),
        Step("approve", (DEVELOPER, "newest")),
        Step("rule", (then, "w0")),
        Step("apply", (BOSS,)),
        Step("rule", ({"required": 2, "approvers": ["{developer}", "{operator}"]}, "w1")),
        Step("apply", (PADMIN,)),
    )


def no_approvals_from_strangers() -> tuple[Step, ...]:
    """Routes requiring no approvals (``required`` 0) that still list people with no role in
    the target, or no user at all: no rule, so no approver is checked, and none is kept."""
    rule = {"required": 0, "approvers": ["{far}", "{ghost}"]}
    doc = {"source": {"workspace": "{w0}"}, "target": {"workspace": "{w1}"}, "approvals": rule}
    return (
        Step("rule", ({"required": 0, "approvers": ["{far}"]}, "w1")),
        Step("put", (BOSS, "w2", "r1", doc, "create")),
    )


def approvals_of_two_plans() -> tuple[Step, ...]:
    """The viewer signs the newest plan, then an earlier plan of the same promotion (another
    hash); the route planned again as the newest was: the viewer's approval of that hash still
    counts, as an approval replaces only the signer's approval of the same plan (found by a
    30-example run on PostgreSQL, seed 7102)."""
    return (
        Step("rule", ({"required": 0, "approvers": []}, "w1")),
        Step("plan", (ADMIN, {"onDrift": "KEEP_TARGET"})),
        Step("plan", (PADMIN, {})),
        Step("approve", (VIEWER, "newest")),
        Step("approve", (VIEWER, "first")),
        Step("plan", (PADMIN, {})),
    )
