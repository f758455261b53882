"""The database schema as SQLAlchemy Core tables (the Alembic migrations create exactly these).

Definitions are stored as JSON text, not JSONB: a definition must come back with its keys in the
order they were saved, unknown keys included, and JSONB reorders keys.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from jobferry.storage.columns import BigId, at_and_by, by_and_at, project_id, user_id, workspace_id

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def versioned_documents(name: str, owner: Column[str], *, name_length: int = 128) -> Table:
    """A table of named documents saved as versions (``storage/versioned.py``): the ``owner``
    column, ``name`` and ``version`` are the key of each saved document."""
    return Table(
        name,
        metadata,
        owner,
        Column("name", String(name_length), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("document", Text, nullable=False),
        *at_and_by("created"),
    )


def stored_package() -> tuple[Column[Any], ...]:
    """A package file kept in a store (``store``, ``location``) until ``expires_at``: its size,
    hash, and who wrote it when."""
    return (
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("store", String(8), nullable=False),
        Column("location", String(1024), nullable=False),
        *by_and_at("created"),
        Column("expires_at", BigInteger, nullable=False),
    )


def submitted_versions(name: str, owner: Column[Any], *extra: Column[Any]) -> Table:
    """A table of the immutable submitted versions of a job or script: the ``owner`` column
    (its id, deleted with it) and ``version`` are the key; ``extra`` columns follow the
    document."""
    return Table(
        name,
        metadata,
        owner,
        Column("version", Integer, primary_key=True),
        Column("status", String(16), nullable=False),
        Column("document", Text, nullable=False),
        *extra,
        *at_and_by("created"),
    )


projects = Table(
    "projects",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(64), primary_key=True),
    project_id(),
    Column("name", String(128), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("lock_policy", String(8), nullable=False, default="soft"),
    Column("approval_enabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("require_signed", Boolean, nullable=False, default=False, server_default=false()),
    # The remote (storage/remotes.py) this workspace is the shadow of: it changes only with it.
    Column("shadow_of", String(128), nullable=True),
    # Enterprise mode (storage/releases.py): the production side, and the side's development.
    Column("production_id", String(64), nullable=True),
    Column("production_of", String(64), nullable=True),
    UniqueConstraint("project_id", "name"),
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    project_id(),
    Column("name", String(128), nullable=False),
    Column("is_project_admin", Boolean, nullable=False, default=False),
    Column("password_hash", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", BigInteger, nullable=True),
    UniqueConstraint("project_id", "name"),
    sqlite_autoincrement=True,  # no removed user's id given again on SQLite either (0046)
)

credentials = Table(
    "credentials",
    metadata,
    Column("access_key", String(128), primary_key=True),
    user_id(),
    Column("secret_encrypted", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

role_bindings = Table(
    "role_bindings",
    metadata,
    user_id(primary_key=True),
    Column(
        "workspace_id",
        String(64),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(16), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uid", String(32), nullable=False, unique=True),  # stable identity (#16), never reused
    workspace_id(),
    Column("name", String(128), nullable=False),
    Column("directory", String(1024), nullable=False),
    Column("process_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("latest_version", Integer, nullable=True),
    *at_and_by("created"),
    *at_and_by("updated"),
    # What a listing shows of the definition (rows.job_summary; 0041): None for a row written
    # before it, whose listing reads the definition instead.
    Column("summary", Text, nullable=True),
    # The definition's SHA-256 (rows.document_sha256; 0042): drift compares it with the ledger's.
    Column("document_sha256", String(64), nullable=True),
    UniqueConstraint("workspace_id", "name"),
    # A folder's listing (console): directories grouped, one page by name, state filters.
    Index("ix_jobs_folder", "workspace_id", "directory", "name", "status", "latest_version"),
    # list_jobs of one job type (as the SDK asks): counted and paged by name from the index.
    Index("ix_jobs_type", "workspace_id", "process_type", "name"),
    sqlite_autoincrement=True,  # no deleted job's id given again on SQLite either (0044)
)

job_versions = submitted_versions(
    "job_versions",
    Column("job_id", BigId, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("approvers", Text, nullable=True),
)

# One row per distinct (kind, name, workspace) a job's development state references: "who uses
# this script/connection/job". Derived data with no foreign key (0005: on PostgreSQL it cost a
# locking look-up per row): whatever deletes a job deletes its rows in the same transaction.
job_refs = Table(
    "job_refs",
    metadata,
    Column("job_id", BigId, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("ref_workspace", String(128), nullable=False, default=""),
    Index("ix_job_refs_lookup", "kind", "name"),
    Index("ix_job_refs_job", "job_id"),
)

scripts = Table(
    "scripts",
    metadata,
    Column("id", String(64), primary_key=True),
    workspace_id(),
    Column("name", String(128), nullable=False),
    Column("type", String(32), nullable=False),
    Column("directory", String(1024), nullable=False),
    Column("document", Text, nullable=False),
    Column("latest_version", Integer, nullable=True),
    *at_and_by("created"),
    *at_and_by("updated"),
    Column("document_sha256", String(64), nullable=True),  # as the job's (0042)
    UniqueConstraint("workspace_id", "name"),
    Index("ix_scripts_folder", "workspace_id", "directory", "name"),
)

script_versions = submitted_versions(
    "script_versions",
    Column("script_id", String(64), ForeignKey("scripts.id", ondelete="CASCADE"), primary_key=True),
)

resources = Table(
    "resources",
    metadata,
    Column("id", String(64), primary_key=True),
    workspace_id(),
    Column("name", String(128), nullable=False),
    Column("type", String(16), nullable=False),
    Column("directory", String(1024), nullable=False),
    Column("document", Text, nullable=False),
    *at_and_by("created"),
    *at_and_by("updated"),
    Column("document_sha256", String(64), nullable=True),  # as the job's (0042)
    UniqueConstraint("workspace_id", "name"),
    Index("ix_resources_folder", "workspace_id", "directory", "name"),
)

tags = Table(
    "tags",
    metadata,
    workspace_id(primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("locked", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
)

locks = Table(
    "locks",
    metadata,
    workspace_id(primary_key=True),
    Column("object_kind", String(16), primary_key=True),
    Column("object_name", String(128), primary_key=True),
    Column("holder_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("acquired_at", BigInteger, nullable=False),
)

environment_objects = Table(
    "environment_objects",
    metadata,
    workspace_id(primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),
    # development or production: an enterprise-mode data connection has both sides under one
    # name; everything jobs reference (and every API but the data-connection calls) is the
    # development side.
    Column("env", String(16), primary_key=True, server_default="development"),
    Column("type", String(64), nullable=False),
    Column("config", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    *at_and_by("updated"),
    Column("object_id", String(32), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_by", String(128), nullable=False, server_default=""),
    UniqueConstraint("object_id"),
)

# Secrets live apart from their object, encrypted: no query reading configs can leak them.
environment_secrets = Table(
    "environment_secrets",
    metadata,
    Column("workspace_id", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("secret_keys", Text, nullable=False),
    Column("secrets_encrypted", Text, nullable=False),
    Column("env", String(16), primary_key=True, server_default="development"),
    ForeignKeyConstraint(
        ["workspace_id", "kind", "name", "env"],
        [
            "environment_objects.workspace_id",
            "environment_objects.kind",
            "environment_objects.name",
            "environment_objects.env",
        ],
        ondelete="CASCADE",
    ),
)

# Workspace environment variables (DataArts ``/v2/{project_id}/factory/env``): one flat set per
# workspace, read by jobs and scripts as ${name}.
workspace_variables = Table(
    "workspace_variables",
    metadata,
    workspace_id(primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("description", Text, nullable=False),
    *at_and_by("updated"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", String(64), nullable=False),
    Column("workspace_id", String(64), nullable=True),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_kind", String(32), nullable=True),
    Column("object_name", String(256), nullable=True),
    Column("detail", Text, nullable=True),
    Column("at", BigInteger, nullable=False),
    Index("ix_audit_log_scope", "project_id", "workspace_id", "at"),
    Index("ix_audit_log_object", "workspace_id", "object_name", "at"),
)

# ``JOBFERRY_AUDIT_DAYS``: entries before ``before`` were dropped (last at ``dropped_at``,
# kept ``kept_days``); one row (id 1) once the sweep dropped any (0035).
dropped_audit = Table(
    "dropped_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("before", BigInteger, nullable=False),
    Column("dropped_at", BigInteger, nullable=False),
    Column("kept_days", Integer, nullable=False),
)

# Long work (imports, plans, exports) with persisted status; DataArts' "system task". A task
# is queued (RUNNING, no owner) until a server process claims it (owner: its workers row);
# ``actor`` is who asked (user id, name, project admin, role), so any process can run it.
system_tasks = Table(
    "system_tasks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project_id", String(64), nullable=False),
    workspace_id(),
    Column("kind", String(16), nullable=False),
    Column("name", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=True),
    Column("progress", Integer, nullable=False, default=0),
    Column("request", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("subtasks", Text, nullable=True),
    Column("created_by", String(128), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("last_update", BigInteger, nullable=False),
    Column("owner", String(64), nullable=True),
    Column("actor", Text, nullable=True),
    # ``JOBFERRY_TASK_LINES_DAYS``: when the sweep dropped its subtask rows, after how many
    # days, and how many it dropped (0035); NULL while they are kept.
    Column("lines_dropped_at", BigInteger, nullable=True),
    Column("lines_kept_days", Integer, nullable=True),
    Column("lines_dropped", Integer, nullable=True),
    Index("ix_system_tasks_scope", "workspace_id", "start_time"),
    # The ended tasks the sweep has yet to pass, oldest first.
    Index(
        "ix_system_tasks_lines_kept",
        "end_time",
        "id",
        postgresql_where=text("lines_dropped_at IS NULL"),
        sqlite_where=text("lines_dropped_at IS NULL"),
    ),
    # Only RUNNING tasks (queued or claimed): what claims and the heartbeat's orphan scan read.
    Index(
        "ix_system_tasks_running",
        "start_time",
        "id",
        postgresql_where=text("status = 'RUNNING'"),
        sqlite_where=text("status = 'RUNNING'"),
    ),
)

# The download center: packages generated by tasks, kept until they expire.
downloads = Table(
    "downloads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project_id", String(64), nullable=False),
    workspace_id(),
    Column("task_id", String(32), nullable=True),
    Column("file_name", String(256), nullable=False),
    Column("selection", Text, nullable=False),
    *stored_package(),
    Index("ix_downloads_scope", "workspace_id", "created_at"),
)

# When each workspace was last exported whole ("changed since the last export" starts there).
workspace_exports = Table(
    "workspace_exports",
    metadata,
    workspace_id(primary_key=True),
    Column("last_export_at", BigInteger, nullable=False),
)


# Server processes and their heartbeats: a RUNNING task whose owner stopped beating is dead.
workers = Table(
    "workers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(256), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("heartbeat_at", BigInteger, nullable=False),
)

# Packages uploaded for import (POST /packages), kept until they expire.
uploads = Table(
    "uploads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project_id", String(64), nullable=False),
    workspace_id(),
    Column("file_name", String(256), nullable=False),
    *stored_package(),
)

# One import at a time per workspace, across processes: the primary key is the lock.
import_locks = Table(
    "import_locks",
    metadata,
    workspace_id(primary_key=True),
    Column("task_id", String(32), nullable=False),
    Column("acquired_at", BigInteger, nullable=False),
)

# Plans computed by dry runs; an import naming one is refused if the target changed since.
import_plans = Table(
    "import_plans",
    metadata,
    Column("id", String(32), primary_key=True),
    workspace_id(),
    Column("package_sha256", String(64), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("plan", Text, nullable=False),
    *by_and_at("created"),
)

# What each import did to each object, with the state before it (for audit and rollback).
import_changes = Table(
    "import_changes",
    metadata,
    Column("task_id", String(32), nullable=False),
    Column("workspace_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(256), nullable=False),
    Column("action", String(16), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("before_document", Text, nullable=True),
    Column("before_version", Integer, nullable=True),
    Column("after_version", Integer, nullable=True),
    Column("after_sha256", String(64), nullable=True),
    Column("undo", Text, nullable=True),  # JSON: what else rollback restores (name, status…)
    # A rollback reads a task's changes a batch at a time in this order (migration 0013).
    Index("ix_import_changes_order", "task_id", "kind", "name", "action"),
    Index("ix_import_changes_object", "workspace_id", "object_id"),
)

# Environment profiles: named, versioned mappings for one target environment (each save is a
# new version; the highest version is the profile).
env_profiles = versioned_documents("env_profiles", workspace_id(primary_key=True))

# The Ed25519 key a workspace signs its exports with (private half encrypted).
signing_keys = Table(
    "signing_keys",
    metadata,
    workspace_id(primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("private_key_encrypted", Text, nullable=False),
    *at_and_by("created"),
)

# Public keys whose signatures a workspace accepts on imported packages.
trusted_keys = Table(
    "trusted_keys",
    metadata,
    workspace_id(primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("public_key", Text, nullable=False),
    *at_and_by("added"),
    *at_and_by("distrusted", nullable=True),  # null: trusted; else its packages are refused
)

# Imports that were rolled back (an import rolls back once).
import_rollbacks = Table(
    "import_rollbacks",
    metadata,
    Column("task_id", String(32), primary_key=True),
    workspace_id(),
    *at_and_by("rolled_back"),
)

# Web console sessions: the cookie holds a random token, the table its sha256.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    user_id(),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

# IAM tokens (POST /v3/auth/tokens): the X-Auth-Token's sha256, never the token itself.
iam_tokens = Table(
    "iam_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    user_id(),
    project_id(),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_iam_tokens_expires_at", "expires_at"),
)

# Signatures of accepted state-changing API requests, kept while their X-Sdk-Date is inside the
# clock-skew window: the same signature again is a replay. Shared by every server process.
used_signatures = Table(
    "used_signatures",
    metadata,
    Column("signature", String(128), primary_key=True),
    Column("access_key", String(128), nullable=False),
    Column("accepted_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_used_signatures_expires_at", "expires_at"),
)

# Failed signatures in a row per access key, and the lock they led to (the API gateway's
# "AK access failed to reach the limit"). A row exists only while there is something to count.
access_key_lockouts = Table(
    "access_key_lockouts",
    metadata,
    Column(
        "access_key",
        String(128),
        ForeignKey("credentials.access_key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("failures", Integer, nullable=False),
    Column("locked_until", BigInteger, nullable=True),
)
