"""Generated stories of the audit list's filters and pages for
``tests/api/test_generated_audit_lists.py``, and what docs/api.md (``GET /audit``) promises of
them: an admin and a developer create, change and delete jobs and scripts whose names hold each
other and differ in case; then the workspace's log is asked with drawn filters, limits and
offsets.

The promises: entries come newest first; each parameter narrows them — ``objectName`` exact,
``objectKind`` the kind, ``actor`` the user, ``action`` one action (``job.update``) or a family
(``job``, every ``job.…``; a word is also the action of that name); blank is no filter; an
action that is not lower-case words with one dot at most is refused naming ``action``
(``DLF.3051``); ``total`` counts the matches; ``limit`` 1–100, ``offset`` in the configured
offset mode.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.list_stories import names
from support.release_stories import Step

KINDS = ("job", "script")
USERS = ("admin", "developer")
ACTIONS = (None, "", "job", "script", "job.create", "job.update", "job.delete", "script.update")
BAD_ACTIONS = ("Job", "job.Create", "job.create.now", "job-create", "工作")
OBJECT_KINDS = (None, "", "job", "script", "resource", "Job")


def matches(entry: dict[str, Any], filters: dict[str, str]) -> bool:
    """Whether the log lists ``entry`` for ``filters`` (names as the test sent them)."""
    for key in ("objectName", "objectKind", "actor"):
        if filters.get(key) and entry[key] != filters[key]:
            return False
    action = filters.get("action")
    if not action:
        return True
    if "." in action:
        return bool(entry["action"] == action)
    return bool(entry["action"] == action or entry["action"].startswith(f"{action}."))


@st.composite
def writes(draw: st.DrawFn) -> tuple[Step, ...]:
    """Creates, changes and deletes (at most 12), each of an object that is there to change."""
    held: dict[str, set[str]] = {kind: set() for kind in KINDS}
    done = []
    for _ in range(draw(st.integers(1, 12))):
        kind, user = draw(st.sampled_from(KINDS)), draw(st.sampled_from(USERS))
        act = draw(st.sampled_from(("create", "create", "update", "delete")))
        there = sorted(held[kind])
        name = draw(names) if act == "create" or not there else draw(st.sampled_from(there))
        act = "create" if name not in held[kind] else "update" if act == "create" else act
        (held[kind].discard if act == "delete" else held[kind].add)(name)
        done.append(Step(act, (kind, name, user)))
    return tuple(done)


@st.composite
def audit_queries(draw: st.DrawFn, done: tuple[Step, ...]) -> Step:
    named = [s.args[1] for s in done]
    name = draw(st.sampled_from((None, None, "", "%", "_", *named)))
    if name and draw(st.booleans()):
        name = draw(st.sampled_from((name.swapcase(), name[:-1] or name + "x")))
    filters = {
        "objectName": name,
        "objectKind": draw(st.sampled_from(OBJECT_KINDS)),
        "actor": draw(st.sampled_from((None, None, "", *USERS, "Admin"))),
        "action": draw(st.sampled_from(ACTIONS + ACTIONS + BAD_ACTIONS)),
    }
    chosen = {k: v for k, v in filters.items() if v is not None}
    walk = draw(st.booleans())
    return Step(
        "walk" if walk else "page", (chosen, draw(st.integers(1, 6)), draw(st.integers(0, 8)))
    )


@st.composite
def audit_list_stories(draw: st.DrawFn) -> tuple[tuple[Step, ...], tuple[Step, ...]]:
    done = draw(writes())
    return done, tuple(draw(st.lists(audit_queries(done), min_size=1, max_size=8)))
