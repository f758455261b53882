"""Releases are numbered, with CHANGELOG.md's sections and the schema revision each needs: the
changelog, ``jobferry.releases.RELEASES``, ``jobferry.__version__`` and the migrations agree."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from packaging.version import Version

import jobferry
from jobferry.releases import RELEASES, Release, first_release_needing
from jobferry.storage.schema import head_revision, revisions

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
SECTION = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?[ \t]*$", re.MULTILINE)
SCHEMA = re.compile(r"\A\s*Schema: (\d{4})\.")


def _sections() -> list[tuple[str, str | None, str]]:
    """(name, date, text) of every ``## [...]`` section, in the file's order."""
    found = list(SECTION.finditer(CHANGELOG))
    ends = [m.start() for m in found[1:]] + [len(CHANGELOG)]
    return [(m[1], m[2], CHANGELOG[m.end() : end]) for m, end in zip(found, ends, strict=True)]


def _changelog_releases() -> list[Release]:
    """The numbered sections as releases, oldest first (the file lists them newest first)."""
    releases = []
    for name, date, text in _sections()[1:]:
        schema = SCHEMA.match(text)
        assert date, f"CHANGELOG's section [{name}] has no date: '## [{name}] - YYYY-MM-DD'"
        assert schema, f"CHANGELOG's section [{name}] does not open with 'Schema: NNNN.'"
        releases.append(Release(name, date, schema[1]))
    return releases[::-1]


def _unreleased_changes() -> str:
    name, _, text = _sections()[0]
    assert name == "Unreleased", "CHANGELOG.md's first section must be '## [Unreleased]'"
    return text.strip()


def test_the_changelog_and_the_code_list_the_same_releases() -> None:
    assert _changelog_releases() == list(RELEASES)


def test_releases_go_forward_in_version_and_schema() -> None:
    known = revisions()
    for release in RELEASES:
        assert release.schema in known, f"{release.version} needs unknown schema {release.schema}"
    for older, newer in pairwise(RELEASES):
        assert Version(older.version) < Version(newer.version)
        assert known.index(older.schema) <= known.index(newer.schema)


def test_the_version_is_the_newest_release_or_the_next_in_development() -> None:
    version, newest = Version(jobferry.__version__), RELEASES[-1]
    if version.is_devrelease:
        assert version > Version(newest.version), (
            f"{jobferry.__version__} is not after the newest release {newest.version}"
        )
        return
    assert jobferry.__version__ == newest.version, (
        f"jobferry {jobferry.__version__} is not a release of CHANGELOG.md (newest: "
        f"{newest.version}); between releases the version is the next one with .dev0"
    )
    assert newest.schema == head_revision(), (
        f"release {newest.version} records schema {newest.schema}, but the migrations end at "
        f"{head_revision()}: a migration added after a release belongs to the next version "
        "(set jobferry.__version__ to it with .dev0) or the release records it"
    )
    assert not _unreleased_changes(), (
        f"CHANGELOG.md lists unreleased changes but jobferry's version is the release "
        f"{newest.version}: set jobferry.__version__ to the next version with .dev0 "
        "(CONTRIBUTING.md, 'Releases')"
    )


def test_the_release_a_schema_needs_is_the_oldest_that_has_it() -> None:
    order = revisions()
    assert first_release_needing(RELEASES[0].schema, order) == RELEASES[0]
    assert first_release_needing(order[0], order) == RELEASES[0]
    if RELEASES[-1].schema != order[-1]:
        assert first_release_needing(order[-1], order) is None
