"""What the console's audit log page promises, for ``tests/console/test_generated_audit_page.py``,
written from docs/console.md (*Audit log*), docs/api.md (``GET /audit``) and docs/operations.md
(*The audit log*), never from the code:

- every change made through the server is one entry of the workspace where it is made (what
  belongs to no workspace, users and their access keys, is the project's own log);
- the page is for workspace admins (a project admin is one everywhere): anyone else is refused
  (403); its *Project* box, the project's entries of no workspace, for project admins only
  (403 for anyone else, whatever the address asks);
- it lists the entries newest first, a page at a time (*Newer*, *Older* keep the search), each
  with who, the action and the object; the search narrows them: an object's whole name, a kind,
  a user (each as typed, blanks around it aside; blank is no filter), an action (``job.update``)
  or a family (``job``: every ``job.…``, and an action named ``job`` alone), and days *From* and
  *To* (UTC, both included); an address past the last page (a stale link, entries swept
  since) shows the last page, as the Tasks page does, never "no entry" where some match;
- a search it cannot take (a day that is no day, a *From* after the *To*, an action that is not
  lower-case words with one dot at most) is refused (400): the page says why above the form
  and keeps the search as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from jobferry.domain.enums import Role

PROJECT_ADMIN = "project admin"
USERS: tuple[Role | str, ...] = (
    Role.ADMIN,
    Role.DEVELOPER,
    Role.OPERATOR,
    Role.VIEWER,
    PROJECT_ADMIN,
)
"""The story's users: one of each role in the workspace, and a project admin with none."""
READERS = (Role.ADMIN, PROJECT_ADMIN)
PAGE = 4
"""The page's size in the stories (50 in the product)."""
ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)?")
"""What docs/api.md calls lower-case words with one dot at most (underscores join words:
``approval_key.register``)."""


@dataclass(frozen=True)
class Entry:
    """An entry as the page shows it, with where it stands in the log."""

    id: int
    at: int
    actor: str
    action: str
    kind: str
    name: str

    @property
    def shown(self) -> tuple[str, str, str, str]:
        """Who, the action, the object's kind and name."""
        return (self.actor, self.action, self.kind, self.name)


@dataclass(frozen=True)
class Search:
    """The search as typed in the form (days as typed, ``project`` the box)."""

    object: str = ""
    kind: str = ""
    user: str = ""
    action: str = ""
    since: str = ""
    until: str = ""
    project: bool = False


def _day(text: str) -> date | str | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return "no day"


def refusal(search: Search) -> str | None:
    """Why the search is refused (what the page must name), or ``None``."""
    since, until = _day(search.since), _day(search.until)
    if since == "no day":
        return "From"
    if until == "no day":
        return "To"
    if isinstance(since, date) and isinstance(until, date) and since > until:
        return "From"
    action = search.action.strip()
    if action and not ACTION.fullmatch(action):
        return action
    return None


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def matches(search: Search, entry: Entry) -> bool:
    """Whether the (accepted) search keeps ``entry``."""
    for typed, held in (
        (search.object, entry.name),
        (search.kind, entry.kind),
        (search.user, entry.actor),
    ):
        if typed.strip() and typed.strip() != held:
            return False
    action = search.action.strip()
    if (
        action
        and entry.action != action
        and not ("." not in action and entry.action.startswith(action + "."))
    ):
        return False
    since, until = _day(search.since), _day(search.until)
    if isinstance(since, date) and entry.at < _ms(since):
        return False
    return not (isinstance(until, date) and entry.at >= _ms(until + timedelta(days=1)))


def page_of(search: Search, log: list[Entry], offset: int) -> tuple[list[Entry], int, int]:
    """The entries the page shows, where the page starts, and how many match: newest first
    (the later entry first at the same moment), ``PAGE`` a page, the page holding ``offset``
    (the last one when ``offset`` is past the end)."""
    found = sorted((e for e in log if matches(search, e)), key=lambda e: (-e.at, -e.id))
    start = max(offset, 0) // PAGE * PAGE
    if found and start >= len(found):  # past the end (a stale link): the last page, as the
        start = (len(found) - 1) // PAGE * PAGE  # Tasks page, never "none" where some match
    return found[start : start + PAGE], start, len(found)
