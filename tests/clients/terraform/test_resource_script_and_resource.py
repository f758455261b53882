"""huaweicloud_dataarts_factory_script and huaweicloud_dataarts_factory_resource: create ->
read -> plan has no difference for the docs' and acceptance tests' shapes; update; delete;
and a missing object is "gone" to the provider, not an error."""

from __future__ import annotations

from typing import Any

import pytest

from support.server import ServerProcess
from support.terraform import TerraformClient
from support.terraform_provider import (
    RESOURCE_SCHEMA,
    SCRIPT_SCHEMA,
    create_resource,
    create_script,
    delete_resource,
    delete_script,
    plan_diff,
    read_resource,
    read_script,
    update_resource,
    update_script,
)

pytestmark = pytest.mark.e2e


def script(workspace: str, shape: str) -> dict[str, Any]:
    base = {
        "workspace_id": workspace,
        "name": f"tf_script_{shape}",
        "type": "DLISQL",
        "connection_name": "dli_conn",
        "queue_name": "default",
    }
    if shape == "docs":
        return {
            **base,
            "content": "#content",
            "description": "test",
            "configuration": {
                "spark.sql.files.maxRecordsPerFile": "1",
                "dli.sql.job.timeout": "1",
            },
        }
    return {
        **base,
        "content": "#test",
        "directory": "/basic",
        "description": "test",
        "configuration": {"spark.sql.files.maxRecordsPerFile": "1"},
    }


def resource(workspace: str, name: str, location: str, **extra: Any) -> dict[str, Any]:
    return {
        "workspace_id": workspace,
        "name": name,
        "type": "jar",
        "location": location,
        "directory": "/",
        **extra,
    }


@pytest.mark.parametrize("shape", ["docs", "acceptance"])
def test_script_create_read_plan_has_no_difference(
    tf: TerraformClient, server: ServerProcess, workspace: str, shape: str
) -> None:
    config = script(workspace, shape)
    assert create_script(tf, config) == f"{workspace}/{config['name']}"
    state = read_script(tf, config)
    assert state is not None
    assert plan_diff(SCRIPT_SCHEMA, config, state) == []
    assert state["created_by"], "created_by is read from createUser"
    sent = tf.sent[0]
    assert sent.headers["Dlm-Type"] == ["EXCLUSIVE"]
    assert "x-project-id" not in sent.headers["Authorization"][0]


def test_script_update_as_in_the_acceptance_test_then_delete_is_gone(
    tf: TerraformClient, workspace: str
) -> None:
    config = script(workspace, "acceptance")
    create_script(tf, config)
    updated = {
        **config,
        "content": "#test_update",
        "directory": "/update",
        "queue_name": "update",
        "description": "test_update",
        "configuration": {"spark.sql.files.maxRecordsPerFile": "1", "dli.sql.job.timeout": "1"},
    }
    update_script(tf, updated)
    state = read_script(tf, updated)
    assert state is not None
    assert plan_diff(SCRIPT_SCHEMA, updated, state) == []
    delete_script(tf, updated)
    assert read_script(tf, updated) is None, "400 with errors[0].error_code DLF.6201 is gone"


def test_resource_acceptance_steps_create_update_and_delete(
    tf: TerraformClient, workspace: str
) -> None:
    basic = resource(
        workspace,
        "tf_res",
        "obs://test/main.jar",
        description="test",
        depend_packages=[{"type": "jar", "location": "obs://test/depend.jar"}],
    )
    resource_id = create_resource(tf, basic)
    state = read_resource(tf, resource_id, basic)
    assert state is not None
    assert plan_diff(RESOURCE_SCHEMA, basic, state) == []
    assert b'"depend_packages":[' in tf.sent[0].body, "sent as the provider sends it"

    updated = resource(
        workspace,
        "tf_res_update",
        "obs://test/main_update.jar",
        description="test update",
        depend_packages=[{"type": "file", "location": "obs://test/depend_update.properties"}],
    )
    update_resource(tf, resource_id, updated)
    state = read_resource(tf, resource_id, updated)
    assert state is not None
    assert plan_diff(RESOURCE_SCHEMA, updated, state) == []

    delete_resource(tf, resource_id, updated)
    assert read_resource(tf, resource_id, updated) is None, "404 is gone"


@pytest.mark.parametrize("location", ["obs://test/main.jar", "hdfs://test/main.jar"])
def test_resource_docs_examples_create_read_plan_has_no_difference(
    tf: TerraformClient, workspace: str, location: str
) -> None:
    config = resource(workspace, f"docs_{location.split(':')[0]}", location)
    resource_id = create_resource(tf, config)
    state = read_resource(tf, resource_id, config)
    assert state is not None
    assert plan_diff(RESOURCE_SCHEMA, config, state) == []
