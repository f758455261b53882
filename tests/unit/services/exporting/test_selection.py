"""The export selection (``services.exporting.selection``): jobs ordered as their entries go
into the package, held as ids; named jobs, pasted name lists and upstream jobs found in a real
workspace (SQLite and PostgreSQL), or refused naming what is wrong."""

from __future__ import annotations

import pytest

from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, JobNotFoundError
from jobferry.package.layout import Layout
from jobferry.services.container import Services
from jobferry.services.exporting.selection import (
    BATCH,
    SAMPLE,
    add_upstream,
    check_batch_size,
    check_name_list,
    ordered,
    require_submitted,
    select_jobs,
)
from jobferry.storage.exports import JobHead
from support.builders import make_job
from support.console import admin_scope, seed


def heads(*names: str) -> list[JobHead]:
    return [JobHead(i + 1, name, None) for i, name in enumerate(names)]


def test_single_layout_orders_by_entry_path_not_by_name() -> None:
    # 'a-b.job' < 'a.job' ('-' sorts before '.'), though 'a' < 'a-b' by name.
    selection = ordered(heads("a", "a-b", "B"), Layout.SINGLE)
    assert list(selection.ids) == [3, 2, 1]
    assert selection.sample == ["B", "a-b", "a"]
    assert selection.layout is Layout.SINGLE


def test_batch_layout_orders_by_job_folder() -> None:
    # 'a/' > 'a-b/' as well, but 'a_b/' > 'a/' ('_' sorts after '/').
    selection = ordered(heads("a_b", "a", "a-b"), Layout.BATCH)
    assert list(selection.ids) == [3, 2, 1]


def test_batches_cover_the_selection_in_order_and_the_sample_is_bounded() -> None:
    count = 2 * BATCH + 7
    selection = ordered(heads(*(f"job_{i:05d}" for i in range(count))), Layout.SINGLE)
    batches = list(selection.batches())
    assert [len(b) for b in batches] == [BATCH, BATCH, 7]
    assert [i for b in batches for i in b] == list(range(1, count + 1))
    assert len(selection) == count
    assert len(selection.sample) == SAMPLE


def test_named_jobs_are_found_or_every_missing_one_is_named(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job"))
    with services.db.transaction(readonly=True) as tx:
        assert sorted(h.name for h in select_jobs(tx, scope, ["b_job", "a_job", "b_job"])) == [
            "a_job",
            "b_job",
        ]
        with pytest.raises(JobNotFoundError) as refused:
            select_jobs(tx, scope, ["a_job", "x_job", "y_job"])
    assert refused.value.context["missing"] == ["x_job", "y_job"]
    assert "'x_job', 'y_job' not found" in refused.value.message  # near no name: as they were


def test_a_job_asked_for_by_a_name_amiss_names_the_one_meant(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    with services.db.transaction(readonly=True) as tx, pytest.raises(JobNotFoundError) as refused:
        select_jobs(tx, scope, ["daily_sale", "Weekly_Sales", "other"])
    said = refused.value.message
    assert (
        "'Weekly_Sales' (did you mean 'weekly_sales'?), 'daily_sale' (did you mean "
        "'daily_sales'?), 'other' not found"
    ) in said
    assert refused.value.context["missing"] == ["Weekly_Sales", "daily_sale", "other"]


def test_a_pasted_name_list_is_checked_name_by_name(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("a_job",))
    with services.db.transaction(readonly=True) as tx:
        report = check_name_list(tx, scope, [" a_job ", "a_job", "A_Job", "bad name!", ""], 10)
        with pytest.raises(InvalidRequestError, match="at most 1"):
            check_name_list(tx, scope, ["a_job", "b_job"], 1)
        with pytest.raises(InvalidRequestError, match="empty"):
            check_name_list(tx, scope, [" "], 10)
    assert report.matched == ["a_job"]
    assert report.duplicates == ["a_job"]
    reasons = {u.name: u.reason for u in report.unmatched}
    assert "did you mean 'a_job'" in reasons["A_Job"]
    assert set(reasons) == {"A_Job", "bad name!"}


def test_a_name_pasted_twice_counts_once_and_a_case_slip_suggests_the_same_name_always(
    services: Services,
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("Sales", "sales"))
    with services.db.transaction(readonly=True) as tx:
        twice = check_name_list(tx, scope, ["sales", "sales", "Sales"], 2)
        slip = check_name_list(tx, scope, ["SALES"], 2)
    assert twice.matched == ["sales", "Sales"]
    assert twice.duplicates == ["sales"]
    (unmatched,) = slip.unmatched
    assert "did you mean 'Sales'?" in unmatched.reason  # the first by code point, every run


def test_upstream_jobs_are_added_and_missing_ones_reported(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job"))
    downstream = make_job("c_job")
    downstream["nodes"] = downstream["nodes"][:1]
    downstream["nodes"][0]["properties"][0]["value"] = "a_job_sql"
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["b_job", "ghost_job"]}
    services.jobs.create(scope, downstream)
    with services.db.transaction(readonly=True) as tx:
        heads, unresolved = add_upstream(tx, scope, select_jobs(tx, scope, ["c_job"]))
    assert sorted(h.name for h in heads) == ["b_job", "c_job"]
    assert unresolved == [{"kind": "job", "name": "ghost_job", "reason": "upstream job not found"}]
    with pytest.raises(InvalidRequestError, match="never submitted") as refused:
        require_submitted(scope, [JobHead(1, "draft", None)])
    # Its fix is said by each client in its own terms (the CLI: --status develop).
    assert refused.value.remedy == Remedy.EXPORT_DEVELOPMENT
    with pytest.raises(InvalidRequestError, match="at most 1"):
        check_batch_size(["a", "b"], 1)
