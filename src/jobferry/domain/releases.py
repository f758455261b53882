"""The vocabulary of enterprise-mode releases, as DataArts' release calls number it.

The wire carries these as integers (``update_type``, ``task_type``, ``deploy_status``,
``start_job_status``), so they are ``IntEnum``s: a member is the ``int`` the wire sends.
"""

from __future__ import annotations

from enum import IntEnum

from jobferry.domain.enums import ObjectKind, Role

PRODUCTION_SUFFIX = " (production)"
"""The production side's name: its development workspace's, with this suffix."""
ENTERPRISE = "1"
"""A workspace's mode on the wire (``update_work_space_old``'s ``mode``): enterprise, with a
production side changed only by releases."""
SIMPLE = "0"
"""A workspace's mode on the wire: simple, changed directly."""
MAX_PACKAGE_ITEMS = 100
"""The most pending items one release package takes (DataArts' limit)."""
APPROVER_ROLES = (Role.ADMIN, Role.DEPLOYER)
"""The roles that may approve (deploy) a release package."""
CANCEL_ROLES = (Role.ADMIN, Role.DEVELOPER, Role.DEPLOYER, Role.OPERATOR)
"""The roles that may cancel a release package (DataArts' permission matrix)."""
DEPLOY_ROLES = (Role.ADMIN, Role.DEPLOYER, Role.OPERATOR)
"""The roles that may deploy a release package (the matrix's "operate release packages")."""


class UpdateType(IntEnum):
    """What a pending item does to production."""

    ADD = 1
    CHANGE = 2
    DELETE = 3


class TaskType(IntEnum):
    """The kind of object a pending item carries."""

    JOB = 1
    SCRIPT = 2
    RESOURCE = 3

    @classmethod
    def of(cls, kind: ObjectKind) -> TaskType:
        """The task type of an object kind."""
        return {ObjectKind.JOB: cls.JOB, ObjectKind.SCRIPT: cls.SCRIPT}.get(kind, cls.RESOURCE)

    @property
    def kind(self) -> ObjectKind:
        """The object kind of this task type."""
        return {TaskType.JOB: ObjectKind.JOB, TaskType.SCRIPT: ObjectKind.SCRIPT}.get(
            self, ObjectKind.RESOURCE
        )


class DeployStatus(IntEnum):
    """A release package's (or item's) state."""

    PENDING = 1
    """Waiting for an approver to deploy or cancel it."""
    SUCCESS = 2
    FAILED = 3
    RELEASING = 5


class StartJobStatus(IntEnum):
    """Whether a released batch job was started (``startup_mode`` 1)."""

    STARTED = 2
    FAILED = 3


class StartupMode(IntEnum):
    """What a deploy does with scheduling."""

    LEAVE = 0
    """Scheduling is left as production had it."""
    START = 1
    """New batch jobs are started, and those the plan paused are started again."""
