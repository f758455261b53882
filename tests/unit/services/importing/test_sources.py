"""Where an import reads from (``services.importing.sources``), the ``ImportSource``: a package
file (an upload, or an object in object storage) fetched and read as a stream of package
objects, leaving no scratch file behind, named in task titles by its file name, and looked up
among the uploads of its own scope only. (A workspace reaches an import as a route's cut,
``tests/unit/services/routes/test_cutting.py``; a folder as its package,
``tests/unit/package/test_folder.py`` and ``test_deletes.py``.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import PlanAction
from jobferry.errors import ObsReadError
from jobferry.services.container import Services
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.sources import PackageFile
from jobferry.storage.importing.workset import Workset
from support.console import admin_scope
from support.packages import write_package
from support.planning import plan_into, planned_actions, upload, workspace

CREATED = {
    ("script", "daily_sales_sql"): PlanAction.CREATE,
    ("script", "daily_sales_sh"): PlanAction.CREATE,
    ("resource", "udf_jar"): PlanAction.CREATE,
    ("job", "daily_sales"): PlanAction.CREATE,
}
"""The plan of daily_sales with what it uses into an empty workspace."""


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
