"""sameNamePolicy AUTO decided by the target's ledger, and why each SKIP is one (#37)."""

from __future__ import annotations

from typing import Any, cast

from jobferry.domain.enums import SameNamePolicy, SkipReason
from jobferry.services.importing.plan import SkipNote
from jobferry.services.importing.policy import choose_policy
from jobferry.services.importing.ports import TargetReader


class _Ledger:
    """A target whose ledger holds rows from the sources named."""

    def __init__(self, *sources: str) -> None:
        self.sources = set(sources)
        self.asked: list[tuple[str, Any, int]] = []

    def source_ledger(self, source: str, after: Any, limit: int) -> list[object]:
        self.asked.append((source, after, limit))
        return [object()] if source in self.sources else []


def _target(*sources: str) -> TargetReader:
    return cast(TargetReader, _Ledger(*sources))


def test_auto_overwrites_once_the_target_received_from_the_source() -> None:
    chosen = choose_policy(SameNamePolicy.AUTO, _target("test-ws"), "test-ws")
    assert (chosen.asked, chosen.applied) == (SameNamePolicy.AUTO, SameNamePolicy.OVERWRITE)
    assert "already holds objects imported" in chosen.why


def test_auto_skips_on_a_first_import_and_for_a_package_without_source() -> None:
    first = choose_policy(SameNamePolicy.AUTO, _target("other"), "test-ws")
    assert first.applied is SameNamePolicy.SKIP
    assert first.skip is SkipReason.FIRST_IMPORT
    anonymous = choose_policy(SameNamePolicy.AUTO, _target("test-ws"), None)
    assert anonymous.applied is SameNamePolicy.SKIP
    assert "does not name its source" in anonymous.why


def test_an_asked_policy_is_applied_without_reading_the_ledger() -> None:
    ledger = _Ledger("test-ws")
    for asked in (SameNamePolicy.SKIP, SameNamePolicy.OVERWRITE):
        chosen = choose_policy(asked, cast(TargetReader, ledger), "test-ws")
        assert chosen.applied is asked
        assert chosen.as_json()["asked"] == str(asked)
    assert ledger.asked == []
    assert choose_policy(SameNamePolicy.SKIP, _target(), None).skip is (SkipReason.SAME_NAME_POLICY)


def test_every_skip_reason_names_its_rule_and_the_option_that_writes_the_object() -> None:
    fixes = {reason: SkipNote.of(reason, "job", "daily_sales").fix for reason in SkipReason}
    assert "sameNamePolicy OVERWRITE" in fixes[SkipReason.SAME_NAME_POLICY]
    assert "sameNamePolicy OVERWRITE" in fixes[SkipReason.FIRST_IMPORT]
    assert "onDrift TAKE_PACKAGE" in fixes[SkipReason.KEPT_DRIFT]
    assert "onDrift TAKE_PACKAGE" in fixes[SkipReason.KEPT_NEWER]
    assert fixes[SkipReason.KEPT_DELETED].endswith("onDrift TAKE_PACKAGE to make it again")
    detail = SkipNote.of(SkipReason.FIRST_IMPORT, "job", "daily_sales").detail
    assert detail.startswith("job 'daily_sales' differs from the target's")
