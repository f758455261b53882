"""Where an import reads from (``services.importing.sources``), each an ``ImportSource``: a
package file (an upload, or an object in object storage) fetched and read, a workspace of this
server exported whole into a scratch package and read, a folder of definition files checked,
packed and read. Each opens to the same stream of package objects, leaves no scratch file
behind, and is named in task titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import PlanAction
from jobferry.errors import InvalidRequestError, ObsReadError
from jobferry.package.reader import ReadLimits
from jobferry.services.container import Services
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.matching import package_source
from jobferry.services.importing.sources import FolderSource, PackageFile, WorkspaceSource
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.console import admin_scope, seed
from support.packages import objects_for, write_package
from support.planning import plan_into, planned_actions, upload, workspace

CREATED = {
    ("script", "daily_sales_sql"): PlanAction.CREATE,
    ("script", "daily_sales_sh"): PlanAction.CREATE,
    ("resource", "udf_jar"): PlanAction.CREATE,
    ("job", "daily_sales"): PlanAction.CREATE,
}
"""The plan of daily_sales with what it uses into an empty workspace."""


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path


def test_an_uploaded_package_file_is_named_by_its_file_name_and_read_whole(
    services: Services, tmp_path: Path
) -> None:
    target = workspace(services, "prod")
    path = upload(services, target, write_package(tmp_path / "DLF_daily.zip"))
    source = PackageFile(services.imports.packages, target, path)
    assert source.title() == "DLF_daily.zip"
    with (
        source.open() as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        plan = plan_into(LocalWorkspace(tx, target), reader, workset)
        actions = planned_actions(plan, workset)
    assert actions == CREATED
    assert plan.problems_total == 0
    assert list(services.imports.packages.scratch.iterdir()) == []  # the fetched copy is gone


def test_a_package_file_is_looked_up_among_the_uploads_of_its_scope_only(
    services: Services, tmp_path: Path
) -> None:
    path = upload(services, admin_scope(services), write_package(tmp_path / "p.zip"))
    elsewhere = PackageFile(services.imports.packages, workspace(services, "prod"), path)
    with pytest.raises(ObsReadError, match="upload it again"):
        elsewhere.title()
    with pytest.raises(ObsReadError, match="upload it again"), elsewhere.open():
        pass


def test_a_workspace_of_this_server_is_a_source_read_as_its_exported_package(
    services: Services, scratch: Path
) -> None:
    source = admin_scope(services)
    seed(services, source)
    target = workspace(services, "prod")
    exported = WorkspaceSource(services.db, source, ReadLimits(), scratch)
    assert exported.title() == f"workspace '{source.workspace.name}'"
    with (
        exported.open() as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        assert package_source(reader).workspace_id == source.workspace.id
        assert package_source(reader).inventory == {"job", "script", "resource"}
        plan = plan_into(LocalWorkspace(tx, target), reader, workset)
        actions = planned_actions(plan, workset)
    assert actions == CREATED
    assert plan.problems_total == 0
    assert list(scratch.iterdir()) == []  # the scratch package is gone


def test_a_workspace_source_stops_at_its_job_cap(services: Services, scratch: Path) -> None:
    source = admin_scope(services)
    seed(services, source, ("a_job", "b_job"))
    capped = WorkspaceSource(services.db, source, ReadLimits(), scratch, max_jobs=1)
    with pytest.raises(InvalidRequestError, match="over the cap of 1"), capped.open():
        pass
    assert list(scratch.iterdir()) == []


def test_a_folder_of_definitions_is_a_source_packed_then_read(
    services: Services, tmp_path: Path, scratch: Path
) -> None:
    folder = tmp_path / "definitions"
    for kind, name, document in objects_for(make_job("daily_sales")):
        path = folder / f"{kind}s" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(document))
    source = FolderSource(folder, ReadLimits(), scratch)
    assert source.title() == "folder 'definitions'"
    target = workspace(services, "prod")
    with (
        source.open() as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        assert package_source(reader).workspace_id is None  # a folder's objects match by name
        plan = plan_into(LocalWorkspace(tx, target), reader, workset)
        actions = planned_actions(plan, workset)
    assert actions == CREATED
    assert list(scratch.iterdir()) == []


def test_a_folder_with_a_broken_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "broken.json").write_text("{not json")
    source = FolderSource(tmp_path, ReadLimits(), tmp_path)
    with pytest.raises(InvalidRequestError, match=r"jobs/broken\.json") as refused, source.open():
        pass
    assert len(refused.value.context["problems"]) == 1
