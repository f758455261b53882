"""Policies: the document's checks, and each rule against what a plan does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobferry.domain.policies import PolicyError, PolicyRule, parse_policy
from jobferry.domain.policy_rules import (
    WrittenObject,
    deletion_breach,
    freeze_breach,
    written_breaches,
)


def _problems(document: object) -> list[str]:
    with pytest.raises(PolicyError) as refused:
        parse_policy(document)
    return refused.value.problems


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- the document ----------------------------------------------------------------------------


def test_an_empty_policy_has_no_rules() -> None:
    policy = parse_policy({})
    assert policy.max_deletions is None
    assert not policy.freeze
    assert not policy.owners
    assert not policy.protected_connections
    assert freeze_breach(policy, datetime.now(UTC)) is None
    assert deletion_breach(policy, [("job", "a")] * 1000) is None
    assert written_breaches(policy, WrittenObject("job", "anything")) == []


def test_policy_refuses_unknown_keys_and_lists_every_problem() -> None:
    problems = _problems(
        {
            "maxDeletion": 3,
            "maxDeletions": -1,
            "naming": {"jobs": "([unclosed"},
            "owners": "ann",
            "freeze": [{"from": "2026-12-24", "to": "2026-12-20", "zone": "Europe/Berlin"}],
        }
    )
    said = " | ".join(problems)
    assert "unknown key(s) maxDeletion" in said
    assert "maxDeletions must be a whole number" in said
    assert "naming.jobs is not a regular expression" in said
    assert "owners must be a list of names" in said
    assert "freeze[0] ends before it starts" in said
    assert len(problems) == 5


def test_policy_refuses_a_boolean_as_the_deletion_limit() -> None:
    assert "maxDeletions must be a whole number, 0 or more" in _problems({"maxDeletions": True})


@pytest.mark.parametrize(
    ("window", "said"),
    [
        ({"from": "2026-12-24T10:00", "to": "2026-12-25T10:00"}, "has no offset, and the window"),
        ({"from": "24.12.2026", "to": "2026-12-25", "zone": "UTC"}, "is not an ISO date"),
        ({"from": "2026-12-24", "to": "2026-12-25", "zone": "Mars/Olympus"}, "freeze[0].zone"),
        ({"days": ["SAT", "SUNDAY"], "zone": "UTC"}, "days must list days among"),
        ({"days": ["SAT"]}, "a weekly window needs its zone"),
        ({"days": ["SAT"], "from": "2026-12-24", "zone": "UTC"}, "has days, not from and to"),
        ({"from": "2026-12-24", "to": "2026-12-25", "zone": "UTC", "reason": "x"}, "unknown key"),
    ],
)
def test_freeze_window_refusals_name_the_window(window: dict[str, object], said: str) -> None:
    assert any(said in p for p in _problems({"freeze": [window]})), _problems({"freeze": [window]})


def test_policy_keeps_what_was_written() -> None:
    document = {"description": "prod", "maxDeletions": 2, "owners": ["ann"]}
    policy = parse_policy(document)
    assert policy.document == document
    assert policy.description == "prod"


# -- freeze windows ----------------------------------------------------------------------------


def test_freeze_window_of_dates_covers_whole_days_in_its_zone() -> None:
    policy = parse_policy(
        {"freeze": [{"from": "2026-12-24", "to": "2026-12-26", "zone": "Europe/Berlin"}]}
    )
    # Berlin is UTC+1 in December: the window is 23 Dec 23:00 UTC to 26 Dec 23:00 UTC.
    assert freeze_breach(policy, at("2026-12-23T22:59:59+00:00")) is None
    assert freeze_breach(policy, at("2026-12-23T23:00:00+00:00")) is not None
    assert freeze_breach(policy, at("2026-12-26T22:59:59+00:00")) is not None
    assert freeze_breach(policy, at("2026-12-26T23:00:00+00:00")) is None


def test_freeze_window_read_in_another_zone_than_the_servers() -> None:
    policy = parse_policy(
        {
            "freeze": [
                {"from": "2026-12-31T18:00", "to": "2027-01-01T06:00", "zone": "Asia/Shanghai"}
            ]
        }
    )
    breach = freeze_breach(policy, at("2026-12-31T10:30:00+00:00"))  # 18:30 in Shanghai
    assert breach is not None
    assert breach.rule is PolicyRule.FREEZE
    assert "Asia/Shanghai" in breach.detail
    assert freeze_breach(policy, at("2026-12-31T09:59:00+00:00")) is None
    assert freeze_breach(policy, at("2026-12-31T22:00:00+00:00")) is None  # 06:00 next day


def test_freeze_window_with_offsets_needs_no_zone() -> None:
    policy = parse_policy(
        {"freeze": [{"from": "2026-06-01T00:00:00+02:00", "to": "2026-06-02T00:00:00+02:00"}]}
    )
    assert freeze_breach(policy, at("2026-05-31T22:00:00+00:00")) is not None
    assert freeze_breach(policy, at("2026-05-31T21:59:00+00:00")) is None


def test_freeze_window_follows_daylight_saving_time() -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 at 02:00 on 29 March 2026.
    policy = parse_policy(
        {
            "freeze": [
                {"from": "2026-03-28T12:00", "to": "2026-03-29T12:00", "zone": "Europe/Berlin"}
            ]
        }
    )
    window = policy.freeze[0]
    assert window.start == at("2026-03-28T11:00:00+00:00")  # winter time
    assert window.end == at("2026-03-29T10:00:00+00:00")  # summer time: 23 hours long
    assert freeze_breach(policy, at("2026-03-29T10:30:00+00:00")) is None  # 12:30 in Berlin
    assert freeze_breach(policy, at("2026-03-29T09:30:00+00:00")) is not None


def test_weekly_freeze_window_covers_its_days_in_its_zone() -> None:
    policy = parse_policy({"freeze": [{"days": ["SAT", "SUN"], "zone": "Asia/Shanghai"}]})
    # Friday 2026-11-27 16:30 UTC is already Saturday 00:30 in Shanghai.
    assert freeze_breach(policy, at("2026-11-27T16:30:00+00:00")) is not None
    assert freeze_breach(policy, at("2026-11-27T15:59:00+00:00")) is None
    # Sunday 2026-11-29 16:00 UTC is Monday in Shanghai.
    assert freeze_breach(policy, at("2026-11-29T16:00:00+00:00")) is None
    breach = freeze_breach(policy, at("2026-11-28T12:00:00+00:00"))
    assert breach is not None
    assert "every SAT, SUN (Asia/Shanghai)" in breach.detail


def test_freeze_window_compares_moments_not_wall_clocks() -> None:
    policy = parse_policy({"freeze": [{"from": "2026-12-24", "to": "2026-12-24", "zone": "UTC"}]})
    shanghai = timezone(timedelta(hours=8))
    # 07:00 on the 25th in Shanghai is 23:00 on the 24th in UTC: inside.
    assert freeze_breach(policy, datetime(2026, 12, 25, 7, 0, tzinfo=shanghai)) is not None
    assert freeze_breach(policy, datetime(2026, 12, 25, 8, 0, tzinfo=shanghai)) is None


# -- objects ----------------------------------------------------------------------------------


def test_naming_rule_matches_whole_names_per_kind() -> None:
    policy = parse_policy({"naming": {"jobs": "prod_[a-z_]+", "scripts": "sql_.*"}})
    assert written_breaches(policy, WrittenObject("job", "prod_daily")) == []
    [breach] = written_breaches(policy, WrittenObject("job", "my_prod_daily"))
    assert (breach.rule, breach.kind, breach.name) == (PolicyRule.NAMING, "job", "my_prod_daily")
    assert "prod_[a-z_]+" in breach.detail
    assert written_breaches(policy, WrittenObject("job", "prod_daily2"))  # whole name
    assert written_breaches(policy, WrittenObject("script", "sql_x")) == []
    assert written_breaches(policy, WrittenObject("script", "x_sql"))
    assert written_breaches(policy, WrittenObject("resource", "anything")) == []


def test_owner_rule_asks_for_one_of_the_owners() -> None:
    policy = parse_policy({"owners": ["ann", "ops"]})
    assert written_breaches(policy, WrittenObject("job", "a", owner="ops")) == []
    [other] = written_breaches(policy, WrittenObject("job", "a", owner="bob"))
    assert other.rule is PolicyRule.OWNERS
    assert "owner 'bob'" in other.detail
    [none] = written_breaches(policy, WrittenObject("job", "a", owner=None))
    assert "no owner" in none.detail
    assert written_breaches(policy, WrittenObject("script", "s")) == []  # jobs only


def test_owner_rule_star_asks_for_any_owner() -> None:
    policy = parse_policy({"owners": ["*"]})
    assert written_breaches(policy, WrittenObject("job", "a", owner="anyone")) == []
    [none] = written_breaches(policy, WrittenObject("job", "a", owner=""))
    assert "asks for an owner" in none.detail


def test_protected_connections_refuse_objects_using_them() -> None:
    policy = parse_policy({"protectedConnections": ["dws_prod", "ssh_prod"]})
    used = WrittenObject("job", "a", connections=frozenset({"ssh_prod", "dws_test"}))
    [breach] = written_breaches(policy, used)
    assert breach.rule is PolicyRule.PROTECTED_CONNECTIONS
    assert "ssh_prod" in breach.detail
    assert "dws_test" not in breach.detail
    free = WrittenObject("script", "s", connections=frozenset({"dws_test"}))
    assert written_breaches(policy, free) == []


def test_deletion_limit_counts_the_deletions_and_names_them() -> None:
    policy = parse_policy({"maxDeletions": 2})
    assert deletion_breach(policy, [("job", "a"), ("script", "b")]) is None
    deleted = [("job", f"j{i}") for i in range(13)]
    breach = deletion_breach(policy, deleted)
    assert breach is not None
    assert breach.rule is PolicyRule.MAX_DELETIONS
    assert "deletes 13 objects" in breach.detail
    assert "over the limit of 2" in breach.detail
    assert "job 'j0'" in breach.detail
    assert "and 3 more" in breach.detail


def test_deletion_limit_zero_refuses_any_deletion() -> None:
    policy = parse_policy({"maxDeletions": 0})
    assert deletion_breach(policy, []) is None
    assert deletion_breach(policy, [("job", "a")]) is not None
