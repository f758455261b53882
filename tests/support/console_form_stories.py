"""Generated stories of the console's forms for ``tests/console/test_generated_forms.py``: a
workspace admin, signed in, posts the workspace settings (a lock policy offered or not, the
approval and signed-packages boxes), the switch to enterprise mode (ticked or not), the
workspace's policy (valid ones, ones the rules refuse, broken text, a number past 64 bits; over
the version read, a stale one, or as a new one), environment objects (a bad kind, a blank or
overlong name, a blank type, config that is no JSON object), the Delete of a job or a script
(one in use, one that is not there), new scripts in the editor (reviewed, then confirmed; good
ones, a name taken, one the rules refuse, texts that are no definition; saved, submitted or
with a status the editor does not offer), users (created, given a role here or none; a blank,
spaced or overlong name, a role there is not, an action the page has not), and routes (to
another workspace, to itself, to none; a selection with or without its names; a count of
approvals the rule refuses; the import settings blank, as a form from before they were offered
posts them; new, over the version read, or stale) — each now and then with a wrong or missing
security token.

What the forms promise is ``support/console_form_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

CSRF = ("ok", "ok", "ok", "ok", "ok", "ok", "bad", "none")
"""The security token a post carries: the page's, a wrong one, none."""
LOCKS = ("soft", "hard", "soft", "hard", "", "bogus")
POLICIES: dict[str, str] = {
    "yaml": "description: careful\nmaxDeletions: 2\n",
    "json": '{"owners": ["ops"], "naming": {"jobs": "[a-z_]+"}}',
    "freeze": "freeze:\n  - {days: [SAT, SUN], zone: Europe/Berlin}\n",
    "empty": "",
    "negative": "maxDeletions: -3\n",
    "unknown": "freez: []\n",
    "list": "- maxDeletions\n",
    "broken": '{"maxDeletions": 1',
    "huge": "maxDeletions: 99999999999999999999999\n",
    "zone": "freeze:\n  - {days: [MON], zone: Mars/Olympus}\n",
}
"""Policy texts a person types: valid ones and ones the rules refuse."""
READS = ("newest", "newest", "stale", "none")
"""What a policy or route form was read at: the newest version, an older one, no version
(a form rendered before saves were conditional)."""
KINDS = ("connection", "connection", "dli_queue", "", "bogus")
ENV_NAMES = ("dws_conn", "ods_conn", "q1", "", "n" * 129, "a b")
TYPES = ("DWS", "DLI", "", "T" * 40)
CONFIGS = ("", '{"host": "10.0.0.2"}', '{"host": "中文"}', "[1]", "{", '{"a": 1e999}')
DELETABLE = ("daily_sales", "daily_sales_sql", "daily_sales_sh", "gone")
"""What a Delete names: the job, the scripts it uses, one not there."""
SCRIPTS: dict[str, str] = {
    "new": '{"name": "s_new", "type": "Shell", "directory": "/ops", "content": "echo hi"}',
    "again": '{"name": "s_new", "type": "Shell", "directory": "/ops", "content": "echo again"}',
    "taken": '{"name": "daily_sales_sh", "type": "Shell", "directory": "/", "content": "ls"}',
    "untyped": '{"name": "s_untyped", "directory": "/", "content": "echo"}',
    "chinese": '{"name": "s_中文", "type": "Shell", "directory": "/", "content": "echo 中文"}',
    "broken": '{"name": "s_broken", ',
    "list": '["s_list"]',
    "huge": '{"name": "s_huge", "type": "Shell", "content": "x", "n": 99999999999999999999999}',
    "nul": '{"name": "s_nul", "type": "Shell", "content": "x\\u0000"}',
}
"""Script definitions typed in the editor: good ones, one of a name taken, one the rules
refuse, and texts that are no definition (broken, a list, a number or a character no body
holds)."""
UNREADABLE = frozenset({"broken", "list", "huge", "nul"})
"""The texts the editor itself refuses to read as a definition."""
ACTIONS = (
    "create",
    "create",
    "grant",
    "grant",
    "revoke",
    "project_admin",
    "not_project_admin",
    "remove",
    "bogus",
)
"""What the users form asks: its buttons' actions, and one it has not."""
USERS = ("ana", "bo", "ana", "", "a b", "u" * 130)
ROLES = ("developer", "viewer", "operator", "admin", "", "Developer")
ROUTE_NAMES = ("nightly", "weekly", "nightly", "weekly", "", "r" * 130)
TARGETS = ("prod", "prod", "prod", "self", "")
APPROVALS = ("0", "0", "0", "0", "0", "1", "x", "99999999999999999999999")


