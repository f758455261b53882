"""Settings: one typed object, built at the entry point and passed down.

Every field reads from the environment variable ``JOBFERRY_<FIELD NAME IN UPPER CASE>``. Below the
command line nothing reads the environment (tests/test_code_shape.py), nothing at import time. A
fresh install needs no settings at all: SQLite and the package store live in ``./data``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobferry.errors import InvalidRequestError
from jobferry.setting_limits import problem_lines


class OffsetMode(StrEnum):
    """How list calls read ``offset``: as a row offset (what the clients that page send) or as
    a page index (what the DataArts docs say)."""

    PAGE = "page"
    ROW = "row"


class LogLevel(StrEnum):
    """How much the server logs (uvicorn's and jobferry's loggers)."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class PackageStoreKind(StrEnum):
    """Where the download center keeps generated packages."""

    LOCAL = "local"
    S3 = "s3"


class Settings(BaseSettings):
    """Everything an operator can set. Each field's description is its help text."""

    model_config = SettingsConfigDict(env_prefix="JOBFERRY_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port the HTTP server listens on.")
    data_dir: Path = Field(
        Path("./data"),
        description="Folder for the embedded SQLite database, the package store, the secret key "
        "file and the bootstrap admin credentials.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Unset: SQLite file jobferry.db in the data "
        "folder. PostgreSQL: postgresql://user@host:5432/db (needs the [postgres] extra); "
        "postgres:// and a named driver (postgresql+psycopg2://) are read alike, always driven "
        "by psycopg 3.",
    )
    database_pool_size: int = Field(
        16,
        ge=1,
        le=1000,
        description="Database connections each server process keeps open (PostgreSQL, or a "
        "SQLite file): as many as requests commonly run at once.",
    )
    database_pool_overflow: int = Field(
        32,
        ge=0,
        le=1000,
        description="Database connections a server process opens beyond "
        "JOBFERRY_DATABASE_POOL_SIZE while more requests run at once, closed when they end. A "
        "process may hold the sum of both; PostgreSQL's max_connections must cover that times "
        "JOBFERRY_WORKERS, plus the database's other clients.",
    )
    project_id: str | None = Field(
        None,
        description="Project id created on first start of an empty database (32 hex characters "
        "are generated when unset). Ignored once a project exists.",
    )
    admin_ak: str | None = Field(
        None,
        description="Access key of the bootstrap admin, used on first start of an empty database "
        "(generated when unset, printed once and stored owner-readable in the data folder).",
    )
    admin_sk: str | None = Field(
        None,
        description="Secret key of the bootstrap admin, used on first start of an empty database "
        "(generated when unset).",
    )
    secret_key: str | None = Field(
        None,
        description="Key (Fernet: url-safe base64 of 32 bytes) encrypting stored secret keys and "
        "connection secrets. Unset: generated once into secret.key in the data folder. Every "
        "replica sharing a database must use the same key. Several, separated by commas, while "
        "the key is changed: the first encrypts, any decrypts (jobferry db rotate-secret-key).",
    )
    clock_skew_seconds: int = Field(
        900,
        ge=0,
        description="How far the X-Sdk-Date of a signed request may be from the server clock.",
    )
    batch_export: bool = Field(
        True,
        description="Whether this server exports jobs as packages (export_job, batch and "
        "workspace exports, the connection bundle). Off on a platform that only receives "
        "promotions: the calls answer DLF.9050 and the console hides its export pages.",
    )
    batch_import: bool = Field(
        True,
        description="Whether this server imports packages (upload, check, plan, import, the "
        "connection bundle). Off on a platform that only sends promotions: the calls answer "
        "DLF.9050 and the console hides its import pages.",
    )
    read_cache_mb: int = Field(
        8,
        ge=0,
        le=4096,
        description="Memory, in MB, each server process keeps for answered reads (show and list "
        "of jobs, scripts and resources). An answer is served from memory only after the "
        "database confirms nothing was committed since it was built (on SQLite PRAGMA "
        "data_version, on PostgreSQL pg_current_snapshot()), so a change committed by any "
        "process is seen by the next request. 0 turns the cache off.",
    )
    auth_cache_seconds: float = Field(
        2.0,
        ge=0,
        le=300,
        description="How long a process keeps a verified access key's secret and user, a "
        "verified IAM token, and a caller's role in a workspace, in memory. Changes made through "
        "this process apply at once; made through another process (JOBFERRY_WORKERS, replicas, "
        "jobferry admin), within this many seconds. 0 reads them from storage on every request.",
    )
    replay_protection: bool = Field(
        True,
        description="Refuse a signed POST, PUT, DELETE or PATCH whose signature was already "
        "accepted (a replay) while its X-Sdk-Date is inside the clock-skew window; the "
        "signatures are kept in the database, so every server process sharing it refuses them.",
    )
    replay_grace_seconds: int = Field(
        5,
        ge=0,
        description="A repeat of an accepted signature this many seconds or less after it was "
        "first accepted is still accepted: the SDK dates signatures to the second, so the "
        "same call sent twice within one second is signed alike. 0 refuses every repeat.",
    )
    ak_lockout_failures: int = Field(
        5,
        ge=0,
        description="Failed signatures in a row after which an access key is locked (as the API "
        "gateway: 'AK access failed to reach the limit'); only signatures that do not match a "
        "key's secret count, and an accepted request (not a replay) resets it. 0: never lock.",
    )
    ak_lockout_seconds: int = Field(
        300,
        ge=1,
        description="How long a locked access key is refused, even with a good signature.",
    )
    public_hosts: str | None = Field(
        None,
        description="Comma-separated host[:port] names this server is reached by, as clients "
        "send them in the Host header (no port when it is the scheme's default). Set: a "
        "signed request for any other Host is refused, so a request signed for another "
        "endpoint cannot be replayed here. Unset: any Host.",
    )
    offset_mode: OffsetMode = Field(
        OffsetMode.ROW,
        description="How list calls read offset: 'row' (number of rows to skip, as the "
        "Terraform provider pages: offset += rows received) or 'page' (page index, as the "
        "DataArts docs word it).",
    )
    max_nodes_per_job: int = Field(
        200, ge=1, description="Most nodes one job may have (DataArts: 200)."
    )
    log_level: LogLevel = Field(
        LogLevel.INFO, description="Server log level (debug, info, warning, error)."
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes jobferry serve runs on its one port (uvicorn's "
        "multi-process mode); each has its own task threads and claims queued tasks from the "
        "database. More than 1 needs PostgreSQL: on SQLite the server refuses to start.",
    )
    task_threads: int = Field(
        2,
        ge=0,
        le=64,
        description="Background tasks (imports, plans, exports) one server process runs at "
        "once, and as many route promotions past their budget beside them; more wait queued in "
        "the database for any process sharing it. 0: this process runs none (an API-only "
        "replica).",
    )
    shutdown_seconds: int = Field(
        20,
        ge=1,
        le=3600,
        description="How long a stopping server process (SIGTERM, Ctrl-C) waits for the calls in "
        "progress before it cuts them, each answered 503 DLF.9071; tasks it runs still finish.",
    )
    worker_heartbeat_seconds: int = Field(
        15,
        ge=1,
        description="How often a server process records that it is alive; a task claimed by a "
        "process that missed four beats is marked FAILED by any other process.",
    )
    export_batch_max_jobs: int = Field(
        100, ge=1, description="Most job names one batch export (jobList) may name (DataArts: 100)."
    )
    export_name_list_max: int = Field(
        200, ge=1, description="Most names one export-by-name-list request may paste."
    )
    export_workspace_max_jobs: int = Field(
        0,
        ge=0,
        description="Most jobs one workspace export may hold; 0 = no cap (DataArts caps at "
        "10,000).",
    )
    export_manifest: bool = Field(
        True,
        description="Write manifest.json into exported packages; false gives strictly "
        "DataArts-shaped packages (a request may still ask either way).",
    )
    import_limits: str = Field(
        "jobferry",
        pattern="^(jobferry|dataarts)$",
        description="Package read limits: 'jobferry' (the JOBFERRY_IMPORT_MAX_* settings) or "
        "'dataarts' (DataArts' own: 10 MB compressed, 10 MB uncompressed).",
    )
    import_max_package_bytes: int = Field(
        1024 * 1024 * 1024,
        ge=1,
        description="Largest package (zip file) import reads. Packages stream, so memory does "
        "not bound this; disk and time do (a 100,000-job workspace zips to about 100 MB).",
    )
    import_max_uncompressed_bytes: int = Field(
        8 * 1024 * 1024 * 1024, ge=1, description="Most bytes a package may unpack to, in all."
    )
    import_max_entries: int = Field(
        2_000_000, ge=1, description="Most entries a package may hold (two per job is usual)."
    )
    import_max_entry_ratio: int = Field(
        200,
        ge=1,
        description="Highest compression ratio one entry may have (zip bombs); entries under "
        "64 KiB are exempt.",
    )
    import_helper_objects: int = Field(
        5000,
        ge=0,
        description="Packages with at least this many definitions are read, transformed and "
        "checked object by object in a helper process beside the import (a second core), while "
        "the import matches and writes; 0: every package.",
    )
    kept_plans_max_bytes: int = Field(
        4 * 1024 * 1024 * 1024,
        ge=0,
        description="Most disk the kept plans' working sets take in the scratch folder (a "
        "plan keeps what its import applies, so that the import does not plan again). Past it "
        "the oldest are dropped first; an import naming a plan whose working set was dropped "
        "plans again and compares. 0 keeps none.",
    )
    remote_refresh_seconds: int = Field(
        0,
        ge=0,
        le=86400,
        description="A plan (or dry run, or an import naming no planId) into a remote's shadow "
        "workspace refreshes it from the remote first, unless its last refresh is younger than "
        "this many seconds (0: every time). A shadow last refreshed from a carried snapshot is "
        "not refreshed: the plan says which snapshot it used.",
    )
    remote_push_calls_in_flight: int = Field(
        16,
        ge=1,
        le=64,
        description="Most calls a push to a remote DataArts workspace has in flight at once "
        "(calls that do not depend on one another; a 429 answer is waited out and retried), "
        "and its undo when it fails (the calls of one level of the push undone together).",
    )
    remote_retry_seconds: float = Field(
        0.2,
        gt=0,
        le=5,
        description="First wait before a call to a remote DataArts endpoint that failed for a "
        "passing reason (429, a 5xx, a lost connection) is sent again; each later wait doubles, "
        "up to 5 s (a Retry-After the remote sends is waited, up to 5 s).",
    )
    remote_throttle_seconds: float = Field(
        60,
        ge=0,
        le=3600,
        description="How long, in all, a call to a remote DataArts endpoint that its API gateway "
        "throttles (HTTP 429: nothing was done) is waited for and sent again before the refresh, "
        "plan or push making it fails; the waits double from JOBFERRY_REMOTE_RETRY_SECONDS up "
        "to 5 s each (or as Retry-After says, up to this budget).",
    )
    remote_settle_seconds: float = Field(
        60,
        ge=0,
        le=3600,
        description="How long a call to a remote that got no answer may still reach it and "
        "take effect. The undo of a push (or of a push's rollback) whose call timed out waits "
        "this long first, and a push whose server process died is undone after a restart only "
        "once this long has passed since its last call was sent: the undo reads the remote to "
        "decide what to undo.",
    )
    rollback_days: int = Field(
        0,
        ge=0,
        le=36500,
        description="How many days after it ended an import (a push into a remote included) "
        "can be rolled back. Past them, what the import replaced (kept to roll it back) and "
        "what its push sent are dropped, and its rollback is refused saying so; its task, "
        "counts and record of what it changed stay. 0: kept for ever (the database grows by "
        "every definition each import overwrites or deletes).",
    )
    task_lines_days: int = Field(
        0,
        ge=0,
        le=36500,
        description="How many days after it ended a task keeps its per-object lines (an "
        "import's subtasks: one per object of its package, unchanged ones included). Past "
        "them, the housekeeping sweep drops the lines; the task keeps its status, message, "
        "counts and result, and says when its lines were dropped. 0: kept for ever.",
    )
    audit_days: int = Field(
        0,
        ge=0,
        le=36500,
        description="How many days audit entries are kept. Past them, the housekeeping sweep "
        "drops them, and a search of an older window says before which moment entries were "
        "dropped. 0: kept for ever.",
    )
    export_helper_jobs: int = Field(
        5000,
        ge=0,
        description="Exports of at least this many jobs are deflated and written into the zip "
        "by a helper process (a second core) while the export reads the next definitions; 0: "
        "every export.",
    )
    download_ttl_seconds: int = Field(
        3 * 24 * 3600,
        ge=60,
        description="How long a generated package stays in the download center (default 3 days).",
    )
    package_store: PackageStoreKind = Field(
        PackageStoreKind.LOCAL,
        description="Where the download center keeps packages: 'local' (the data folder) or "
        "'s3' (JOBFERRY_S3_BUCKET).",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of the S3-compatible object storage that obs:// paths map to "
        "(OBS speaks the S3 API), e.g. https://obs.<region>.myhuaweicloud.com.",
    )
    s3_region: str = Field("us-east-1", description="Region name sent to the object storage.")
    s3_access_key_id: str | None = Field(None, description="Access key for the object storage.")
    s3_secret_access_key: str | None = Field(None, description="Secret key for the object storage.")
    s3_bucket: str | None = Field(
        None, description="Bucket of the download center when JOBFERRY_PACKAGE_STORE=s3."
    )
    s3_prefix: str = Field(
        "jobferry/packages/", description="Key prefix of download-center packages in that bucket."
    )
    s3_connect_timeout_seconds: float = Field(
        5,
        gt=0,
        le=60,
        description="How long a call to the object storage waits to connect before it gives up "
        "(each attempt).",
    )
    s3_read_timeout_seconds: float = Field(
        20,
        gt=0,
        le=300,
        description="How long a call to the object storage waits for its answer (or to send the "
        "next part of an upload) before it gives up (each attempt).",
    )
    s3_max_attempts: int = Field(
        2,
        ge=1,
        le=10,
        description="Attempts of one call to the object storage, the first included: a call "
        "that timed out or met a server error is sent again this many times in all, then the "
        "request fails (503). Keep attempts x (connect + read timeouts) well under the 120 s "
        "a client waits for an answer.",
    )

    console_session_hours: float = Field(
        12,
        gt=0,
        description="How long a web console session lasts after sign-in, at most (hours).",
    )
    iam_token_hours: float = Field(
        24,
        gt=0,
        le=24,
        description="How long an IAM token from POST /v3/auth/tokens lasts (hours; IAM's 24).",
    )
    console_idle_minutes: int = Field(
        60,
        ge=1,
        description="A web console session unused for this many minutes ends (sign in again). "
        "A use is noted at most once a minute, so a session may end up to a minute sooner.",
    )
    console_lockout_failures: int = Field(
        5,
        ge=1,
        description="Failed console sign-ins in a row before each further attempt must wait.",
    )
    console_lockout_seconds: int = Field(
        30,
        ge=1,
        description="First wait after JOBFERRY_CONSOLE_LOCKOUT_FAILURES failed sign-ins; it "
        "doubles with every further failure, up to one hour, and a good sign-in resets it.",
    )
    console_sync_export_max_jobs: int = Field(
        20,
        ge=1,
        description="Console exports of at most this many ticked jobs download at once; larger "
        "ones run as a task and land in the download center.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        """``INFO`` as ``info``: log levels are written both ways."""
        return value.strip().lower() if isinstance(value, str) else value

    def public_host_set(self) -> frozenset[str]:
        """``public_hosts`` as lower-case names; empty when unset (every Host accepted)."""
        names = (self.public_hosts or "").split(",")
        return frozenset(name.strip().lower() for name in names if name.strip())

    def resolved_database_url(self) -> str:
        """The database URL to use: the setting, or the SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'jobferry.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides winning.

    A setting the environment gives a value it does not accept is refused with one line per
    such setting (variable, value, rule, fix), not pydantic's report."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = problem_lines(Settings.model_fields, exc.errors())
        head = (
            lines[0]
            if len(lines) == 1
            else f"{len(lines)} settings are not valid:\n" + "\n".join(f"  {x}" for x in lines)
        )
        raise InvalidRequestError(head, settings=lines) from None
