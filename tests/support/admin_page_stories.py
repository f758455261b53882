"""Generated stories of the console's administration pages for
``tests/console/test_generated_admin_pages.py``: signed-in users of every role (the bootstrap
admin, a workspace admin, a developer, a viewer, an operator, a deployer) use the users and
roles form (create, grant, revoke, project admin or not, remove; blank, overlong and unknown
names, roles there are not, oneself, the last admin, an action the page has not), the workspace
settings and the switch to enterprise mode, environment objects (saved, removed, their edit
link; a kind there is not, blank and overlong names, a blank type, config that is no JSON
object), profiles (saved, removed; a blank or overlong name, a document that is none), the
workspace's policy (one the rules take and one they refuse) and a route's (removed since), a
profile's and a route's policy page by address (there or not), an admin page of a
workspace not there, and the signing key
(created, deleted); now and then another admin, through the services, removes a user or an
environment object meanwhile.

What the pages promise is ``support/admin_page_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

ACTORS = ("boss", "boss", "boss", "wadmin", "wadmin", "dev", "viewer", "operator", "deployer")
"""Who signs in and posts (``boss``: the bootstrap admin, a project admin)."""
ACTIONS = (
    "create",
    "create",
    "grant",
    "grant",
    "grant",
    "revoke",
    "project_admin",
    "not_project_admin",
    "remove",
    "bogus",
)
TARGETS = ("ana", "bo", "ana", "dev", "wadmin", "admin", "", "gone", "u" * 130, "self")
"""Whom the users form names: the story's users, the bootstrap admin, a blank name, one never
made, one too long, the actor themselves."""
ROLES = ("developer", "viewer", "admin", "deployer", "", "Developer")
KINDS = ("connection", "connection", "dli_queue", "bogus")
ENV_NAMES = ("c1", "c2", "c1", "", "n" * 129)
TYPES = ("DWS", "DWS", "")
CONFIGS = ('{"host": "h1"}', '{"host": "h2"}', "{}", "[1]")
LOCKS = ("soft", "hard", "hard", "bogus")
POLICIES = ("description: careful\nmaxDeletions: 2\n", "maxDeletions: -3\n")


@dataclass(frozen=True)
class Step:
    """One page asked for, or one post, by ``actor``."""

    act: str
    actor: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{(self.actor, *self.args)!r}"


def _actor() -> st.SearchStrategy[str]:
    return st.sampled_from(ACTORS)


def _step(act: str, *args: st.SearchStrategy[Any]) -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just(act), _actor(), st.tuples(*args))


def admin_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–10 steps."""
    pick = st.sampled_from
    step = st.one_of(
        _step("users", pick(ACTIONS), pick(TARGETS), pick(ROLES)),
        _step("users", pick(ACTIONS), pick(TARGETS), pick(ROLES)),
        _step("settings", pick(LOCKS), st.booleans(), st.booleans()),
        _step("enterprise", st.booleans()),
        _step("environment", pick(KINDS), pick(ENV_NAMES), pick(TYPES), pick(CONFIGS)),
        _step("env_delete", pick(KINDS), pick(ENV_NAMES)),
        _step("env_edit", pick(KINDS), pick(ENV_NAMES)),
        _step("profile_page", pick(("p1", "gone"))),
        _step("route_policy", st.just("gone")),
        _step("profile", pick(("p1", "p2", "", "n" * 129)), pick(("{}", "{}", "["))),
        _step("profile_delete", pick(("p1", "p2", "gone"))),
        _step("policy", pick(("", "", "gone")), pick(POLICIES)),
        _step("unknown_workspace", pick(("/admin/users", "/admin/settings", "/admin/keys"))),
        _step("keys", pick(("create", "delete"))),
        _step("meanwhile", pick(("remove ana", "remove bo", "delete c1", "drop p1"))),
    )
    return st.lists(step, min_size=1, max_size=10).map(tuple)


def a_story_of_every_page() -> tuple[Step, ...]:
    """Each page once taken and once refused, by roles that may and may not (hand-written)."""
    return (
        Step("users", "dev", ("create", "ana", "")),
        Step("users", "wadmin", ("grant", "dev", "admin")),
        Step("users", "boss", ("create", "ana", "")),
        Step("users", "boss", ("create", "ana", "")),
        Step("users", "boss", ("grant", "ana", "developer")),
        Step("users", "boss", ("grant", "ana", "developer")),
        Step("users", "boss", ("grant", "ana", "Developer")),
        Step("users", "boss", ("grant", "gone", "viewer")),
        Step("users", "boss", ("not_project_admin", "admin", "")),
        Step("users", "boss", ("remove", "self", "")),
        Step("users", "boss", ("bogus", "ana", "")),
        Step("meanwhile", "boss", ("remove ana",)),
        Step("users", "boss", ("revoke", "ana", "")),
        Step("env_edit", "viewer", ("connection", "gone")),
        Step("environment", "wadmin", ("connection", "c1", "DWS", '{"host": "h1"}')),
        Step("environment", "wadmin", ("connection", "c1", "DWS", '{"host": "h1"}')),
        Step("environment", "wadmin", ("bogus", "c1", "DWS", "{}")),
        Step("env_edit", "wadmin", ("connection", "c1")),
        Step("env_edit", "wadmin", ("connection", "c2")),
        Step("env_delete", "dev", ("connection", "c1")),
        Step("meanwhile", "boss", ("delete c1",)),
        Step("env_delete", "wadmin", ("connection", "c1")),
        Step("profile_page", "operator", ("gone",)),
        Step("profile_page", "boss", ("gone",)),
        Step("profile_page", "boss", ("p1",)),
        Step("route_policy", "deployer", ("gone",)),
        Step("route_policy", "boss", ("gone",)),
        Step("profile", "dev", ("p2", "{}")),
        Step("profile", "wadmin", ("p2", "[")),
        Step("profile", "wadmin", ("p2", "{}")),
        Step("profile", "wadmin", ("p2", "{}")),
        Step("meanwhile", "boss", ("drop p2",)),
        Step("profile_delete", "wadmin", ("p2",)),
        Step("policy", "viewer", ("", POLICIES[0])),
        Step("policy", "wadmin", ("", POLICIES[1])),
        Step("policy", "wadmin", ("gone", POLICIES[0])),
        Step("policy", "boss", ("gone", POLICIES[0])),
        Step("policy", "wadmin", ("", POLICIES[0])),
        Step("unknown_workspace", "viewer", ("/admin/settings",)),
        Step("unknown_workspace", "boss", ("/admin/users",)),
        Step("keys", "dev", ("create",)),
        Step("keys", "boss", ("delete",)),
        Step("keys", "boss", ("create",)),
        Step("settings", "viewer", ("hard", False, False)),
        Step("settings", "wadmin", ("bogus", False, False)),
        Step("settings", "wadmin", ("soft", False, False)),
        Step("settings", "wadmin", ("hard", True, False)),
        Step("enterprise", "wadmin", (True,)),
        Step("settings", "wadmin", ("hard", False, True)),
        Step("enterprise", "deployer", (True,)),
        Step("enterprise", "boss", (False,)),
        Step("enterprise", "boss", (True,)),
        Step("settings", "boss", ("hard", True, True)),
    )
