"""What a promotion carried, in words (``domain.routes.carried_words``), as every tool says it."""

from __future__ import annotations

from jobferry.domain.routes import carried_words, package_file_name


def test_what_a_promotion_carried_is_said_by_kind_and_never_as_zero_jobs_beside_scripts() -> None:
    assert carried_words(0, 0, 1, 0) == "1 script(s), 0 deletion(s)"
    assert carried_words(2, 1, 3, 1) == "2 job(s), 3 script(s), 1 resource(s), 1 deletion(s)"
    assert carried_words(0, 2, 0, 0) == "0 job(s), 2 deletion(s)"
    assert carried_words(4, 0) == "4 job(s), 0 deletion(s)"  # recorded before it counted more


def test_a_route_s_package_is_named_for_the_route_and_when_it_was_made_in_utc() -> None:
    """Read in the audit log beside the route's history: when, not a count of milliseconds."""
    made = 1796014730917  # 2026-11-30 04:58:50.917 UTC
    assert package_file_name("test-prod", made) == "test-prod_20261130T045850.917Z.zip"
    assert package_file_name("r", 1796014730000) == "r_20261130T045850.000Z.zip"
