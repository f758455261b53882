"""The fields a job definition sent to the v1 API must carry.

DataArts' API reference makes ``JobInfo.processType`` and ``JobInfo.schedule`` mandatory on
``create_job`` and ``update_job`` (``nodes`` too, but the Go SDK's own acceptance test creates a
job without nodes, so nodes stay optional). :func:`jobferry.domain.validation.validate_job`
stays lenient about both, because it also reads what was saved before this rule and what
packages and folders hold; this rule is checked only where a definition is sent to be saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobferry.domain.report import Report, Violation, missing

MANDATORY_JOB_FIELDS = {
    "processType": "set BATCH or REAL_TIME",
    "schedule": "give it a type, e.g. EXECUTE_ONCE to run the job only when asked",
}
"""Each mandatory field → what to send."""
_V2_SPELLINGS = {
    "process_type": "processType",
    "basic_config": "basicConfig",
    "log_path": "logPath",
}
"""Keys of a v2 factory (snake_case) job body → their v1 (camelCase) spelling."""


def missing_job_fields(doc: Mapping[str, Any]) -> list[Violation]:
    """A violation for each mandatory field ``doc`` lacks (a v2-shaped body is told the v1
    spelling); empty when it has them all or is no JSON object."""
    r = Report()
    if not isinstance(doc, Mapping):
        return r.items
    renames = [f"{v1} not {v2}" for v2, v1 in _V2_SPELLINGS.items() if v2 in doc]
    hint = f" (field names are camelCase: {', '.join(renames)})" if renames else ""
    for field, fix in MANDATORY_JOB_FIELDS.items():
        if missing(doc.get(field)):
            message = f"{field} is missing; it is mandatory when a job is saved: {fix}"
            r.add(field, "required", message + hint)
    return r.items
