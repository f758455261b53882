"""Schema migrations through Alembic, driven in-process (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from jobferry.errors import StorageError
from jobferry.storage.database import MIGRATIONS_DIR, Database


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest migration this version of jobferry ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> str:
    """Bring the database to the newest schema; returns the revision it is at."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()


def require_current(db: Database) -> None:
    """Refuse to serve a database that is not at this version's schema."""
    current, head = current_revision(db), head_revision()
    if current != head:
        raise StorageError(
            f"The database schema is at revision {current or 'none (empty database)'} but this "
            f"jobferry needs {head}; run 'jobferry db upgrade' first."
        )
