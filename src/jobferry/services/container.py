"""All services, wired once at the entry point."""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.services.accounts import AccountService
from jobferry.services.audit import AuditService
from jobferry.services.environment import EnvironmentService
from jobferry.services.governance import GovernanceService
from jobferry.services.jobs import JobService
from jobferry.services.resources import ResourceService
from jobferry.services.scripts import ScriptService
from jobferry.services.secretbox import SecretBox
from jobferry.settings import Settings
from jobferry.storage import Database


@dataclass
class Services:
    """The use cases an adapter may call."""

    settings: Settings
    db: Database
    accounts: AccountService
    jobs: JobService
    scripts: ScriptService
    resources: ResourceService
    environment: EnvironmentService
    governance: GovernanceService
    audit: AuditService

    @classmethod
    def build(cls, settings: Settings, db: Database) -> Services:
        """Wire every service over one database and one secret box."""
        box = SecretBox.from_key_or_file(settings.secret_key, settings.data_dir)
        mode = settings.offset_mode
        return cls(
            settings=settings,
            db=db,
            accounts=AccountService(db, box),
            jobs=JobService(db, max_nodes=settings.max_nodes_per_job, offset_mode=mode),
            scripts=ScriptService(db, offset_mode=mode),
            resources=ResourceService(db, offset_mode=mode),
            environment=EnvironmentService(db, box),
            governance=GovernanceService(db),
            audit=AuditService(db),
        )
