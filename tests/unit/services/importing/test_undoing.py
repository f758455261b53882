"""What changed since an import ran, object by object (``services.importing.undoing``): each
change record checked against what its object is now (edited, re-submitted, deleted, started),
names the import made that others now use, and old names taken since."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.undoing import (
    changed_since,
    conflicts_of,
    current_objects,
    freed_by_first,
    names_taken,
)
from jobferry.storage.importing import rollbacks as repo
from jobferry.storage.rows import ChangeRow
from support.builders import make_job
from support.planning import (
    create_what_jobs_use,
    import_package,
    jobs_with_dependencies,
    uid_of,
    workspace,
    write_objects,
)


def imported(services: Services, tmp_path: Path, *names: str) -> tuple[Scope, str]:
    scope = workspace(services, "prod")
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(*map(make_job, names)))
    return scope, import_package(services, scope, package).id


def changes(services: Services, scope: Scope, task_id: str) -> list[ChangeRow]:
    with services.db.transaction(readonly=True) as tx:
        return repo.changes_of(tx, scope.workspace.id, task_id)


def since(services: Services, scope: Scope, task_id: str, name: str) -> list[str]:
    """How the object ``name`` the import wrote changed since."""
    with services.db.transaction() as tx:
        found = repo.changes_of(tx, scope.workspace.id, task_id)
        current = current_objects(tx, scope.workspace.id, found)
        [change] = [c for c in found if c.name == name]
        return changed_since(tx, scope.workspace.id, change, current)


def test_an_object_left_as_the_import_wrote_it_has_not_changed(
    services: Services, tmp_path: Path
) -> None:
    scope, task = imported(services, tmp_path, "a_job")
    assert {c.name for c in changes(services, scope, task)} == {
        "a_job",
        "a_job_sh",
        "a_job_sql",
        "udf_jar",
    }
    for name in ("a_job", "a_job_sql", "udf_jar"):
        assert since(services, scope, task, name) == []


def test_edits_new_versions_deletions_and_starts_are_each_found(
    services: Services, tmp_path: Path
) -> None:
    scope, task = imported(services, tmp_path, "a_job", "b_job", "c_job", "d_job")
    services.jobs.update(scope, "a_job", make_job("a_job", description="edited"))
    services.jobs.update(scope, "b_job", make_job("b_job"))  # the same, submitted again
    services.jobs.delete(scope, "c_job")
    services.jobs.start(scope, "d_job")

    assert since(services, scope, task, "a_job") == ["job 'a_job' was edited"]
    assert since(services, scope, task, "b_job") == ["job 'b_job' has a newer version (2)"]
    assert since(services, scope, task, "c_job") == ["job 'c_job' was deleted, renamed or replaced"]
    assert since(services, scope, task, "d_job") == [
        "job 'd_job' is scheduled (SCHEDULING); stop it first"
    ]


def test_an_object_a_later_import_changed_names_that_import(
    services: Services, tmp_path: Path
) -> None:
    """Rolled back newest first: an earlier import's conflict names the later import, until
    that one is rolled back."""
    scope, first = imported(services, tmp_path, "a_job")
    edited = jobs_with_dependencies(make_job("a_job", description="second"))
    second = import_package(services, scope, write_objects(tmp_path / "2.zip", edited)).id
    assert since(services, scope, first, "a_job") == [
        f"job 'a_job' was edited by a later import, {second}: roll that one back first"
    ]
    services.rollback.rollback(scope, second)
    assert since(services, scope, first, "a_job") == []


def test_a_job_outside_the_import_using_a_name_it_made_is_a_conflict(
    services: Services, tmp_path: Path
) -> None:
    scope, task = imported(services, tmp_path, "a_job")
    user: dict[str, Any] = make_job("z_job")
    user["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, user)

    with services.db.transaction() as tx:
        found = repo.changes_of(tx, scope.workspace.id, task)
        current = current_objects(tx, scope.workspace.id, found)
        conflicts = conflicts_of(tx, scope, task, found, current)
    assert conflicts == [
        "job 'z_job' (not part of the import) now uses job 'a_job', a name the import made"
    ]


def test_a_job_that_used_a_name_before_the_import_made_it_is_no_conflict(
    services: Services, tmp_path: Path
) -> None:
    """A job of the target naming a script it did not hold yet (made ahead of the promotion
    that brings it) has not changed since the import: its rollback gives the job back as it
    was, the name unresolved again (it was refused as "now uses ... a name the import made";
    found by the generated promotions, test_generated_promotions.py)."""
    scope = workspace(services, "prod")
    ahead: dict[str, Any] = make_job("z_job")
    ahead["nodes"] = ahead["nodes"][:1]
    ahead["nodes"][0]["properties"][0]["value"] = "a_job_sql"  # which prod does not hold yet
    services.jobs.create(scope, ahead)
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("a_job")))
    task = import_package(services, scope, package).id

    with services.db.transaction() as tx:
        found = repo.changes_of(tx, scope.workspace.id, task)
        current = current_objects(tx, scope.workspace.id, found)
        assert conflicts_of(tx, scope, task, found, current) == []
    services.rollback.rollback(scope, task)
    assert services.jobs.show(scope, "z_job").document["nodes"] == ahead["nodes"]


def test_an_old_name_taken_since_a_rename_is_a_conflict_of_the_second_pass(
    services: Services, tmp_path: Path
) -> None:
    scope, _ = imported(services, tmp_path, "a_job")
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "b_job", {**make_job("a_job"), "name": "b_job"})
    package = write_objects(tmp_path / "2.zip", objects, uids={"b_job": uid_of("job", "a_job")})
    task = import_package(services, scope, package).id
    [rename] = [c for c in changes(services, scope, task) if c.action == "RENAME"]
    assert (rename.name, rename.kind) == ("b_job", "job")

    with services.db.transaction(readonly=True) as tx:
        assert names_taken(tx, scope.workspace.id, [rename]) == []
    services.jobs.create(scope, make_job("a_job", description="made after"))
    with services.db.transaction(readonly=True) as tx:
        [taken] = names_taken(tx, scope.workspace.id, [rename])
    assert taken.startswith("job 'a_job' was made after the import")


def test_a_check_before_the_first_pass_counts_the_names_it_will_free(
    services: Services, tmp_path: Path
) -> None:
    """a_job renamed to b_job and a new a_job made by the same import: before the first pass,
    a_job is held — by the import's own object, which the first pass removes."""
    scope, _ = imported(services, tmp_path, "a_job")
    objects = jobs_with_dependencies(make_job("a_job"), make_job("c_job"))
    objects = [o for o in objects if o[0] != "job"] + [
        ("job", "b_job", {**make_job("a_job"), "name": "b_job"}),
        ("job", "a_job", {**make_job("c_job"), "name": "a_job"}),
    ]
    uids = {"b_job": uid_of("job", "a_job"), "a_job": uid_of("job", "c_job")}
    task = import_package(services, scope, write_objects(tmp_path / "2.zip", objects, uids=uids)).id
    found = changes(services, scope, task)
    [rename] = [c for c in found if c.action == "RENAME"]
    freed = freed_by_first(found)
    assert {("job", "a_job"), ("job", "b_job")} <= freed

    with services.db.transaction(readonly=True) as tx:
        [held] = names_taken(tx, scope.workspace.id, [rename])
        assert held.startswith("job 'a_job' was made after the import")
        assert names_taken(tx, scope.workspace.id, [rename], frozenset(freed)) == []


def test_a_link_is_checked_on_its_ledger_row_not_on_its_object(
    services: Services, tmp_path: Path
) -> None:
    """An object the import only linked was not written by it: edited since, it is no
    conflict (the rollback leaves it and gives back its ledger rows)."""
    scope = workspace(services, "prod")
    entries = jobs_with_dependencies(make_job("a_job"))
    package = write_objects(tmp_path / "p.zip", entries)
    create_what_jobs_use(services, scope, package)  # a_job's scripts and resource, as they are
    task = import_package(services, scope, package).id
    [sql] = [document for _, name, document in entries if name == "a_job_sql"]
    services.scripts.update(scope, "a_job_sql", {**sql, "content": "select 2;"})
    found = changes(services, scope, task)
    assert {(c.name, c.action) for c in found if c.object_id is None} == {
        ("a_job_sh", "LINK"),
        ("a_job_sql", "LINK"),
        ("udf_jar", "LINK"),
    }
    with services.db.transaction() as tx:
        current = current_objects(tx, scope.workspace.id, found)
        assert ("script", "a_job_sql") not in current
        assert conflicts_of(tx, scope, task, found, current) == []
