"""A migration that fails is said in one message: which migration, the database's error in one
line, what the database holds now (nothing of the upgrade applied: it runs in one transaction,
on SQLite and PostgreSQL alike) and the fix (``tests/cli/test_db_upgrade.py``: as the command
prints it, and with ``--debug``).

The failure is one an operator meets: a column the next migration adds was already added by
hand (or by a restore that mixed two versions)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobferry.errors import StorageError
from jobferry.storage import Database
from jobferry.storage.schema import current_revision, head_revision, upgrade
from support.revisions import UPGRADE_FAILS_AT, upgrade_that_fails

BEFORE, FAILING = UPGRADE_FAILS_AT  # 0033 adds a column; 0032 (an index) runs before it


def _index_of_0032(db: Database) -> bool:
    with db.engine.connect() as conn:
        return any(
            index["name"] == "ix_import_changes_object"
            for index in sa.inspect(conn).get_indexes("import_changes")
        )


def test_a_failed_migration_names_itself_the_error_and_the_fix_and_applies_nothing(
    empty_database_url: str,
) -> None:
    db = upgrade_that_fails(empty_database_url)
    try:
        with pytest.raises(StorageError) as refused:
            upgrade(db)
        error = refused.value
        said = error.message
        assert "\n" not in said
        assert said.startswith(
            f"Migration {FAILING} (ledger package time: how new the package was that last "
            "wrote each object) failed: "
        )
        assert "package_created_at" in said  # the database's own words, in one line
        assert "[SQL:" not in said
        assert (
            f"Nothing of this upgrade was applied: the database is still at revision {BEFORE}"
            in said
        )
        assert "restore it from the backup taken before the upgrade" in said
        assert "jobferry db upgrade --debug" in said
        assert (error.code, error.context) == (
            "DLF.9503",
            {"revision": FAILING, "database_revision": BEFORE},
        )
        assert current_revision(db) == BEFORE
        assert not _index_of_0032(db)  # the migration before the failing one was undone too

        with db.engine.begin() as conn:  # the fix: undo the change made by hand
            conn.exec_driver_sql("ALTER TABLE promotion_ledger DROP COLUMN package_created_at")
        assert upgrade(db).after == head_revision()
        assert _index_of_0032(db)
    finally:
        db.dispose()
