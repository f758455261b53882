"""huaweicloud_dataarts_factory_job: create -> read -> plan has no difference, for the shapes
of the provider's docs and acceptance tests; update, delete and "gone" as the provider sees it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from support.terraform import TerraformClient
from support.terraform_jobs import JOB_SCHEMA, create_job, delete_job, read_job, update_job
from support.terraform_provider import plan_diff

from .shapes import dlisql_job, every_argument_job, restapi_job

pytestmark = pytest.mark.e2e


def assert_no_changes(tf: TerraformClient, config: dict[str, Any]) -> dict[str, Any]:
    state = read_job(tf, config["name"], config)
    assert state is not None
    assert plan_diff(JOB_SCHEMA, config, state) == []
    return state


@pytest.mark.parametrize(
    "shape",
    ["docs_real_time_restapi", "acceptance_batch_restapi", "every_argument"],
)
def test_create_read_plan_has_no_difference(
    tf: TerraformClient, workspace: str, shape: str
) -> None:
    config = {
        "docs_real_time_restapi": lambda: restapi_job("demo", workspace, "REAL_TIME", 10, 10),
        "acceptance_batch_restapi": lambda: restapi_job("tf_job", workspace, "BATCH", 10, 11),
        "every_argument": lambda: every_argument_job("tf_all", workspace),
    }[shape]()
    assert create_job(tf, config) == config["name"]
    assert_no_changes(tf, config)
    sent = tf.sent[0]
    assert sent.headers["Content-Type"] == ["application/json"]
    assert sent.body.endswith(b"\n")


def test_acceptance_dli_sql_steps_create_update_and_delete(
    tf: TerraformClient, workspace: str
) -> None:
    upstream = dlisql_job("tf_single_2", workspace, None)
    create_job(tf, upstream)
    assert_no_changes(tf, upstream)

    step1 = dlisql_job("tf_single_1", workspace, ["tf_single_2"])
    create_job(tf, step1)
    assert_no_changes(tf, step1)

    step2 = dlisql_job("tf_single_1", workspace, [])
    update_job(tf, "tf_single_1", step2)
    assert_no_changes(tf, step2)

    delete_job(tf, "tf_single_1", step2)
    assert read_job(tf, "tf_single_1", step2) is None, "400 DLF.0100 means gone"


def test_an_argument_changed_outside_terraform_shows_as_a_difference(
    tf: TerraformClient, workspace: str
) -> None:
    # The comparison can fail: a drift is seen.
    config = restapi_job("drifted", workspace, "BATCH", 10, 11)
    create_job(tf, config)
    changed = copy.deepcopy(config)
    changed["nodes"][0]["properties"][0]["value"] = "https://example.invalid/"
    update_job(tf, "drifted", changed)
    state = read_job(tf, "drifted", config)
    assert state is not None
    assert plan_diff(JOB_SCHEMA, config, state) == [
        "nodes.0.properties.0.value: 'https://example.invalid/' -> 'https://www.huaweicloud.com/'"
    ]


def test_a_node_cron_trigger_round_trips_but_the_providers_read_looks_elsewhere(
    tf: TerraformClient, workspace: str
) -> None:
    # The provider sends cronTrigger but reads "cron_trigger", so its plan always shows the
    # block as new, against DataArts as against jobferry. jobferry keeps what was sent.
    config = restapi_job("rt_cron", workspace, "REAL_TIME", 10, 10)
    config["nodes"][0]["cron_trigger"] = [
        {"start_time": "2024-01-01T00:00:00+08", "expression": "0 0 * * * ?", "period": "1 hours"}
    ]
    create_job(tf, config)
    shown = tf.request("GET", "v1/{project_id}/jobs/rt_cron", more_headers={"workspace": workspace})
    assert shown["nodes"][0]["cronTrigger"]["expression"] == "0 0 * * * ?"
    state = read_job(tf, "rt_cron", config)
    assert state is not None
    assert plan_diff(JOB_SCHEMA, config, state) == ["nodes.0.cron_trigger: 0 block(s) -> 1"]


def test_an_empty_basic_config_block_shows_as_a_change_against_dataarts_as_here(
    tf: TerraformClient, workspace: str
) -> None:
    # The provider sends the empty block as basicConfig {}; show answers the definition as
    # saved (DataArts too), and the provider's Read makes no block of an empty object.
    config = restapi_job("empty_basic", workspace, "BATCH", 10, 11)
    config["basic_config"] = [{}]
    create_job(tf, config)
    assert b'"basicConfig":{}' in tf.sent[-1].body
    state = read_job(tf, "empty_basic", config)
    assert state is not None
    assert plan_diff(JOB_SCHEMA, config, state) == ["basic_config: 0 block(s) -> 1"]
