"""Generated stories of the Terraform provider's job, script and resource (configurations drawn
by ``support/terraform_stories.py`` over each schema): each is created as the provider creates
it, read back and flattened as its Read does, and set into state as the plugin SDK sets it
(``support/terraform_state.py``). Whatever the configuration:

- Read's ``d.Set`` takes every value jobferry answered (a value of another type than the
  schema's fails the Read, so the user's apply);
- the next plan shows no change: every argument the configuration sets comes back as set, and
  every non-Computed one it leaves out comes back empty (``target_status`` and ``approvers``
  of a script aside: DataArts does not answer them either, docs/api.md "Compatibility");
- the Computed-only arguments come back set (a script's ``auto_acquire_lock`` aside: the
  contract names no such field, docs/api.md "Compatibility");
- the same after an update of a drawn subset of the arguments (sent as the SDK plans them:
  Optional+Computed ones left out are sent as state holds them);
- after the delete, Read finds it gone (the provider's CheckDeleted: 404, or the 400 codes it
  converts), so a later plan creates it again instead of failing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from support.import_stories import generated
from support.terraform import GoResponseError, TerraformClient
from support.terraform_jobs import create_job, delete_job, read_job, update_job
from support.terraform_provider import (
    create_resource,
    create_script,
    delete_resource,
    delete_script,
    read_resource,
    read_script,
    update_resource,
    update_script,
)
from support.terraform_state import (
    JOB,
    RESOURCE,
    SCRIPT,
    Schema,
    d_get,
    d_set,
    plan,
    unset_computed,
)
from support.terraform_stories import (
    NAMES,
    SCRIPT_UPDATABLE,
    job_updates,
    jobs,
    resources,
    scripts,
    updates,
)

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz, pytest.mark.databases("sqlite")]
GENERATED = generated(20)
_SERIAL = itertools.count()
UNANSWERED = ("target_status", "approvers")
"""A script's arguments DataArts does not answer (the provider's own comment says so)."""
UNNAMED = ("auto_acquire_lock",)
"""A script's Computed argument the contract does not name (docs/api.md, "Compatibility"):
jobferry does not answer it, and state holds ``false``."""


def _gone(read: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """Read through the provider's ``CheckDeletedDiag``: a 404 is gone too."""
    try:
        return read()
    except GoResponseError as exc:
        if exc.status == 404:
            return None
        raise


def applied(
    schema: Schema, config: dict[str, Any], read: Callable[[], dict[str, Any] | None]
) -> dict[str, Any]:
    """The state after Read, checked as the next plan checks it."""
    found = _gone(read)
    assert found is not None, "read as gone right after it was written"
    note(f"read: {found!r}")
    state, errors = d_set(schema, found)
    assert errors == [], "d.Set fails the Read"
    ignored = UNANSWERED if schema is SCRIPT else ()
    wanted = {key: value for key, value in config.items() if key not in ignored}
    assert plan(schema, wanted, state) == [], "the next plan shows changes"
    assert [name for name in unset_computed(schema, found) if name not in UNNAMED] == []
    return state


def _job(tf: TerraformClient, name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The job's Read; it leaves ``workspace_id`` as the configuration set it."""
    found = read_job(tf, name, config)
    return None if found is None else {"workspace_id": config["workspace_id"], **found}


def _name(stem: str) -> str:
    return f"{stem}_{next(_SERIAL)}"


@GENERATED
@given(data=st.data())
def test_a_job_applied_then_updated_plans_no_changes_and_is_gone_once_deleted(
    tf: TerraformClient, workspace: str, data: st.DataObject
) -> None:
    name = _name(data.draw(NAMES, "name"))
    config = data.draw(jobs(workspace, name), "config")
    create_job(tf, d_get(JOB, config))
    state = applied(JOB, config, lambda: _job(tf, name, config))

    updated = data.draw(job_updates(config), "update")
    update_job(tf, name, d_get(JOB, updated, state))
    applied(JOB, updated, lambda: _job(tf, name, updated))

    delete_job(tf, name, updated)
    assert _gone(lambda: read_job(tf, name, updated)) is None


@GENERATED
@given(data=st.data())
def test_a_script_applied_then_updated_plans_no_changes_and_is_gone_once_deleted(
    tf: TerraformClient, workspace: str, data: st.DataObject
) -> None:
    name = _name(data.draw(NAMES, "name"))
    config = data.draw(scripts(workspace, name), "config")
    create_script(tf, d_get(SCRIPT, config))
    state = applied(SCRIPT, config, lambda: read_script(tf, config))

    fresh = data.draw(scripts(workspace, name))
    updated = data.draw(updates(config, fresh, SCRIPT_UPDATABLE), "update")
    update_script(tf, d_get(SCRIPT, updated, state))
    applied(SCRIPT, updated, lambda: read_script(tf, updated))

    delete_script(tf, updated)
    assert _gone(lambda: read_script(tf, updated)) is None


@GENERATED
@given(data=st.data())
def test_a_resource_applied_then_updated_plans_no_changes_and_is_gone_once_deleted(
    tf: TerraformClient, workspace: str, data: st.DataObject
) -> None:
    config = data.draw(resources(workspace, _name(data.draw(NAMES))), "config")
    resource_id = create_resource(tf, d_get(RESOURCE, config))
    state = applied(RESOURCE, config, lambda: read_resource(tf, resource_id, config))

    fresh = data.draw(resources(workspace, _name(data.draw(NAMES))))
    keys = ("name", "type", "location", "directory", "depend_packages", "description")
    updated = data.draw(updates(config, fresh, keys), "update")
    update_resource(tf, resource_id, d_get(RESOURCE, updated, state))
    applied(RESOURCE, updated, lambda: read_resource(tf, resource_id, updated))

    delete_resource(tf, resource_id, updated)
    assert _gone(lambda: read_resource(tf, resource_id, updated)) is None


def test_the_checks_see_a_value_of_another_type_a_change_and_a_computed_value_unset() -> None:
    # What the stories check can fail: d.Set of text into a number, a changed argument, an
    # optional one answered though left out, a Computed-only one unanswered.
    found = {"name": "s", "type": "Shell", "content": "x", "connection_name": "c"}
    state, errors = d_set(SCRIPT, {**found, "description": 7, "created_by": "u"})
    assert errors == ["description: 7 cannot be set as s"]
    assert plan(SCRIPT, {**found, "content": "y"}, state) == ["content: 'x' -> 'y'"]
    state, _ = d_set(SCRIPT, {**found, "database": "db"})
    assert plan(SCRIPT, found, state) == ["database: 'db' -> (unset)"]
    assert unset_computed(SCRIPT, found) == ["created_by", "auto_acquire_lock"]
    held, _ = d_set(JOB, {"directory": "/d", "log_path": "obs://b/l"})
    sent = d_get(JOB, {"name": "j", "log_path": "obs://b/m"}, held)
    assert (sent["directory"], sent["log_path"], sent["params"]) == ("/d", "obs://b/m", [])
