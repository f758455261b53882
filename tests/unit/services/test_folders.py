"""Folder listings and folder-level selections over a real database (SQLite and PostgreSQL):
one folder at a time, sub-folders first, pages of 100, filters applied to counts and rows,
and a ticked folder expanded to exactly the jobs its count promised."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus, ObjectKind, ProcessType
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.folders import (
    PAGE_SIZE,
    FolderPage,
    JobItem,
    ResourceItem,
    ScriptItem,
    parse_folder_query,
    parse_job_selection,
)
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope
from support.seeding import bulk_jobs


def _seed(services: Services, scope: Scope) -> None:
    """Jobs in /, /etl (spelled two ways), /etl/daily, /reports; two tags; day_2 only saved
    (never submitted)."""
    services.environment.put(scope, "connection", "dws_conn", {"type": "DWS", "config": {}})
    services.environment.put(scope, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    for name, directory, tag in [
        ("top", "/", "daily"),
        ("load_a", "/etl", "daily"),
        ("load_b", "/etl/", "weekly"),
        ("day_1", "/etl/daily", "daily"),
        ("day_2", "/etl/daily", "weekly"),
        ("report", "/reports", "weekly"),
    ]:
        job = make_job(name, directory=directory, basicConfig={"owner": "o", "tags": [tag]})
        if name == "day_2":
            job["targetStatus"] = "SAVED"
        services.jobs.create(scope, job)


def _names(page: FolderPage) -> list[str]:
    return [item.name for item in page.items]


def test_a_folder_lists_its_sub_folders_with_counts_then_its_own_jobs(services: Services) -> None:
    scope = admin_scope(services)
    _seed(services, scope)

    root = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/"))
    etl = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/etl/"))

    assert [(f.name, f.path, f.count) for f in root.folders] == [
        ("etl", "/etl", 4),
        ("reports", "/reports", 1),
    ]
    assert _names(root) == ["top"]
    assert (root.count, root.entries, root.pages) == (6, 3, 1)
    assert root.crumbs == [("/", "/")]
    assert [(f.name, f.count) for f in etl.folders] == [("daily", 2)]
    assert _names(etl) == ["load_a", "load_b"]  # both spellings of /etl are one folder
    assert etl.crumbs == [("/", "/"), ("etl", "/etl")]
    first = etl.items[0]
    assert isinstance(first, JobItem)
    assert (first.tags, first.path) == (["daily"], "/etl")
    assert (first.process_type, first.status, first.version) == (
        ProcessType.BATCH,
        JobStatus.STOPPED,
        1,
    )


def test_a_job_row_names_its_owner_else_its_creator_as_the_job_itself_does(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("owned", directory="/t", basicConfig={"owner": "o"}))
    services.jobs.create(scope, make_job("unowned", directory="/t", basicConfig={"owner": ""}))

    page = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/t"))

    owners = {item.name: item.owner for item in page.items if isinstance(item, JobItem)}
    assert owners == {"owned": "o", "unowned": scope.actor.name}
    assert owners["unowned"] == services.jobs.detail(scope, "unowned").owner


def test_filters_apply_to_the_counts_and_the_rows(services: Services) -> None:
    scope = admin_scope(services)
    _seed(services, scope)

    weekly = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/", tag="weekly"))
    named = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/etl", name="day"))
    fresh = services.folders.page(
        scope, ObjectKind.JOB, parse_folder_query("/etl/daily", status="unsubmitted")
    )

    assert [(f.name, f.count) for f in weekly.folders] == [("etl", 2), ("reports", 1)]
    assert _names(weekly) == []
    assert [(f.name, f.count) for f in named.folders] == [("daily", 2)]
    assert _names(named) == []
    assert _names(fresh) == ["day_2"]


def test_a_large_folder_pages_sub_folders_first_then_jobs(services: Services) -> None:
    scope = admin_scope(services)
    bulk_jobs(
        services,
        scope,
        2 * PAGE_SIZE + 30,
        folder=lambda i: "/big" if i >= 30 else f"/big/s{i:02d}",
    )

    first = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/big"))
    second = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/big", page=2))
    third = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/big", page=3))
    beyond = services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/big", page=99))

    assert (first.entries, first.pages, first.count) == (30 + 2 * PAGE_SIZE, 3, 2 * PAGE_SIZE + 30)
    assert len(first.folders) == 30
    assert len(first.items) == PAGE_SIZE - 30
    assert _names(first)[0] == "job_000030"
    assert second.folders == []
    assert len(second.items) == PAGE_SIZE
    assert _names(second)[0] == f"job_{30 + PAGE_SIZE - 30:06d}"
    assert len(third.items) == 30
    shown = _names(first) + _names(second) + _names(third)
    assert shown == sorted(set(shown))
    assert len(shown) == 2 * PAGE_SIZE
    assert beyond.page == 3
    assert _names(beyond) == _names(third)


def test_scripts_and_resources_are_listed_by_folder_too(services: Services) -> None:
    scope = admin_scope(services)
    services.scripts.create(scope, make_script("q1", directory="/sql/daily"))
    services.scripts.create(scope, make_script("q2", directory="/sql"))
    services.resources.create(scope, make_resource("udf", directory="/libs"))

    sql = services.folders.page(scope, ObjectKind.SCRIPT, parse_folder_query("/sql"))
    libs = services.folders.page(scope, ObjectKind.RESOURCE, parse_folder_query("/libs"))

    assert [(f.name, f.count) for f in sql.folders] == [("daily", 1)]
    assert sql.items == [
        ScriptItem(
            name="q2",
            type="DWSSQL",
            connection_name="dws_conn",
            database="postgres",
            queue_name=None,
            version=1,
            updated_at=sql.items[0].updated_at,
            updated_by="admin",
            path="/sql",
        )
    ]
    assert [
        (r.name, r.type, r.location, r.depends) for r in libs.items if isinstance(r, ResourceItem)
    ] == [("udf", "jar", "obs://bucket/libs/udf.jar", 0)]


def test_a_folder_name_starting_or_ending_in_blanks_is_kept_as_sent_at_every_depth(
    services: Services,
) -> None:
    """``/etl `` and its child ``/etl /x`` are one folder ``etl `` (not ``etl``), whether the
    blank ends the whole directory or a segment within it, for jobs created or updated and for
    scripts: the folder is read as the definition names it, nothing trimmed."""
    scope = admin_scope(services)
    services.environment.put(scope, "connection", "dws_conn", {"type": "DWS", "config": {}})
    services.environment.put(scope, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    services.jobs.create(scope, make_job("top_job", directory="/etl "))
    services.jobs.create(scope, make_job("child_job", directory="/etl /x"))
    services.jobs.create(scope, make_job("moved_job", directory="/elsewhere"))
    services.jobs.update(scope, "moved_job", make_job("moved_job", directory=" /lead "))
    services.scripts.create(scope, make_script("top_sql", directory="/etl "))
    services.scripts.create(scope, make_script("child_sql", directory="/etl /x"))

    def listed(kind: ObjectKind, folder: str) -> tuple[list[tuple[str, int]], list[str]]:
        page = services.folders.page(scope, kind, parse_folder_query(folder))
        return [(f.path, f.count) for f in page.folders], _names(page)

    assert listed(ObjectKind.JOB, "/") == ([("/ ", 1), ("/etl ", 2)], [])
    assert listed(ObjectKind.JOB, "/etl ") == ([("/etl /x", 1)], ["top_job"])
    assert listed(ObjectKind.JOB, "/etl") == ([], [])
    assert listed(ObjectKind.JOB, "/ /lead ") == ([], ["moved_job"])
    assert listed(ObjectKind.SCRIPT, "/") == ([("/etl ", 2)], [])
    assert listed(ObjectKind.SCRIPT, "/etl ") == ([("/etl /x", 1)], ["top_sql"])
    assert services.jobs.show(scope, "top_job").document["directory"] == "/etl "


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"status": "running"}, "status 'running'"),
        ({"page": "0"}, "page '0'"),
        ({"page": "x"}, "page 'x'"),
    ],
)
def test_a_bad_listing_query_is_refused_naming_the_field(
    fields: dict[str, str], words: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_folder_query("/", **fields)  # type: ignore[arg-type]
    assert words in refused.value.message


def test_a_ticked_folder_selects_its_filtered_jobs_and_the_nearest_tick_decides(
    services: Services,
) -> None:
    scope = admin_scope(services)
    _seed(services, scope)
    everything = parse_folder_query("/")

    def selected(**ticks: list[str]) -> list[str]:
        selection = parse_job_selection(
            ticks.get("jobs", []),
            ticks.get("folders", []),
            ticks.get("not_jobs", []),
            ticks.get("not_folders", []),
            ticks.pop("query", everything),  # type: ignore[arg-type]
        )
        return services.folders.selected_jobs(scope, selection)

    assert selected(folders=["/etl"]) == ["day_1", "day_2", "load_a", "load_b"]
    assert selected(folders=["/etl/"], not_jobs=["load_b"]) == ["day_1", "day_2", "load_a"]
    assert selected(folders=["/etl"], not_folders=["/etl/daily"]) == ["load_a", "load_b"]
    assert selected(folders=["/etl"], not_folders=["/etl/daily"], jobs=["day_2"]) == [
        "day_2",
        "load_a",
        "load_b",
    ]
    assert selected(folders=["/"], not_folders=["/etl"]) == ["report", "top"]
    assert selected(jobs=["top", "report"], not_jobs=["report"]) == ["top"]
    weekly = parse_folder_query("/", tag="weekly")
    assert selected(folders=["/"], query=weekly) == ["day_2", "load_b", "report"]  # type: ignore[arg-type]
