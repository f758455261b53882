"""How a plan's snapshot basis is said (``domain/snapshots.py``): the snapshot's name, hash,
when it was made and how old it is; nothing for a plan that read the remote itself."""

from __future__ import annotations

import pytest

from jobferry.domain.snapshots import age, snapshot_basis

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000


@pytest.mark.parametrize(
    ("ms", "said"),
    [
        (0, "under a minute"),
        (59_999, "under a minute"),
        (MINUTE, "1 minute"),
        (12 * MINUTE + 5_000, "12 minutes"),
        (HOUR + 2 * MINUTE, "1 hour 2 minutes"),
        (3 * DAY + 4 * HOUR + 5 * MINUTE, "3 days 4 hours"),
        (2 * DAY + 7 * MINUTE, "2 days"),
        (-5_000, "under a minute"),
    ],
)
def test_an_age_is_said_to_its_two_largest_units(ms: int, said: str) -> None:
    assert age(ms) == said


def test_a_plan_on_a_snapshot_names_it_when_it_was_made_and_how_old() -> None:
    made = 1_763_000_000_000  # 2025-11-13 02:13:20 UTC
    state = {
        "remote": "prod",
        "from": "snapshot",
        "snapshot": {"fileName": "prod.zip", "sha256": "ab" * 32, "madeAt": made},
    }
    assert snapshot_basis(state, made + 2 * DAY + 3 * HOUR) == (
        "Planned against a carried snapshot of remote 'prod', not the remote itself: prod.zip "
        "(SHA-256 abababababab…), made 2025-11-13 02:13:20 UTC, 2 days 3 hours old."
    )


def test_a_snapshot_without_a_time_is_said_so_and_a_plan_on_the_remote_says_nothing() -> None:
    state = {"remote": "prod", "from": "snapshot", "snapshot": {"fileName": "jobs.zip"}}
    assert snapshot_basis(state, 0) == (
        "Planned against a carried snapshot of remote 'prod', not the remote itself: jobs.zip, "
        "made at a time it does not say."
    )
    assert snapshot_basis({"remote": "prod", "from": "remote"}, 0) is None
    assert snapshot_basis(None, 0) is None
