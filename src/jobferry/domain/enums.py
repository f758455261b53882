"""Enumerations of the DataArts v1 job API and of jobferry's own domain.

All are ``StrEnum``: a member is a ``str`` equal to its value, so ``str(member)`` gives the
value. Hot loops (an import walks ~100,000 references) write ``str(kind)``, not ``kind.value``:
``.value`` is a Python-level descriptor call, ``str()`` is not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias


class TargetStatus(StrEnum):
    """What a create/update/import does beyond saving the development state."""

    SAVED = "SAVED"
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


def running_status(process_type: str) -> JobStatus:
    """The scheduling status of a started job of ``process_type``: ``SCHEDULING``, a
    real-time job ``NORMAL`` (a save or an import changing a scheduled job's type changes it
    too)."""
    return JobStatus.NORMAL if process_type == ProcessType.REAL_TIME else JobStatus.SCHEDULING


class Role(StrEnum):
    """A user's role in one workspace."""

    ADMIN = "admin"
    DEVELOPER = "developer"
    OPERATOR = "operator"
    VIEWER = "viewer"
    DEPLOYER = "deployer"
    """Enterprise mode: reads development, approves, deploys and cancels release packages."""


class LockPolicy(StrEnum):
    """Whether a lock held by another user only warns (soft) or refuses changes (hard)."""

    SOFT = "soft"
    HARD = "hard"


class ExportStatus(StrEnum):
    """``exportStatus``: export the development state or the latest submitted version."""

    DEVELOP = "DEVELOP"
    SUBMIT = "SUBMIT"


class ExportMode(StrEnum):
    """What a background export selects: a checked name list or the whole workspace."""

    NAMES = "names"
    WORKSPACE = "workspace"


class ExportChanges(StrEnum):
    """Which jobs a workspace export takes: all, or those changed since a time."""

    ALL = "all"
    SINCE_LAST_EXPORT = "sinceLastExport"
    SINCE = "since"


class ListedStatus(StrEnum):
    """The console's job filter by scheduling state (values of its ``status`` field)."""

    SCHEDULED = "scheduled"
    STOPPED = "stopped"
    UNSUBMITTED = "unsubmitted"


class ObjectKind(StrEnum):
    """Kinds of objects a package carries and an import plans (wire values of ``kind``).

    Jobs, scripts and resources are workspace objects (versioned, lockable, audited); CDM jobs
    are environment objects a package may carry beside the jobs that use them.
    """

    JOB = "job"
    SCRIPT = "script"
    RESOURCE = "resource"
    CDM_JOB = "cdm_job"


# The order an import writes kinds in, and a plan lists them: what a job uses comes first.
KIND_ORDER: dict[ObjectKind, int] = {
    ObjectKind.SCRIPT: 0,
    ObjectKind.RESOURCE: 1,
    ObjectKind.CDM_JOB: 2,
    ObjectKind.JOB: 3,
}


class PlanAction(StrEnum):
    """What an import does with one object of the package (wire values of a plan's ``action``)."""

    CREATE = "CREATE"
    OVERWRITE = "OVERWRITE"
    SKIP = "SKIP"
    UNCHANGED = "UNCHANGED"
    RENAME = "RENAME"
    """An object matched by its stable identifier whose name changed in the source."""
    DELETE = "DELETE"
    """An object the target received from the same source, which the source no longer has."""


class ChangeAction(StrEnum):
    """What an import's change record (rollback's input) says was done, besides the plan
    action it carried out (a record's ``action`` is a :class:`PlanAction` or one of these).

    Not a plan action: a plan never lists it, nor counts it in its summary.
    """

    REFERENCES = "REFERENCES"
    """A job the plan did not touch, rewritten because an object it names was renamed."""
    LINK = "LINK"
    """An object the plan found unchanged whose promotion ledger row the import wrote (new, or
    replacing the row of this source object or of the one it takes over): no object was
    written (the record names none), and its rollback forgets the row and puts back those it
    replaced."""


class ProblemReason(StrEnum):
    """Why an object cannot be imported (wire values of a plan problem's ``reason``)."""

    INVALID_DEFINITION = "invalid_definition"
    MISSING_REFERENCE = "missing_reference"
    MISSING_SECRET = "missing_secret"
    MISSING_WORKSPACE = "missing_workspace"
    DEPENDENCY_CYCLE = "dependency_cycle"
    LOCKED = "locked"
    LOCKED_TAG = "locked_tag"
    SCHEDULED = "scheduled"
    TIME_ZONE = "time_zone"
    SIGNATURE = "signature"
    DRIFT = "drift"
    OLDER_PACKAGE = "older_package"
    """A package of the same source older than the one that last wrote the object (``onDrift``
    FAIL): importing it would put back what that one replaced."""
    NAME_CONFLICT = "name_conflict"
    IN_USE = "in_use"
    POLICY = "policy"
    """A rule of the target workspace's or the route's policy (``domain/policies.py``)."""
    REMOTE = "remote"
    """What a remote's push would refuse (``services/remotes/pushable.py``): the remote is
    written all or nothing, and DataArts' public API renames only jobs and cannot swap names
    within one push."""


