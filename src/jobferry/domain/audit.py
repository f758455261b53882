"""What a search of the audit log may ask for: the entries about one object, by one user, of one
action or of a family of actions, in a window of time. Each part left out is no filter."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from jobferry.errors import InvalidRequestError

ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)?")
"""An action (``job.update``) or a family of them (``job``: every ``job.…``)."""
DETAIL_WIDTH = 160
"""Characters of an entry's detail a list shows (the API answers it whole)."""


@dataclass(frozen=True)
class AuditQuery:
    """A search of a workspace's audit log."""

    object_name: str | None = None
    object_kind: str | None = None
    """``job``, ``script``, ``resource``, ``connection``, ``route``… as the entries name it."""
    actor: str | None = None
    action: str | None = None
    since: int | None = None
    """Epoch milliseconds, inclusive."""
    until: int | None = None
    """Epoch milliseconds, exclusive: with ``since``, a window; alone, what came before."""

    @property
    def family(self) -> str | None:
        """The family asked for (``job`` of ``action=job``: every ``job.…``, and an action
        named ``job`` alone, as ``bootstrap`` is); None for one action or none."""
        return self.action if self.action and "." not in self.action else None

    def checked(self) -> AuditQuery:
        """The query with blank texts as no filter; refused, naming the parameter, when an
        action is not one or a window ends before it starts."""
        query = replace(
            self,
            object_name=_text(self.object_name),
            object_kind=_text(self.object_kind),
            actor=_text(self.actor),
            action=_text(self.action),
        )
        if query.action is not None and not ACTION.fullmatch(query.action):
            raise InvalidRequestError(
                f"action '{query.action}' is neither an action such as job.update nor a family "
                "of them such as job.",
                fix="Give an action or a family: lower-case letters and underscores, one dot "
                "at most.",
                parameter="action",
            )
        check_time_window(query.since, query.until)
        return query


def check_time_window(since: int | None, until: int | None) -> None:
    """Refuse, naming the parameter, a window of time (epoch ms, ``since`` included, ``until``
    excluded, either open) with a negative end or that ends before it starts."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value < 0:
            raise InvalidRequestError(
                f"{name} {value} is not a time.",
                fix="Give epoch milliseconds (0 or more).",
                parameter=name,
            )
    if since is not None and until is not None and since >= until:
        raise InvalidRequestError(
            f"since {since} is not before until {until}: the window holds no time.",
            fix="Give a since earlier than the until.",
            parameter="since",
        )


def _text(value: str | None) -> str | None:
    """A text filter, blank as none."""
    return (value.strip() or None) if value is not None else None


def detail_line(detail: Any, width: int = DETAIL_WIDTH) -> str:
    """An entry's detail on one line of at most ``width`` characters: an object's fields as
    ``name=value`` pairs (``ids=[3, 4]``, ``to={name=b}``), or its text. A field's name is
    said in words (``target status=SUBMITTED``, not the request field ``targetStatus``): the
    console and the command line show it, and speak their own terms, not the API's."""
    text = _line(detail)
    return text if len(text) <= width else text[: width - 1] + "…"


def _line(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{_words(str(key))}={_inner(item)}" for key, item in value.items())
    return "" if value is None else str(value)


_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _words(key: str) -> str:
    """A camelCase field name in lower-case words (``requireSigned`` → ``require signed``)."""
    return _HUMP.sub(lambda m: " " + m.group(1).lower(), key)


def _inner(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + _line(value) + "}"
    return "none" if value is None else str(value)
