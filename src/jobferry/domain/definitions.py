"""What a definition holds and what it does not: the keys of a request body that steer the
request, and the keys the server owns in its answers.

Both are dropped before a definition is stored (by the API calls and by import alike), compared
by the import's plan, or written into a folder by ``jobferry pull``; they live here, below
the services and the package code that all need them.
"""

from __future__ import annotations

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
)
"""Keys the server owns in responses (who and when, ids); a definition that carries them (a
pasted show response, a DataArts export) does not get to set them. Not ``version``: DataArts'
own job examples carry ``"version": "1.0"`` as part of the definition."""