class PushRule(StrEnum):
    """Which rule of a push a ``remote`` problem of the whole package breaks (its ``rule``)."""

    ATOMIC = "remote.atomic"
    """A remote is written all or nothing: no PER_OBJECT import into its shadow."""
    SUBMITS = "remote.submits"
    """A remote submits every job a push writes: no import into its shadow saves only."""


class DriftPolicy(StrEnum):
    """What an import does with an object changed in the target since the last import wrote
    it (``onDrift``)."""

    FAIL = "FAIL"
    KEEP_TARGET = "KEEP_TARGET"
    TAKE_PACKAGE = "TAKE_PACKAGE"


class SchedulingPolicy(StrEnum):
    """What an import does with a scheduled job it would write (``scheduling``)."""

    REFUSE = "REFUSE"
    PAUSE_AND_RESTORE = "PAUSE_AND_RESTORE"


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


ENVIRONMENT_KINDS: frozenset[str] = frozenset(EnvironmentKind)


class EnvType(StrEnum):
    """Which side of an environment object: DataArts Studio's ``env_type`` 0 and 1.

    Jobs, profiles, imports and every API but the data-connection calls see the development
    side; an enterprise-mode data connection may also have a production side under its name.
    """

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SameNamePolicy(StrEnum):
    """What an import does with an object whose name already exists in the target
    (``sameNamePolicy``). AUTO is jobferry's own value (what its CLI, console and routes ask
    for): OVERWRITE when the target's ledger holds objects from the package's source, else SKIP;
    the plan says which it chose and why."""

    SKIP = "SKIP"
    OVERWRITE = "OVERWRITE"
    AUTO = "AUTO"


class SkipReason(StrEnum):
    """Why a plan leaves an object that differs from the package as the target has it."""

    SAME_NAME_POLICY = "SAME_NAME_POLICY"
    """``sameNamePolicy`` SKIP was asked (DataArts' default when the body names none)."""
    FIRST_IMPORT = "FIRST_IMPORT"
    """``sameNamePolicy`` AUTO, and the target received nothing from the package's source."""
    KEPT_DRIFT = "KEPT_DRIFT"
    """The object changed in the target since the last import, and ``onDrift`` KEEP_TARGET."""
    KEPT_NEWER = "KEPT_NEWER"
    """A newer package of the same source last wrote the object, and ``onDrift``
    KEEP_TARGET."""
    KEPT_DELETED = "KEPT_DELETED"
    """A newer package's import deleted the object, and ``onDrift`` KEEP_TARGET."""


class ImportMode(StrEnum):
    """Whether an import writes nothing while any object has a problem (``mode``)."""

    ATOMIC = "ATOMIC"
    PER_OBJECT = "PER_OBJECT"


class TaskStatus(StrEnum):
    """A system task's status (``status`` of ListSystemTasksResponse and of its subtasks).

    A queued task is RUNNING without an owner: DataArts has no queued status.
    """

    RUNNING = "RUNNING"
    SUCCESSFUL = "SUCCESSFUL"
    WARNING = "WARNING"
    FAILED = "FAILED"


class TaskKind(StrEnum):
    """What a system task does (jobferry's ``kind`` of a task)."""

    IMPORT = "import"
    PLAN = "plan"
    """An import's dry run (a plan): it runs as an import does and writes nothing. Plans made
    before this kind existed are stored, and listed, as ``import``."""
    EXPORT = "export"
    CONNECTIONS = "connections"
    ROLLBACK = "rollback"
    """An import's rollback, asked to run in the background (``Prefer: respond-async``)."""
    REFRESH = "refresh"
    """A remote's refresh, asked to run in the background (``Prefer: respond-async``), in its
    shadow workspace."""
    PROMOTION = "promotion"
    """A route's promotion planned (or packaged) past the budget of the call that asked with
    ``Prefer: respond-async``, in the route's target workspace (``services/routes/running``)."""


class RemoteReach(StrEnum):
    """What one cheap signed read of a remote found (``remotes test``)."""

    REACHABLE = "reachable"
    AUTH_REFUSED = "auth_refused"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