@dataclass(frozen=True)
class Step:
    """One form post: which form and what it carries (its security token last)."""

    act: str
    args: tuple[Any, ...]
    csrf: str = "ok"

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}/{self.csrf}"


def _csrf() -> st.SearchStrategy[str]:
    return st.sampled_from(CSRF)


def _settings() -> st.SearchStrategy[Step]:
    args = st.tuples(st.sampled_from(LOCKS), st.booleans(), st.booleans())
    return st.builds(Step, st.just("settings"), args, _csrf())


def _enterprise() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("enterprise"), st.tuples(st.booleans()), _csrf())


def _policy() -> st.SearchStrategy[Step]:
    args = st.tuples(st.sampled_from(sorted(POLICIES)), st.sampled_from(READS))
    return st.builds(Step, st.just("policy"), args, _csrf())


def _environment() -> st.SearchStrategy[Step]:
    args = st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(ENV_NAMES),
        st.sampled_from(TYPES),
        st.sampled_from(CONFIGS),
    )
    return st.builds(Step, st.just("environment"), args, _csrf())


def _delete() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("delete"), st.tuples(st.sampled_from(DELETABLE)), _csrf())


def _editor() -> st.SearchStrategy[Step]:
    args = st.tuples(
        st.sampled_from(("new", "again", "chinese", *sorted(SCRIPTS))),
        st.sampled_from(("SAVED", "SUBMITTED", "SAVED", "SUBMITTED", "bogus")),
    )
    return st.builds(Step, st.just("editor"), args, _csrf())


def _users() -> st.SearchStrategy[Step]:
    args = st.tuples(st.sampled_from(ACTIONS), st.sampled_from(USERS), st.sampled_from(ROLES))
    return st.builds(Step, st.just("users"), args, _csrf())


def _route() -> st.SearchStrategy[Step]:
    args = st.tuples(
        st.sampled_from(ROUTE_NAMES),
        st.sampled_from(TARGETS),
        st.sampled_from(("ALL", "ALL", "FOLDERS", "FOLDERS", "TAGS")),
        st.sampled_from(("/sales", "/sales\n/reports", "")),
        st.sampled_from(APPROVALS),
        st.sampled_from((False, False, False, True)),  # the import settings blank
        st.sampled_from(("new", *READS)),
    )
    return st.builds(Step, st.just("route"), args, _csrf())


def form_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–8 form posts."""
    step = st.one_of(
        _settings(),
        _enterprise(),
        _policy(),
        _policy(),
        _environment(),
        _delete(),
        _editor(),
        _users(),
        _route(),
    )
    return st.lists(step, min_size=1, max_size=8).map(tuple)


def a_story_of_every_form() -> tuple[Step, ...]:
    """Every form once with what it takes, then once refused (a hand-written example)."""
    return (
        Step("settings", ("hard", True, False)),
        Step("settings", ("", False, True)),
        Step("policy", ("yaml", "none")),
        Step("policy", ("huge", "newest")),
        Step("policy", ("json", "stale")),
        Step("environment", ("connection", "ods_conn", "DWS", '{"host": "10.0.0.2"}')),
        Step("environment", ("bogus", "q1", "DLI", "")),
        Step("delete", ("daily_sales_sql",)),
        Step("editor", ("new", "SUBMITTED")),
        Step("editor", ("huge", "SAVED")),
        Step("editor", ("taken", "SAVED")),
        Step("route", ("nightly", "prod", "FOLDERS", "/sales", "0", False, "new")),
        Step("route", ("nightly", "prod", "TAGS", "", "0", True, "newest")),
        Step("delete", ("daily_sales",), "bad"),
        Step("users", ("create", "ana", "")),
        Step("users", ("grant", "ana", "developer")),
        Step("users", ("grant", "ana", "Developer")),
        Step("users", ("bogus", "ana", "")),
        Step("enterprise", (False,)),
        Step("settings", ("soft", False, False)),
        Step("enterprise", (True,)),
        Step("settings", ("hard", True, False)),
    )
