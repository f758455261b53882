"""The integers a request may name: the 64-bit range both databases store integers in, and
the last moment a time can be written as.

A number past that range in an address or a query (``…/release-packages/99999999999999999999999``,
an ``offset`` of 30 digits) could not even be compared with a stored one: the SQLite driver
refuses to bind it, PostgreSQL refuses it for an ``integer`` column (32 bits there). The
adapters' integer parameters are bounded to it (``DLF.3051`` naming the parameter); an id
past what its column holds is an unknown id, refused as any unknown id is
(``storage.columns.holds``).
"""

from __future__ import annotations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""The integers either database stores (``BIGINT``; SQLite's ``INTEGER``)."""
LAST_MOMENT_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z in epoch milliseconds: the last moment an ISO-8601 time (a year of
four digits) can say."""