class RefreshAction(StrEnum):
    """What a refresh did to one object of a shadow workspace."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNCHANGED = "unchanged"


class RefreshSource(StrEnum):
    """What a refresh read: the remote itself through its API, or a snapshot carried from it."""

    REMOTE = "remote"
    SNAPSHOT = "snapshot"


class RefKind(StrEnum):
    """Kinds of object a job definition names that are not environment objects: other jobs,
    scripts, resources and tags.

    With :class:`EnvironmentKind` they are the reference table's vocabulary,
    :data:`AnyRefKind`; each list is written once (a ``StrEnum`` cannot extend another).
    """

    SCRIPT = "script"
    RESOURCE = "resource"
    JOB = "job"
    TAG = "tag"


AnyRefKind: TypeAlias = RefKind | EnvironmentKind
"""Every kind of object a job definition can name (the reference table's ``kind``)."""

REF_KINDS: frozenset[str] = frozenset(RefKind) | ENVIRONMENT_KINDS


def ref_kind(value: str) -> AnyRefKind:
    """The kind a reference's ``kind`` value names (ValueError for none)."""
    if value in ENVIRONMENT_KINDS:
        return EnvironmentKind(value)
    return RefKind(value)


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

NODE_TYPES = frozenset(
    {
        # The API reference's enum of a node's type.
        "HiveSQL",
        "SparkSQL",
        "DWSSQL",
        "DLISQL",
        "Shell",
        "CDMJob",
        "DISTransferTask",
        "CSJob",
        "CloudTableManage",
        "OBSManager",
        "RESTAPI",
        "MachineLearning",
        "SMN",
        "MRSSpark",
        "MapReduce",
        "DLISpark",
        "MRSFlink",
        "MRSFlinkJob",
        "MRSHetuEngine",
        "RDS SQL",
        "DataMigration",
        "OneclickCDC",
        "Dummy",
        "MRSSparkPython",
        # Seen in the documentation's examples and in real exports besides the enum.
        "DISStream",
        "CloudTableManager",
        "RestClient",
        "RDSSQL",
        "Python",
        "ModelArtsTrain",
        # The reference table's further types (domain/references.py).
        "SubJob",
        "ImportGES",
        "GES",
        "DataQualityMonitor",
        "DQMJob",
    }
)
"""The node types DataArts is known to have. A node's type is open text on the wire (DataArts
and jobferry save any): a type outside these is saved, and the console's editor warns of it."""


class CautionKind(StrEnum):
    """What a save accepts that is probably a mistake (the editor's review says each)."""

    UNKNOWN_NODE_TYPE = "unknown_node_type"
    """A node's type is none DataArts is known to have (a typo, or the wrong case)."""
    MISSING_REFERENCE = "missing_reference"
    """The definition names a script, resource, job or environment object the workspace
    lacks: the save keeps the name, the job fails when it runs."""


SCHEDULE_TYPES = ("EXECUTE_ONCE", "CRON", "EVENT", "EVENT_TRIGGER", "RUN_ONCE", "SCHEDULE")

FAIL_POLICIES = ("FAIL", "IGNORE", "SUSPEND", "FAIL_CHILD")


class RollbackRule(StrEnum):
    """Why a rollback (of an import, a push into a remote's shadow, a release) is refused: the
    ``rule`` of ``DLF.9016``, stable for scripts to tell the refusals apart."""

    CHANGED = "changed"
    """Objects it wrote changed since (``conflicts`` names them)."""
    ROLLED_BACK = "rolled_back"
    """It was rolled back already."""
    EXPIRED = "expired"
    """It ended more than ``JOBFERRY_ROLLBACK_DAYS`` ago: what it replaced was dropped."""
    NOT_IMPORT = "not_import"
    """The task is a plan, or of another kind than an import."""
    NOT_FINISHED = "not_finished"
    """The import has not ended successfully (running, or failed)."""
    NOTHING = "nothing"
    """It changed nothing (pushed nothing, released nothing): nothing to roll back."""
    BUSY = "busy"
    """It is being rolled back or imported over right now."""
    INTERRUPTED = "interrupted"
    """The rollback was cut short (its task failed as orphaned, or the shadow refused its part
    after the remote's was undone): the message says what stands."""
    NOT_LAST = "not_last"
    """A release that is not production's last change (another release, a rollback or a
    restore came after it)."""
    NOT_RELEASED = "not_released"
    """No release of it in the ledger (a restore of a package or entry that is no release)."""
    MIXED_SOURCES = "mixed_sources"
    """A restore would write objects released from two workspaces."""
    SCHEDULING = "scheduling"
    """A job the release wrote was started or stopped by hand since."""
