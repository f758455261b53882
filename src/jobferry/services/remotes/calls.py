"""The calls a remote client can make: every one a call of DataArts' public API, named by its
SDK method, with its HTTP method, path template and host (docs/remotes.md's table says what
each sends and which fields of its answer are read)."""

from __future__ import annotations

EXPORT_BATCH = 100
"""Job names per ``export_job_list`` call (DataArts' maximum)."""

CALLS: dict[str, tuple[str, str]] = {
    "list_jobs": ("GET", "/v1/{project_id}/jobs"),
    "show_job": ("GET", "/v1/{project_id}/jobs/{job_name}"),
    "show_job_status": ("GET", "/v1/{project_id}/jobs/{job_name}/status"),
    "export_job_list": ("POST", "/v1/{project_id}/jobs/batch-export"),
    "list_scripts": ("GET", "/v1/{project_id}/scripts"),
    "show_script": ("GET", "/v1/{project_id}/scripts/{script_name}"),
    "list_resources": ("GET", "/v1/{project_id}/resources"),
    "show_resource": ("GET", "/v1/{project_id}/resources/{resource_id}"),
    "list_dataconnections": ("GET", "/v1/{project_id}/data-connections"),
    "show_dataconnection": ("GET", "/v1/{project_id}/data-connections/{data_connection_id}"),
    "show_factory_env": ("GET", "/v2/{project_id}/factory/env"),
    # the push's writes (services/remotes/writes.py)
    "create_job": ("POST", "/v1/{project_id}/jobs"),
    "update_job": ("PUT", "/v1/{project_id}/jobs/{job_name}"),
    "delete_job": ("DELETE", "/v1/{project_id}/jobs/{job_name}"),
    "start_job": ("POST", "/v1/{project_id}/jobs/{job_name}/start"),
    "stop_job": ("POST", "/v1/{project_id}/jobs/{job_name}/stop"),
    "update_factory_job_name": ("PUT", "/v2/{project_id}/factory/jobs/{job_name}/rename"),
    "create_script": ("POST", "/v1/{project_id}/scripts"),
    "update_script": ("PUT", "/v1/{project_id}/scripts/{script_name}"),
    "delete_script": ("DELETE", "/v1/{project_id}/scripts/{script_name}"),
    "create_resource": ("POST", "/v1/{project_id}/resources"),
    "update_resource": ("PUT", "/v1/{project_id}/resources/{resource_id}"),
    "delete_resource": ("DELETE", "/v1/{project_id}/resources/{resource_id}"),
}
"""Every call this client can make: SDK method → (HTTP method, path template). The reads
(``export_job_list`` is a POST that changes nothing) and the writes a push makes."""
WRITES = frozenset(call for call, (verb, _) in CALLS.items() if verb != "GET") - {"export_job_list"}
UNSENT_FIELDS: dict[str, frozenset[str]] = {
    "create_job": frozenset({"description"}),
    "update_job": frozenset({"description"}),
}
"""Top-level fields of a definition that a call's body cannot carry, left out when it is sent:
``show_job`` answers a job's ``description`` (``ShowJobResponse``), but the body of
``create_job`` and ``update_job`` (the SDK's ``JobInfo``, the API reference's request body)
has no such field (in any SDK version or edition of the reference read), so a job's
description never reaches a remote; what ``update_job`` does with the one a job has is not
documented (docs/remotes.md, "A job's description": it may clear it)."""
STUDIO_CALLS = frozenset(
    {"list_dataconnections", "show_dataconnection", "show_factory_env", "update_factory_job_name"}
)
"""The DataArts Studio SDK's calls (``huaweicloudsdkdataartsstudio``, whose region table names
``dayu.<region>``, not the Factory's ``dayu-dlf.<region>``): sent to the remote's Studio
endpoint when it has one. The v2 job rename is one of them."""
JOB_TYPES = ("BATCH", "REAL_TIME")
"""``list_jobs``'s ``jobType`` values: the list answers batch jobs only unless asked for
``REAL_TIME`` (the API reference: ``BATCH`` is the default), so every job is two walks."""
