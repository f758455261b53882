"""Field paths checked against the fields of job, script and resource definitions
(``domain.schema``): what names a field, and what each refusal says."""

from __future__ import annotations

import copy

import pytest

from jobferry.domain.fieldpaths import keep_target, parse_field_path
from jobferry.domain.schema import field_path_problem
from support.builders import make_job


@pytest.mark.parametrize(
    "path",
    [
        "schedule.cron.expression",
        "basicConfig.owner",
        "nodes[*].retryTimes",
        "nodes[load].properties[connectionName]",
        "nodes[load].properties[connectionName].value",
        "nodes[*].location.x",
        "nodes",
        "params[bizdate].value",
        "basicConfig.customFields.anything.below",
        "schedule.cron.dependJobs.sameWorkSpaceJobs[*].jobName",
        "nodes[*].properties[aPropertyDataArtsDoesNotDocument]",
        "content",  # a script's
        "configuration.spark.executor.memory",  # a script's free map
        "dependFiles",  # a resource's
    ],
)
def test_a_path_naming_a_field_of_a_definition_is_accepted(path: str) -> None:
    assert field_path_problem(parse_field_path(path)) is None


@pytest.mark.parametrize(
    ("path", "said"),
    [
        (
            "nodes[*].properties[retryTimes]",
            "retryTimes is a field of the node, not one of its properties; write "
            "nodes[*].retryTimes",
        ),
        (
            "schedule.cron.expresion",
            "schedule.cron has no field 'expresion' (did you mean expression?); its fields are",
        ),
        (
            "nodes[*].properties[conectionName]",
            "nodes[*].properties has no property 'conectionName' (did you mean connectionName?)",
        ),
        (
            "nodes.retryTimes",
            "nodes is a list of named items: write nodes[*] (every item) or nodes[NAME] (one)",
        ),
        ("basicConfig[owner]", "basicConfig is not a list of named items; drop [owner]"),
        ("description.text", "description is a value: it has no fields below it"),
        (
            "schedul.cron",
            "no job, script or resource has a field 'schedul' (did you mean schedule?)",
        ),
        ("lastUpdateUser", "is not part of a stored definition"),
        ("targetStatus", "is not part of a stored definition"),
        ("version", "is not part of a stored definition"),  # a job's, as a script's
    ],
)
def test_a_path_naming_no_field_is_refused_with_the_fix(path: str, said: str) -> None:
    problem = field_path_problem(parse_field_path(path))
    assert problem is not None
    assert problem.startswith(f"'{path}' ")
    assert said in problem, problem


def test_the_node_field_path_keeps_the_target_s_retry_times_where_the_property_path_did_not() -> (
    None
):
    """The docs' old example protected nothing: retryTimes is a node field."""
    target = make_job()
    target["nodes"][0]["retryTimes"] = 2
    package = make_job()
    package["nodes"][0]["retryTimes"] = 5

    wrong = copy.deepcopy(package)
    assert keep_target(wrong, target, (parse_field_path("nodes[*].properties[retryTimes]"),)) == []
    assert wrong["nodes"][0]["retryTimes"] == 5

    right = copy.deepcopy(package)
    kept = keep_target(right, target, (parse_field_path("nodes[*].retryTimes"),))
    assert right["nodes"][0]["retryTimes"] == 2
    assert [path for path, _, _ in kept] == [f"nodes[{target['nodes'][0]['name']}].retryTimes"]
