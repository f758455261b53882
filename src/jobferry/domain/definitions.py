"""What a definition holds and what it does not: the keys of a request body that steer the
request, and the keys the server owns in its answers.

Both are dropped before a definition is stored (by the API calls and by import alike), compared
by the import's plan, or written into a folder by ``jobferry pull``; they live here, below
the services and the package code that all need them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote

import orjson

VERSIONS_KEPT = 100
"""Submitted versions a job or a script keeps, its newest: storing a newer one drops those past
it, as DataArts does ("the system retains 100 latest version records")."""

LOCKED_BY_HEADER = "X-Jobferry-Locked-By"
"""The answer's header naming (percent-encoded, UTF-8) the user whose lock a save, delete or
rename of a job or script passed over: the soft lock policy only warns. A header, since
DataArts' answers to those calls (204, the rename's ``is_success``) have no field for it and
its SDK's clients read none but theirs. A rename names the holders of the jobs it rewrote
too: several users are comma-separated (:func:`locked_by_value`, :func:`locked_by_names`)."""


def locked_by_value(names: Sequence[str]) -> str:
    """``LOCKED_BY_HEADER``'s value naming these users: each name percent-encoded (UTF-8; a
    comma of a name is ``%2C``), comma-separated."""
    return ",".join(quote(name, safe="") for name in names)


def locked_by_names(value: str | None) -> tuple[str, ...]:
    """The users ``LOCKED_BY_HEADER``'s value names (none when absent)."""
    return tuple(unquote(name) for name in value.split(",")) if value else ()


CONTROL_FIELDS = ("targetStatus", "approvers")
"""Keys that steer the request rather than describe the object: never stored in a definition."""

SERVER_FIELDS = (
    "id",
    "createTime",
    "createUser",
    "downstreamJobs",
    "jobRelation",
    "lastUpdateTime",
    "lastUpdateUser",
    "modifyTime",
    "resourceId",
    "updateTime",
    "updateUser",
    "version",
)
"""Keys the server owns in responses (who and when, ids, the count of submitted versions); a
definition that carries them (a pasted show response, a DataArts export) does not get to set
them. ``version`` too, a job's as a script's: show_job and show_script answer there the
object's latest submitted version, and DataArts' exports carry the version exported (``"1"``,
``"2"``), so a definition keeping the key would fake the count show_job answers once saved back
and change with every submit of an unchanged job (DataArts' own example's ``"version": "1.0"``
is no different: the server's, dropped)."""

_NOT_DEFINITION = {
    "job": frozenset((*SERVER_FIELDS, *CONTROL_FIELDS)),
    "script": frozenset((*SERVER_FIELDS, *CONTROL_FIELDS)),
    "resource": frozenset((*SERVER_FIELDS, *CONTROL_FIELDS)),
}


def canonical(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A job's, script's or resource's definition without the keys a server owns (what a
    remote's shadow stores of what the remote exports)."""
    dropped = _NOT_DEFINITION[str(kind)]
    return {key: value for key, value in doc.items() if key not in dropped}


def digest(value: object) -> str:
    """SHA-256 of a value's canonical JSON (keys sorted): what a refresh compares."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def definition_hash(kind: str, doc: dict[str, Any]) -> str:
    """The hash of an object's definition as a package's basis records it: the same on the
    side that refreshed a shadow from a snapshot and on the side the snapshot was made on
    (:func:`digest` of :func:`canonical`)."""
    return digest(canonical(kind, doc))
