"""Matching a package's objects to the target's (``services.importing.matching``): by stable
identity through the ledger the last import left (a name changed in the source is a rename),
by name for packages without identities and objects the ledger does not know, and the name
rules between them (a name held by another object of the source, an object taken over)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.matching import Matcher, Source, package_source
from jobferry.services.importing.model import PlannedObject
from jobferry.services.importing.prepare import transformed
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    uid_of,
    workspace,
    write_objects,
)


def matched(
    services: Services, scope: Scope, package: Path, **asked: Any
) -> dict[str, PlannedObject]:
    """Every object of ``package`` matched against the scope's workspace, by name."""
    request = ImportRequest(path="upload://p", **asked)
    with PackageReader(package) as reader, services.db.transaction(readonly=True) as tx:
        source = package_source(reader)
        transform = Transform(request, None)
        identified = source.workspace_id is not None
        items = [transformed(transform, obj, identified) for obj in reader.objects()]
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        Matcher(target, source, reader, request).match(items)
    return {item.name: item for item in items}


def jobs(tmp_path: Path, name: str, *job_names: str, **kw: Any) -> Path:
    return write_objects(tmp_path / name, jobs_with_dependencies(*map(make_job, job_names)), **kw)


def _renamed(job: str, to: str) -> dict[str, Any]:
    """make_job(job) under the name ``to`` (its nodes still use ``job``'s scripts)."""
    return {**make_job(job), "name": to}


def test_the_source_of_a_package_is_its_manifest_s_workspace(tmp_path: Path) -> None:
    with PackageReader(jobs(tmp_path, "a.zip", "a_job", header=None)) as reader:
        assert package_source(reader) == Source(None)
    gone = (("job", "uid-9", "old_job"),)
    with PackageReader(
        jobs(tmp_path, "b.zip", "a_job", inventory=("job",), deleted=gone)
    ) as reader:
        source = package_source(reader)
    assert source.workspace_id == "ws-test"
    assert source.inventory == frozenset({"job"})
    assert source.deleted == frozenset({("job", "uid-9")})
    assert source.names == {("job", "uid-9"): "old_job"}


def test_a_job_renamed_in_the_source_is_found_by_identity(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, jobs(tmp_path, "1.zip", "a_job"))
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "b_job", _renamed("a_job", "b_job"))
    package = write_objects(tmp_path / "2.zip", objects, uids={"b_job": uid_of("job", "a_job")})

    item = matched(services, scope, package)["b_job"]

    assert item.target is not None
    assert item.target.name == "a_job"
    assert item.previous_name == "a_job"
    assert item.ledger is not None
    assert item.ledger.source_uid == uid_of("job", "a_job")
    assert item.holder is None


def test_without_identities_objects_are_matched_by_name(services: Services, tmp_path: Path) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, jobs(tmp_path, "1.zip", "a_job"))

    item = matched(services, scope, jobs(tmp_path, "2.zip", "a_job", header=None))["a_job"]

    assert item.target is not None
    assert item.target.name == "a_job"
    assert item.uid is None
    assert item.ledger is None
    assert item.previous_name is None


def test_an_object_made_in_the_target_is_matched_by_name(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    package = jobs(tmp_path, "1.zip", "a_job")
    import_package(services, scope, package)
    services.jobs.create(scope, make_job("b_job", description="made here"))
    again = jobs(tmp_path, "2.zip", "a_job", "b_job")

    found = matched(services, scope, again)

    assert found["b_job"].target is not None
    assert found["b_job"].ledger is None
    assert found["a_job"].ledger is not None  # the one the last import wrote


def test_a_swap_of_names_leaves_each_name_held_by_the_other_object(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, jobs(tmp_path, "1.zip", "a_job", "b_job"))
    objects = jobs_with_dependencies(make_job("a_job"), make_job("b_job"))
    objects[0] = ("job", "b_job", _renamed("a_job", "b_job"))
    objects[4] = ("job", "a_job", _renamed("b_job", "a_job"))
    uids = {"b_job": uid_of("job", "a_job"), "a_job": uid_of("job", "b_job")}

    found = matched(services, scope, write_objects(tmp_path / "2.zip", objects, uids=uids))

    a, b = found["a_job"], found["b_job"]
    assert (a.previous_name, b.previous_name) == ("b_job", "a_job")
    assert a.target is not None
    assert b.target is not None
    assert a.holder == b.target.uid
    assert b.holder == a.target.uid


def test_a_new_source_object_takes_over_a_name_whose_old_object_stays_or_goes(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, jobs(tmp_path, "1.zip", "a_job"))
    replaced = {"a_job": "uid-new"}
    package = jobs(tmp_path, "2.zip", "a_job", uids=replaced)

    item = matched(services, scope, package)["a_job"]
    assert item.adopted is not None
    assert item.adopted.source_uid == uid_of("job", "a_job")
    assert item.target is not None
    assert item.holder is None

    whole = jobs(tmp_path, "3.zip", "a_job", uids=replaced, inventory=("job",))
    going = matched(services, scope, whole, propagate_deletes=True)["a_job"]
    assert going.target is None
    assert going.adopted is None
    assert going.holder is not None
