"""All services, wired once at the entry point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobferry.errors import InvalidRequestError, ObjectStoreUnavailableError
from jobferry.services.accounts.lockouts import AccessKeyLockout
from jobferry.services.accounts.replays import ReplayGuard
from jobferry.services.accounts.service import AccountService
from jobferry.services.accounts.signin import SignInService
from jobferry.services.accounts.tokens import TokenService
from jobferry.services.accounts.users import UserAdmin
from jobferry.services.audit import AuditService
from jobferry.services.connections.dlf import DlfConnectionService
from jobferry.services.connections.migration import ConnectionMigration
from jobferry.services.connections.store import ConnectionStore
from jobferry.services.connections.studio import DataConnectionService
from jobferry.services.definitions.compare import Comparisons
from jobferry.services.definitions.drift import DriftService
from jobferry.services.definitions.folders import FolderService
from jobferry.services.definitions.governance import GovernanceService
from jobferry.services.definitions.jobs import JobService
from jobferry.services.definitions.resources import ResourceService
from jobferry.services.definitions.restore import VersionRestores
from jobferry.services.definitions.review import DefinitionReviews
from jobferry.services.definitions.scripts import ScriptService
from jobferry.services.definitions.submit import VersionSubmits
from jobferry.services.downloads import DownloadService
from jobferry.services.environment.objects import EnvironmentService
from jobferry.services.environment.variables import VariableService
from jobferry.services.exporting.service import ExportService
from jobferry.services.importing.delivery import Deliveries
from jobferry.services.importing.expiry import RollbackExpiry
from jobferry.services.importing.rollback import RollbackService
from jobferry.services.importing.service import ImportService
from jobferry.services.importing.started import PlanImports
from jobferry.services.importing.uploads import read_limits
from jobferry.services.policies.service import PolicyService
from jobferry.services.releases.approval_keys import ApprovalKeys
from jobferry.services.releases.approvals import ApprovalService
from jobferry.services.releases.carried import CarriedReleases
from jobferry.services.releases.delivery import ReleaseDelivery
from jobferry.services.releases.ledger import LedgerService
from jobferry.services.releases.restore import RestoreService
from jobferry.services.releases.rollback import ReleaseRollbackService
from jobferry.services.releases.service import ReleaseService
from jobferry.services.releases.signatures import ReleaseApprovals
from jobferry.services.remotes.delivery import RemoteDelivery
from jobferry.services.remotes.push import PushService
from jobferry.services.remotes.refresh_task import RefreshTasks
from jobferry.services.remotes.rollback import PushRollback
from jobferry.services.remotes.service import RemoteService
from jobferry.services.retention import Retention
from jobferry.services.routes.approvals import RouteApprovals
from jobferry.services.routes.plans import RoutePlans
from jobferry.services.routes.promote import RoutePromotions
from jobferry.services.routes.running import PromotionRuns
from jobferry.services.routes.service import RouteService
from jobferry.services.support.answers import ReadAnswers
from jobferry.services.support.dbhealth import DatabaseState, database_state
from jobferry.services.support.secretbox import SecretBox
from jobferry.services.support.storehealth import StoreHealth
from jobferry.services.support.switches import Switches
from jobferry.services.tasks import TaskService
from jobferry.services.workspaces.keys import KeyService
from jobferry.services.workspaces.profiles import ProfileService
from jobferry.services.workspaces.studio import StudioWorkspaceService
from jobferry.settings import PackageStoreKind, Settings
from jobferry.storage import Database
from jobferry.storage.blobs import BlobStore, LocalBlobStore, ObjectStorage, S3BlobStore, S3Config


@dataclass
class Services:
    """The use cases an adapter may call."""

    settings: Settings
    db: Database
    accounts: AccountService
    replays: ReplayGuard
    lockouts: AccessKeyLockout
    jobs: JobService
    reviews: DefinitionReviews
    comparisons: Comparisons
    version_restores: VersionRestores
    version_submits: VersionSubmits
    plan_imports: PlanImports
    folders: FolderService
    drift: DriftService
    scripts: ScriptService
    resources: ResourceService
    environment: EnvironmentService
    governance: GovernanceService
    audit: AuditService
    tasks: TaskService
    downloads: DownloadService
    exports: ExportService
    imports: ImportService
    signin: SignInService
    tokens: TokenService
    users: UserAdmin
    profiles: ProfileService
    policies: PolicyService
    routes: RouteService
    promotions: RoutePromotions
    route_plans: RoutePlans
    promotion_runs: PromotionRuns
    keys: KeyService
    rollback: RollbackService
    rollback_expiry: RollbackExpiry
    retention: Retention
    connections: DlfConnectionService
    connection_migration: ConnectionMigration
    data_connections: DataConnectionService
    variables: VariableService
    studio_workspaces: StudioWorkspaceService
    answers: ReadAnswers
    remotes: RemoteService
    refresh_tasks: RefreshTasks
    pushes: PushService
    releases: ReleaseService
    approvals: ApprovalService
    approval_keys: ApprovalKeys
    release_approvals: ReleaseApprovals
    route_approvals: RouteApprovals
    carried_releases: CarriedReleases
    release_rollback: ReleaseRollbackService
    restores: RestoreService
    ledger: LedgerService
    store_health: StoreHealth
    """The package store's state, for ``GET /health``."""

    @classmethod
    def build(cls, settings: Settings, db: Database) -> Services:
        """Wire every service over one database and one secret box."""
        box = SecretBox.for_database(settings.secret_key, settings.data_dir, db)
        mode = settings.offset_mode
        storage = LazyObjectStorage(settings)
        store: BlobStore = LocalBlobStore(settings.data_dir / "packages")
        uploads: BlobStore = LocalBlobStore(settings.data_dir / "uploads", "the upload store")
        if settings.package_store == PackageStoreKind.S3:
            if not settings.s3_bucket:
                raise InvalidRequestError(
                    "JOBFERRY_PACKAGE_STORE=s3 needs JOBFERRY_S3_BUCKET (and the S3 endpoint)."
                )
            bucket = settings.s3_bucket
            named = f"(bucket '{bucket}', JOBFERRY_S3_BUCKET)"
            store = S3BlobStore(storage(), bucket, settings.s3_prefix, f"the package store {named}")
            uploads = S3BlobStore(
                storage(), bucket, f"{settings.s3_prefix}uploads/", f"the upload store {named}"
            )
        tasks = TaskService(
            db, heartbeat_seconds=settings.worker_heartbeat_seconds, offset_mode=mode
        )
        accounts = AccountService(db, box, cache_seconds=settings.auth_cache_seconds)
        accounts.data_dir = settings.data_dir
        downloads = DownloadService(db, store, settings.download_ttl_seconds, accounts.scope)
        keys = KeyService(db, box)
        deliveries = Deliveries(release=ReleaseDelivery(db))
        imports = ImportService(
            db, settings, tasks, uploads, storage, read_limits(settings), downloads, deliveries
        )
        connection_store = ConnectionStore(box)
        routes = RouteService(db)
        remotes = RemoteService(
            db,
            box,
            accounts,
            imports.packages,
            retry_seconds=settings.remote_retry_seconds,
            throttle_seconds=settings.remote_throttle_seconds,
            progress=tasks.progress,
        )
        pushes = PushService(
            db,
            remotes,
            tasks,
            settings.remote_push_calls_in_flight,
            settle_ms=int(settings.remote_settle_seconds * 1000),
        )
        tasks.telling = pushes.telling
        deliveries.remote = RemoteDelivery(
            pushes, PushRollback(pushes), settings.remote_refresh_seconds
        )
        promotions = RoutePromotions(
            db, settings, routes, accounts, imports.packages, keys, downloads, deliveries
        )
        route_plans = RoutePlans(db, promotions, imports)
        releases = ReleaseService(db, imports, accounts)
        rollback = RollbackService(db, deliveries, tasks)
        release_approvals = ReleaseApprovals(db)
        signin = SignInService(db, settings)
        tokens = TokenService(
            db, signin, hours=settings.iam_token_hours, cache_seconds=settings.auth_cache_seconds
        )
        signin.password_changed = tokens.forget

        def forget_removed(access_keys: Sequence[str]) -> None:
            for access_key in access_keys:
                accounts.forget_key(access_key)
            accounts.forget_scopes()
            tokens.forget()

        users = UserAdmin(
            db, idle_ms=signin.idle_ms, forget=forget_removed, data_dir=settings.data_dir
        )
        jobs = JobService(db, max_nodes=settings.max_nodes_per_job, offset_mode=mode)
        scripts = ScriptService(db, offset_mode=mode)
        restores = VersionRestores(db, jobs, scripts)
        return cls(
            settings=settings,
            db=db,
            accounts=accounts,
            replays=ReplayGuard(
                db,
                enabled=settings.replay_protection,
                grace_ms=settings.replay_grace_seconds * 1000,
            ),
            lockouts=AccessKeyLockout(
                db,
                box,
                max_failures=settings.ak_lockout_failures,
                lock_seconds=settings.ak_lockout_seconds,
            ),
            jobs=jobs,
            reviews=DefinitionReviews(db, settings.max_nodes_per_job),
            comparisons=Comparisons(db),
            version_restores=restores,
            version_submits=VersionSubmits(db, restores),
            plan_imports=PlanImports(db),
            folders=FolderService(db),
            drift=DriftService(db),
            scripts=scripts,
            resources=ResourceService(db, offset_mode=mode),
            environment=EnvironmentService(db, box),
            governance=GovernanceService(db),
            audit=AuditService(db),
            tasks=tasks,
            downloads=downloads,
            exports=ExportService(db, settings, downloads, tasks, storage, keys),
            imports=imports,
            signin=signin,
            tokens=tokens,
            users=users,
            profiles=ProfileService(db),
            policies=PolicyService(db),
            routes=routes,
            promotions=promotions,
            route_plans=route_plans,
            promotion_runs=PromotionRuns(route_plans, tasks, slots=settings.task_threads),
            keys=keys,
            rollback=rollback,
            rollback_expiry=RollbackExpiry(db, settings.rollback_days),
            retention=Retention(db, settings.task_lines_days, settings.audit_days),
            connections=DlfConnectionService(db, connection_store, mode),
            connection_migration=ConnectionMigration(
                db, connection_store, imports.packages, tasks, Switches.of(settings)
            ),
            data_connections=DataConnectionService(db, connection_store, mode),
            variables=VariableService(db),
            studio_workspaces=StudioWorkspaceService(db),
            answers=ReadAnswers(db.changes, settings.read_cache_mb * 1024 * 1024),
            remotes=remotes,
            refresh_tasks=RefreshTasks(remotes, tasks),
            pushes=pushes,
            releases=releases,
            approvals=ApprovalService(db),
            approval_keys=ApprovalKeys(db),
            release_approvals=release_approvals,
            carried_releases=CarriedReleases(db, imports, releases, release_approvals),
            route_approvals=RouteApprovals(db, promotions),
            release_rollback=ReleaseRollbackService(db, rollback),
            restores=RestoreService(db, imports),
            ledger=LedgerService(db),
            store_health=StoreHealth(store),
        )

    def database_state(self) -> DatabaseState:
        """The database's kind and whether it answers a read now, for ``GET /health``."""
        return database_state(self.db, self.accounts.project_exists)

    def check_package_store(self) -> None:
        """Refuse to start on a package store in object storage that does not answer now
        (one look at its bucket, no retries): a wrong endpoint, bucket or credentials would
        otherwise show first as the failure of a user's upload or export."""
        store = self.downloads.store
        if not isinstance(store, S3BlobStore):
            return
        try:
            store.check()
        except ObjectStoreUnavailableError as exc:
            fix = (
                f"Create bucket '{store.bucket}' at JOBFERRY_S3_ENDPOINT_URL (or set "
                "JOBFERRY_S3_BUCKET to a bucket that exists there), and start the server again."
                if exc.context.get("missing") == "bucket"
                else "Correct JOBFERRY_S3_ENDPOINT_URL, JOBFERRY_S3_BUCKET and the credentials "
                "(JOBFERRY_S3_ACCESS_KEY_ID, JOBFERRY_S3_SECRET_ACCESS_KEY), or wait for the "
                "object storage to answer, and start the server again."
            )
            raise ObjectStoreUnavailableError(
                f"JOBFERRY_PACKAGE_STORE=s3, but {exc.problem[:1].lower()}{exc.problem[1:]}",
                fix=fix,
                **{k: v for k, v in exc.context.items() if k != "retry_after"},
            ) from exc


class LazyObjectStorage:
    """Creates the S3 client on first use (boto3 is slow to import and optional)."""

    def __init__(self, settings: Settings) -> None:
        self.config = S3Config(
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_connect_timeout_seconds,
            settings.s3_read_timeout_seconds,
            settings.s3_max_attempts,
        )
        self._storage: ObjectStorage | None = None

    def __call__(self) -> ObjectStorage:
        if self._storage is None:
            self._storage = ObjectStorage(self.config)
        return self._storage
