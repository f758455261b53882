"""The Terraform provider's DataArts Factory resources, restated call by call.

Each function does what the provider's Create / Read / Update / Delete or data-source Read does
on the wire (``support.terraform`` is the client; jobs are in ``support.terraform_jobs``): the
same paths, headers, ``OkCodes``, body keys (built from the HCL arguments with the provider's
``ValueIgnoreEmpty`` and ``RemoveNil`` rules), and the same fields read back into state.
Configurations are the HCL arguments as Python values: nested blocks are lists of dicts, as
Terraform holds them.

:func:`plan_diff` then answers what ``terraform plan`` would report after a create: every
argument set in the configuration whose state (what Read put there) differs, and every
non-computed argument left out of the configuration whose state is not empty.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from support.terraform import GoResponseError, TerraformClient

# --- the provider's value rules -----------------------------------------------------------------


def ignore_empty(value: Any) -> Any:
    """``utils.ValueIgnoreEmpty``: zero values (but not false) and empty lists become nil."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return value or None
    if isinstance(value, dict):
        return value  # a map from d.Get is never nil; RemoveNil drops it when empty
    return value or None


def remove_nil(data: dict[str, Any]) -> dict[str, Any]:
    """``utils.RemoveNil``: drops nil values; recurses into maps and lists of maps, dropping
    those that are empty *before* their own nils are removed (as the Go code does)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            if value:
                out[key] = remove_nil(value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            kept = [r for r in (remove_nil(v) for v in value) if r]
            if kept:
                out[key] = kept
        else:
            out[key] = value
    return out


def search(obj: Any, *path: str) -> Any:
    """``utils.PathSearch`` of a dotted path (``None`` when any step is missing)."""
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


JOB_PATH = "v1/{project_id}/jobs"


# --- scripts -------------------------------------------------------------------------------------

SCRIPT_PATH = "v1/{project_id}/scripts"
SCRIPT_GONE = ("DLF.0819", "DLF.6201")


def factory_headers(workspace_id: str, exclusive: bool = True) -> dict[str, str]:
    """``buildFactoryMoreHeaders``: JSON, ``Dlm-Type: EXCLUSIVE`` and the workspace."""
    headers = {"Content-Type": "application/json"}
    if exclusive:
        headers["Dlm-Type"] = "EXCLUSIVE"
    if workspace_id:
        headers["workspace"] = workspace_id
    return headers


def script_body(config: dict[str, Any]) -> dict[str, Any]:
    """``buildCreateOrUpdateScriptBodyParams``."""
    optional = {
        "directory": "directory",
        "database": "database",
        "queueName": "queue_name",
        "configuration": "configuration",
        "description": "description",
        "targetStatus": "target_status",
        "approvers": "approvers",
    }
    empty: dict[str, Any] = {"configuration": {}, "approvers": []}
    return remove_nil(
        {
            "name": config["name"],
            "type": config["type"],
            "content": config["content"],
            "connectionName": config["connection_name"],
            **{w: ignore_empty(config.get(a, empty.get(a, ""))) for w, a in optional.items()},
        }
    )


def create_script(tf: TerraformClient, config: dict[str, Any]) -> str:
    headers = factory_headers(config["workspace_id"])
    tf.request(
        "POST", SCRIPT_PATH, json_body=script_body(config), more_headers=headers, ok_codes=(204,)
    )
    return f"{config['workspace_id']}/{config['name']}"


def update_script(tf: TerraformClient, config: dict[str, Any]) -> None:
    headers = factory_headers(config["workspace_id"])
    tf.request(
        "PUT",
        f"{SCRIPT_PATH}/{config['name']}",
        json_body=script_body(config),
        more_headers=headers,
        ok_codes=(204,),
    )


def delete_script(tf: TerraformClient, config: dict[str, Any]) -> None:
    headers = factory_headers(config["workspace_id"])
    tf.request("DELETE", f"{SCRIPT_PATH}/{config['name']}", more_headers=headers)


def read_script(tf: TerraformClient, config: dict[str, Any]) -> dict[str, Any] | None:
    """``resourceScriptRead``; ``None`` when the answer says the script is gone."""
    headers = factory_headers(config["workspace_id"])
    try:
        body = tf.request("GET", f"{SCRIPT_PATH}/{config['name']}", more_headers=headers)
    except GoResponseError as exc:
        errors = search(exc.json(), "errors") if exc.status == 400 else None
        code = errors[0].get("error_code") if isinstance(errors, list) and errors else None
        if exc.status == 404 or code in SCRIPT_GONE:  # errors|[0].error_code
            return None
        raise
    keys = {
        "name": "name",
        "type": "type",
        "content": "content",
        "connection_name": "connectionName",
        "directory": "directory",
        "database": "database",
        "queue_name": "queueName",
        "description": "description",
        "target_status": "targetStatus",
        "approvers": "approvers",
        "configuration": "configuration",
        "created_by": "createUser",
        "auto_acquire_lock": "autoAcquireLock",
    }
    # Read leaves workspace_id as the configuration set it.
    return {"workspace_id": config["workspace_id"], **{a: body.get(w) for a, w in keys.items()}}


SCRIPT_SCHEMA: dict[str, Any] = {
    "workspace_id": "O",
    "name": "O",
    "type": "O",
    "content": "O",
    "connection_name": "O",
    "directory": "O",
    "database": "O",
    "queue_name": "O",
    "description": "O",
    "target_status": "O",
    "approvers": ("O", {"approver_name": "O"}),
    "configuration": "C",
    "created_by": "C",
    "auto_acquire_lock": "C",
}


# --- resources -----------------------------------------------------------------------------------

RESOURCE_PATH = "v1/{project_id}/resources"


def resource_body(config: dict[str, Any]) -> dict[str, Any]:
    """``buildCreateOrUpdateResourceBodyParams`` (note the snake_case depend_packages)."""
    packages = [
        {"type": p["type"], "location": p["location"]} for p in config.get("depend_packages", [])
    ]
    return remove_nil(
        {
            "name": config["name"],
            "type": config["type"],
            "location": config["location"],
            "directory": config["directory"],
            "depend_packages": ignore_empty(packages),
            "desc": ignore_empty(config.get("description", "")),
        }
    )


def create_resource(tf: TerraformClient, config: dict[str, Any]) -> str:
    headers = factory_headers(config["workspace_id"])
    body = tf.request("POST", RESOURCE_PATH, json_body=resource_body(config), more_headers=headers)
    resource_id = search(body, "resourceId")
    assert isinstance(resource_id, str), body
    return resource_id


def update_resource(tf: TerraformClient, resource_id: str, config: dict[str, Any]) -> None:
    headers = factory_headers(config["workspace_id"])
    tf.request(
        "PUT",
        f"{RESOURCE_PATH}/{resource_id}",
        json_body=resource_body(config),
        more_headers=headers,
        ok_codes=(204,),
    )


def delete_resource(tf: TerraformClient, resource_id: str, config: dict[str, Any]) -> None:
    headers = factory_headers(config["workspace_id"])
    tf.request("DELETE", f"{RESOURCE_PATH}/{resource_id}", more_headers=headers)


def read_resource(
    tf: TerraformClient, resource_id: str, config: dict[str, Any]
) -> dict[str, Any] | None:
    """``resourceFactoryResourceRead``: ``CheckDeletedDiag`` takes only a 404 as gone."""
    headers = factory_headers(config["workspace_id"])
    try:
        body = tf.request("GET", f"{RESOURCE_PATH}/{resource_id}", more_headers=headers)
    except GoResponseError as exc:
        if exc.status == 404:
            return None
        raise
    return {
        "workspace_id": config["workspace_id"],
        "name": body.get("name"),
        "type": body.get("type"),
        "location": body.get("location"),
        "directory": body.get("directory"),
        "depend_packages": [
            {"type": p.get("type", ""), "location": p.get("location", "")}
            for p in body.get("dependPackages") or []
        ],
        "description": body.get("desc"),
    }


RESOURCE_SCHEMA: dict[str, Any] = {
    "workspace_id": "O",
    "directory": "O",
    "name": "O",
    "type": "O",
    "location": "O",
    "depend_packages": ("O", {"type": "O", "location": "O"}),
    "description": "O",
}


# --- data sources and one-time actions -----------------------------------------------------------


def list_jobs(
    tf: TerraformClient, workspace_id: str, name: str = "", process_type: str = ""
) -> list[dict[str, Any]]:
    """``queryFactoryJobs``: limit 100, ``offset += len(page)`` until a page is empty."""
    query = "".join(
        f"&{key}={value}" for key, value in (("jobName", name), ("jobType", process_type)) if value
    )
    return [job for page in job_pages(tf, workspace_id, query) for job in page]


def job_pages(tf: TerraformClient, workspace_id: str, query: str) -> Iterator[list[dict[str, Any]]]:
    """The pages of ``GET jobs?limit=100<query>&offset=…`` as the provider walks the job list:
    ``offset += len(page)`` until an empty page."""
    offset = 0
    while True:
        path = f"{JOB_PATH}?limit=100{query}&offset={offset}"
        jobs = (
            search(tf.request("GET", path, more_headers={"workspace": workspace_id}), "jobs") or []
        )
        if not jobs:
            return
        yield jobs
        offset += len(jobs)


def list_resources(tf: TerraformClient, workspace_id: str) -> list[dict[str, Any]]:
    """``listFactoryResources``: limit 100, ``offset += len(page)`` until a short page."""
    result: list[dict[str, Any]] = []
    offset = 0
    while True:
        path = f"{RESOURCE_PATH}?limit=100&offset={offset}"
        body = tf.request("GET", path, more_headers=factory_headers(workspace_id))
        page = search(body, "resources") or []
        result += page
        if len(page) < 100:
            return result
        offset += len(page)


def list_factory_scripts(
    tf: TerraformClient, workspace_id: str, script_name: str | None = None
) -> list[dict[str, Any]]:
    """The scripts data source (``listFactoryScripts``, DataArts Studio v2, the ``dataarts``
    client): ``limit=100`` then ``script_name``, ``offset += len(page)`` until a short page;
    ``modify_time`` and ``version`` are read as float64."""
    result: list[dict[str, Any]] = []
    offset = 0
    query = "v2/{project_id}/factory/scripts?limit=100"
    if script_name:
        query += f"&script_name={script_name}"
    while True:
        headers = factory_headers(workspace_id, exclusive=False)
        body = tf.request("GET", f"{query}&offset={offset}", more_headers=headers)
        page = search(body, "scripts") or []
        for item in page:
            assert isinstance(item.get("modify_time", 0.0), int | float), item
            assert isinstance(item.get("version", 0.0), int | float), item
        result += page
        if len(page) < 100:
            return result
        offset += len(page)


def export_job(
    tf: TerraformClient, workspace_id: str, name: str, obs_path: str, **options: Any
) -> str:
    """``resourceFactoryJobExportCreate``; returns ``folder_path`` as the provider computes it."""
    body = remove_nil({"obsPath": obs_path, **options})
    headers = {"Content-Type": "application/json", "workspace": workspace_id}
    answer = tf.request(
        "POST", f"{JOB_PATH}/{name}/export", json_body=body, more_headers=headers, ok_codes=(200,)
    )
    output = str(search(answer, "obsPath") or "")
    base = obs_path if obs_path.endswith("/") else obs_path + "/"
    return output.removeprefix(base) if output.startswith(base) else output


def import_jobs(
    tf: TerraformClient, workspace_id: str, path: str, **options: Any
) -> dict[str, Any]:
    """``resourceFactoryJobImportCreate``: import, then poll the system task to SUCCESSFUL."""
    headers = {"Content-Type": "application/json", "workspace": workspace_id}
    body = remove_nil({"path": path, **options})
    task_id = search(
        tf.request("POST", f"{JOB_PATH}/import", json_body=body, more_headers=headers), "taskId"
    )
    assert isinstance(task_id, str)
    assert task_id
    for _ in range(300):
        task = tf.request("GET", f"v1/{{project_id}}/system-tasks/{task_id}", more_headers=headers)
        if task.get("status") in ("SUCCESSFUL", "FAILED"):
            return dict(task)
        time.sleep(0.1)
    raise AssertionError(f"import task {task_id} still running")


# --- terraform plan ------------------------------------------------------------------------------


def _zero(value: Any) -> bool:
    return value in (None, "", 0, False, [], {})


def _same(config: Any, state: Any) -> bool:
    if isinstance(config, bool) or isinstance(state, bool):
        return bool(config) == bool(state)
    if isinstance(config, int | float) and (state is None or isinstance(state, int | float)):
        return float(config) == float(state or 0)
    if isinstance(config, str) and state is None:
        return config == ""
    if isinstance(config, dict):
        return {k: str(v) for k, v in config.items()} == {
            k: str(v) for k, v in (state or {}).items()
        }
    return bool(config == state)


def plan_diff(
    schema: dict[str, Any], config: dict[str, Any], state: dict[str, Any], at: str = ""
) -> list[str]:
    """What ``terraform plan`` would show after Read: one line per differing argument."""
    diffs: list[str] = []
    for name, spec in schema.items():
        flag, nested = spec if isinstance(spec, tuple) else (spec, None)
        here, given, got = f"{at}{name}", config.get(name), state.get(name)
        if given is None:
            if flag == "O" and not _zero(got):
                diffs.append(f"{here}: {got!r} -> (unset)")
            continue
        if nested is None:
            if not _same(given, got):
                diffs.append(f"{here}: {got!r} -> {given!r}")
            continue
        got_list = got or []
        if len(given) != len(got_list):
            diffs.append(f"{here}: {len(got_list)} block(s) -> {len(given)}")
            continue
        for k, (want, have) in enumerate(zip(given, got_list, strict=True)):
            diffs += plan_diff(nested, want, have, f"{here}.{k}.")
    return diffs
