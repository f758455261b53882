"""Enumerations of the DataArts v1 job API and of jobferry's own domain.

All are ``StrEnum``: a member is a ``str`` equal to its value, so ``str(member)`` gives the
value. Hot loops (an import walks ~100,000 references) write ``str(kind)``, not ``kind.value``:
``.value`` is a Python-level descriptor call, ``str()`` is not.
"""

from __future__ import annotations

from enum import StrEnum


class TargetStatus(StrEnum):
    """What a create/update/import does beyond saving the development state."""

    SAVED = "SAVED"
    SUBMITTED = "SUBMITTED"
    PRODUCTION = "PRODUCTION"


class VersionStatus(StrEnum):
    """Status of an immutable submitted version."""

    SUBMITTED = "SUBMITTED"
    PRODUCTION = "PRODUCTION"


class ProcessType(StrEnum):
    """Batch or real-time job."""

    BATCH = "BATCH"
    REAL_TIME = "REAL_TIME"


class JobStatus(StrEnum):
    """Scheduling status of a job as list_jobs reports it."""

    SCHEDULING = "SCHEDULING"
    STOPPED = "STOPPED"
    NORMAL = "NORMAL"


class Role(StrEnum):
    """A user's role in one workspace."""

    ADMIN = "admin"
    DEVELOPER = "developer"
    OPERATOR = "operator"
    VIEWER = "viewer"


class LockPolicy(StrEnum):
    """Whether a lock held by another user only warns (soft) or refuses changes (hard)."""

    SOFT = "soft"
    HARD = "hard"


class ObjectKind(StrEnum):
    """Kinds of workspace objects that can be locked or audited."""

    JOB = "job"
    SCRIPT = "script"
    RESOURCE = "resource"


class EnvironmentKind(StrEnum):
    """Environment objects an admin registers per workspace and jobs reference by name."""

    CONNECTION = "connection"
    DLI_QUEUE = "dli_queue"
    CDM_CLUSTER = "cdm_cluster"
    CDM_JOB = "cdm_job"
    MRS_CLUSTER = "mrs_cluster"
    DIS_STREAM = "dis_stream"
    GES_GRAPH = "ges_graph"
    RESOURCE_GROUP = "resource_group"
    QUALITY_RULE = "quality_rule"
    AGENCY = "agency"


class RefKind(StrEnum):
    """Every kind of object a job definition can name (the reference table's vocabulary)."""

    SCRIPT = "script"
    RESOURCE = "resource"
    JOB = "job"
    TAG = "tag"
    CONNECTION = "connection"
    DLI_QUEUE = "dli_queue"
    CDM_CLUSTER = "cdm_cluster"
    CDM_JOB = "cdm_job"
    MRS_CLUSTER = "mrs_cluster"
    DIS_STREAM = "dis_stream"
    GES_GRAPH = "ges_graph"
    RESOURCE_GROUP = "resource_group"
    QUALITY_RULE = "quality_rule"
    AGENCY = "agency"


SCRIPT_TYPES = (
    "FlinkSQL",
    "DLISQL",
    "SparkSQL",
    "HiveSQL",
    "DWSSQL",
    "RDSSQL",
    "Shell",
    "PRESTO",
    "ClickHouseSQL",
    "HetuEngineSQL",
    "PYTHON",
    "ImpalaSQL",
    "SparkPython",
)

RESOURCE_TYPES = ("archive", "file", "jar", "pyFile")

SCHEDULE_TYPES = ("EXECUTE_ONCE", "CRON", "EVENT", "EVENT_TRIGGER", "RUN_ONCE", "SCHEDULE")

FAIL_POLICIES = ("FAIL", "IGNORE", "SUSPEND", "FAIL_CHILD")
