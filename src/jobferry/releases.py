"""jobferry's numbered releases: each with its date and the schema revision it needs.

A release is a section of CHANGELOG.md (``## [0.2.0] - 2026-11-26``, then ``Schema: 0020``);
this table says the same, for the code: ``tests/test_releases.py`` fails when the two differ,
or when this code calls itself a release whose schema is not the newest migration. Between
releases the version is the next one in development (``0.3.0.dev0``). How to cut a release is
in CONTRIBUTING.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    """One numbered release."""

    version: str
    date: str
    """Its day, ISO (as its CHANGELOG heading)."""
    schema: str
    """The schema revision it needs: its newest migration (``jobferry db upgrade`` brings any
    earlier schema there)."""


RELEASES: tuple[Release, ...] = (Release("0.2.0", "2026-11-26", "0020"),)
"""Every release, oldest first."""


def first_release_needing(revision: str, order: Sequence[str]) -> Release | None:
    """The oldest release whose schema is ``revision`` or newer, given every revision this
    code knows (``order``, oldest first); None when no release has it yet."""
    rank = order.index(revision)
    for release in RELEASES:
        if release.schema in order and order.index(release.schema) >= rank:
            return release
    return None
