"""Generated stories of the console's import pages for
``tests/console/test_generated_imports.py``: a workspace admin, signed in, uploads packages (a
good one, one changed since, one signed by a key nobody trusts, one that is no zip, one cut
short), reads the check step and plans with options (the same-name policy, target status and
folder, an environment profile stored or not there, atomic or per object, a connection mapped
on the check step, or a choice the form does not offer), imports the plan (the one planned, the
same form posted twice, a plan gone stale since, a plan expired, a plan of another workspace),
rolls the last import back (and again, once rolled back; or the other workspace's), exports
the workspace and takes the package from the download center into the wizard (*Import
into…*), and now and then a viewer posts a step — each post now and then with a wrong or
missing security token.

What the pages promise is ``support/console_import_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

CSRF = ("ok", "ok", "ok", "ok", "ok", "ok", "bad", "none")
"""The security token a post carries: the page's, a wrong one, none."""
PACKAGES = ("good", "good", "changed", "signed", "notzip", "cut", "none")
"""What the source step posts: an export of the source, one of the source changed since, the
first signed by a key no workspace trusts, bytes that are no zip, a zip cut short, nothing."""
POLICIES = ("AUTO", "OVERWRITE", "OVERWRITE", "SKIP", "bogus")
STATUSES = ("SUBMITTED", "SAVED", "PRODUCTION", "bogus")
DIRECTORIES = ("", "", "/imported", "no-slash")
PROFILES = ("", "", "stage", "nope")
"""The profile chosen: none, one both workspaces store, one neither has."""
MODES = ("ATOMIC", "ATOMIC", "PER_OBJECT")
APPLIES = ("planned", "planned", "planned", "twice", "stale", "expired", "other")
"""How *Import* is posted: with the plan the plan step showed, twice (a double click), after
the workspace changed since the plan, once the plan expired, or naming the twin's plan."""
VIEWER_POSTS = ("source", "plan", "run", "rollback")
INTO = ("self", "self", "blank", "twins")
"""Where the download center's *Import into…* of a workspace export goes: this workspace's
wizard, no workspace chosen, or (naming the twin's package) a package this center lacks."""


@dataclass(frozen=True)
class Options:
    """The options the options step posts (and the check step's mapping)."""

    policy: str = "OVERWRITE"
    status: str = "SUBMITTED"
    directory: str = ""
    profile: str = ""
    mode: str = "ATOMIC"
    mapped: bool = False
    """The check step mapped the connection dws_conn to dws_prod."""


@dataclass(frozen=True)
class Step:
    """One post of the import pages: which step and what it carries (its security token
    last)."""

    act: str
    args: tuple[Any, ...] = ()
    csrf: str = "ok"

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}/{self.csrf}"


def _csrf() -> st.SearchStrategy[str]:
    return st.sampled_from(CSRF)


def _options() -> st.SearchStrategy[Options]:
    """Options a person chooses on the form (most stories), or with one value the form does
    not offer or the services refuse."""
    offered = st.builds(
        Options,
        st.sampled_from(POLICIES[:-1]),
        st.sampled_from(STATUSES[:-1]),
        st.sampled_from(DIRECTORIES[:-1]),
        st.sampled_from(PROFILES[:-1]),
        st.sampled_from(MODES),
        st.booleans(),
    )
    anything = st.builds(
        Options,
        st.sampled_from(POLICIES),
        st.sampled_from(STATUSES),
        st.sampled_from(DIRECTORIES),
        st.sampled_from(PROFILES),
        st.sampled_from(MODES),
        st.booleans(),
    )
    return st.one_of(offered, offered, offered, anything)


def _upload() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("source"), st.tuples(st.sampled_from(PACKAGES)), _csrf())


def _planned(act: str) -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just(act), st.tuples(_options()), _csrf())


def _run() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("run"), st.tuples(st.sampled_from(APPLIES)), _csrf())


def _rollback() -> st.SearchStrategy[Step]:
    which = st.sampled_from(((), (), (), ("twins",)))
    return st.builds(Step, st.just("rollback"), which, _csrf())


def _export() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("export"), st.tuples(st.sampled_from(INTO)), _csrf())


def _viewer() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("viewer"), st.tuples(st.sampled_from(VIEWER_POSTS)))


def import_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–5 turns, most of them uploading a package first: a turn is one post, or
    a plan step and its *Import* (a person's usual way through the wizard)."""
    turn = st.one_of(
        st.tuples(_upload()),
        st.tuples(_planned("check")),
        st.tuples(_planned("plan"), _run()),
        st.tuples(_planned("plan"), _run()),
        st.tuples(_planned("plan")),
        st.tuples(_run()),
        st.tuples(_rollback()),
        st.tuples(_rollback(), _rollback()),
        st.tuples(_viewer()),
        st.tuples(_export()),
    )
    first = st.sampled_from(((Step("source", ("good",)),), (Step("source", ("good",)),), ()))
    return st.tuples(first, st.lists(turn, min_size=1, max_size=4)).map(
        lambda told: told[0] + tuple(s for t in told[1] for s in t)
    )


def a_story_of_every_step() -> tuple[Step, ...]:
    """Upload, plan (a connection mapped), import (posted twice), roll back (another
    workspace's import, then this one, twice), and imports refused: a plan gone stale, another
    workspace's plan, an expired one; a viewer's rollback; an export taken into the wizard (a
    hand-written example)."""
    mapped = Options(policy="OVERWRITE", mapped=True, profile="stage")
    return (
        Step("source", ("good",)),
        Step("plan", (mapped,)),
        Step("run", ("twice",)),
        Step("rollback", ("twins",)),
        Step("rollback"),
        Step("rollback"),
        Step("source", ("changed",)),
        Step("plan", (Options(directory="/imported", mode="PER_OBJECT"),)),
        Step("run", ("stale",)),
        Step("plan", (Options(),)),
        Step("run", ("other",)),
        Step("plan", (Options(policy="SKIP"),)),
        Step("run", ("expired",)),
        Step("plan", (Options(status="bogus"),), "bad"),
        Step("viewer", ("rollback",)),
        Step("export", ("self",)),
    )
