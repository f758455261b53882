"""How a refusal quotes a name or id too long for any object (a request's, up to the URL's
length): cut in the message, whole in its field. A 4,000-character job name in a refusal made it
unreadable. ``errors.JobferryError`` quotes every refusal's names through :func:`quoted_cut`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SHOWN_MAX = 128
"""The longest name or id a refusal's message quotes whole: as long as any object's name may
be (``domain.names.OBJECT_NAME_MAX``). A longer one, which a request named and nothing holds,
is cut to its first :data:`SHOWN_HEAD` characters and its length; its field keeps it whole."""
SHOWN_HEAD = 80
_NAMING = frozenset({"name", "route", "remote", "workspace", "profile", "user", "holder"})


def _names(key: str) -> bool:
    """Whether context field ``key`` names an object (``job_name``, ``route``, ``task_id``)."""
    return key in _NAMING or key.endswith(("_name", "_id", "Id"))


def _cut(text: str, name: str) -> str:
    """``text`` with every quote of ``name`` (too long to read) cut: ``'abc…' (4,000
    characters)``, the length outside the quotes so that it does not read as the name's."""
    head, length = name[:SHOWN_HEAD] + "…", f" ({len(name):,} characters)"
    for quote in ("'", '"', "[", ""):
        close = {"[": "]"}.get(quote, quote)
        text = text.replace(f"{quote}{name}{close}", f"{quote}{head}{close}{length}")
    return text


def quoted_cut(message: str, fix: str | None, context: Mapping[str, Any]) -> tuple[str, str | None]:
    """``message`` and ``fix`` with each name of ``context`` too long to read cut where they
    quote it (its field keeps it whole). The longest is cut first: a name inside a longer one
    (a job and its copy, ``name`` and ``name_copy``) would otherwise cut the longer one's
    quote short and give it its own length."""
    long = {
        v for k, v in context.items() if isinstance(v, str) and len(v) > SHOWN_MAX and _names(k)
    }
    for value in sorted(long, key=len, reverse=True):
        message, fix = _cut(message, value), _cut(fix, value) if fix else fix
    return message, fix
