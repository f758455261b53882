"""The remote DataArts endpoint of the remotes tests: a second jobferry server (SQLite) of this
test process, started once (``remote_server`` in tests/conftest.py), each test making
workspaces of its own in it, reached through the contract filter (``gateway``)."""

from __future__ import annotations

REMOTE_PROJECT = "re0123456789abcdef0123456789abcd"
"""The remote server's project (another project than the local servers', as a real remote's)."""
