"""An import that submits (``targetStatus`` SUBMITTED or PRODUCTION) stores a new version of
each job and script it writes (docs/api.md, "Import", *Apply*): an object whose development
state already holds the package's text is written again when its newest submitted version is
not that text (it was never submitted: a previous import or save only saved it; or it was
saved since its last submit), so that the import leaves it submitted as it promised. Only an
object already submitted as the package holds it is UNCHANGED, with no version (re-importing
the same package)."""

from __future__ import annotations

from pathlib import Path

from orjson import dumps

from jobferry.domain.enums import ObjectKind, SameNamePolicy
from jobferry.services.container import Services
from jobferry.storage.tables import job_versions
from support.builders import make_job, make_script
from support.console import mark_shadow
from support.planning import import_package, plan_of, workspace, write_objects


def _package(tmp_path: Path) -> Path:
    script = make_script("ja_sql", connectionName="dws_conn")
    job = make_job(
        "ja",
        nodes=[
            {
                "name": "load",
                "type": "DWSSQL",
                "location": {"x": "10", "y": "20"},
                "properties": [
                    {"name": "scriptName", "value": "ja_sql"},
                    {"name": "connectionName", "value": "dws_conn"},
                ],
            }
        ],
    )
    return write_objects(tmp_path / "p.zip", [("script", "ja_sql", script), ("job", "ja", job)])


def test_a_submit_of_what_an_import_only_saved_makes_a_version(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "subm1")
    package = _package(tmp_path)
    import_package(services, scope, package, targetStatus="SAVED")
    assert services.comparisons.versions(scope, ObjectKind.JOB, "ja") == []
    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)
    assert plan.actions() == [("script", "ja_sql", "OVERWRITE"), ("job", "ja", "OVERWRITE")]
    assert plan.line("ja").get("diff") in (None, [])
    # sameNamePolicy SKIP leaves it as it is, and says so (not UNCHANGED: it is not submitted).
    skipping = plan_of(services, scope, package, same_name_policy=SameNamePolicy.SKIP)
    assert {action for _, _, action in skipping.actions()} == {"SKIP"}
    import_package(services, scope, package, targetStatus="SUBMITTED")
    assert [v.version for v in services.comparisons.versions(scope, ObjectKind.JOB, "ja")] == [1]
    assert services.scripts.show(scope, "ja_sql").version == 1
    services.jobs.start(scope, "ja")
    # Submitted as the package holds it, the same import again is UNCHANGED and makes none.
    again = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)
    assert {action for _, _, action in again.actions()} == {"UNCHANGED"}
    import_package(services, scope, package, targetStatus="SUBMITTED")
    assert [v.version for v in services.comparisons.versions(scope, ObjectKind.JOB, "ja")] == [1]


def test_a_submit_of_the_saved_text_submitted_otherwise_makes_a_version(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "subm2")
    package = _package(tmp_path)
    import_package(services, scope, package, targetStatus="SUBMITTED")
    job = services.jobs.show(scope, "ja").document
    services.jobs.update(scope, "ja", {**job, "description": "by hand"})  # version 2
    services.jobs.update(scope, "ja", {**job, "targetStatus": "SAVED"})  # text back, unsubmitted
    import_package(services, scope, package, targetStatus="SUBMITTED")
    versions = services.comparisons.versions(scope, ObjectKind.JOB, "ja")
    assert [v.version for v in versions] == [3, 2, 1]
    shown = services.jobs.show(scope, "ja", submitted=True).document
    assert "description" not in shown


def test_a_version_apart_from_the_saved_text_in_form_alone_is_not_due(
    services: Services, tmp_path: Path
) -> None:
    """A submitted version that differs from the development state in its name (renamed
    since), in what a server owns or in key order (as a refresh keeps a remote's) holds it as
    it stands; in a shadow everything counts as submitted (a refresh reads no script versions,
    a snapshot's no versions at all)."""
    scope = workspace(services, "shadowed")
    package = _package(tmp_path)
    import_package(services, scope, package, targetStatus="SAVED")
    mark_shadow(services, scope.workspace.id, "prod_remote")
    shadow = services.accounts.scope(scope.actor, scope.actor.project_id, scope.workspace.id)
    plan = plan_of(services, shadow, package, same_name_policy=SameNamePolicy.OVERWRITE)
    assert plan.actions() == [("script", "ja_sql", "UNCHANGED"), ("job", "ja", "UNCHANGED")]
    mark_shadow(services, scope.workspace.id, None)
    import_package(services, scope, package, targetStatus="SUBMITTED")
    job = services.jobs.show(scope, "ja").document
    alike = {"lastUpdateTime": 1, **dict(reversed(list(job.items()))), "name": "old"}
    for kept, due in ((alike, "UNCHANGED"), ({**job, "description": "other"}, "OVERWRITE")):
        with services.db.transaction() as tx:
            tx.conn.execute(job_versions.update().values(document=dumps(kept).decode()))
        plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)
        assert plan.actions() == [("script", "ja_sql", "UNCHANGED"), ("job", "ja", due)]
