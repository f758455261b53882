"""``jobferry db upgrade`` says what it did (revision before → after) and refuses a database
newer than the code, naming the version to use, with one message and no traceback; ``serve``
and ``admin`` refuse it the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobferry import __version__
from jobferry.storage import Database
from jobferry.storage.database import MIGRATIONS_DIR
from jobferry.storage.schema import current_revision, head_revision, revisions, schema_release
from support.cli import invoke
from support.revisions import UPGRADE_FAILS_AT, upgrade_that_fails

FUTURE = "9999"
"""A revision no migration of this code has: a newer jobferry's schema."""


def _env(folder: Path) -> dict[str, str | None]:
    return {
        "JOBFERRY_DATA_DIR": str(folder / "data"),
        "JOBFERRY_DATABASE_URL": f"sqlite:///{folder / 'jobferry.db'}",
    }


def _database(folder: Path, revision: str) -> Database:
    db = Database(f"sqlite:///{folder / 'jobferry.db'}")
    with db.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return db


def _from_the_future(folder: Path, *, recorded: str | None) -> Database:
    """A database a newer jobferry upgraded to ``FUTURE`` (and recorded the release it needs,
    unless ``recorded`` is None)."""
    db = _database(folder, "head")
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
        if recorded is not None:
            schema_release.create(conn, checkfirst=True)
            conn.execute(
                sa.insert(schema_release).values(
                    revision=FUTURE, needs_release=recorded, written_by=recorded, written_at=0
                )
            )
    return db


def test_db_upgrade_names_the_revision_before_and_after(tmp_path: Path) -> None:
    earlier = revisions()[-2]
    _database(tmp_path, earlier).dispose()

    upgraded = invoke(["db", "upgrade"], env=_env(tmp_path))
    again = invoke(["db", "upgrade"], env=_env(tmp_path))

    assert upgraded.exit_code == 0, upgraded.output
    assert f"revision {earlier} → {head_revision()}" in upgraded.stdout
    assert f"jobferry {__version__}" in upgraded.stdout
    assert again.exit_code == 0, again.output
    assert f"at revision {head_revision()} already; nothing to do" in again.stdout


@pytest.mark.parametrize("command_line", [["db", "upgrade"], ["serve", "--port", "0"]])
def test_a_database_newer_than_the_code_names_the_version_to_use(
    tmp_path: Path, command_line: list[str]
) -> None:
    db = _from_the_future(tmp_path, recorded="9.1.0")

    result = invoke(command_line, env=_env(tmp_path))

    assert result.exit_code == 1, result.output
    assert "DLF.9503" in result.stderr
    assert "this jobferry is older than the database; use jobferry 9.1.0 or newer" in (
        " ".join(result.stderr.split())
    )
    assert f"schema revision {FUTURE}" in result.stderr
    assert "run 'jobferry db upgrade'" not in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert current_revision(db) == FUTURE  # nothing changed
    db.dispose()


def test_a_newer_database_without_a_record_still_says_the_code_is_older(tmp_path: Path) -> None:
    _from_the_future(tmp_path, recorded=None).dispose()

    result = invoke(["admin", "users"], env=_env(tmp_path))

    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "this jobferry is older than the database" in said
    assert "use the jobferry that upgraded it, or a newer one" in said


def test_db_upgrade_records_the_release_the_schema_needs(tmp_path: Path) -> None:
    result = invoke(["db", "upgrade"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output

    db = Database(f"sqlite:///{tmp_path / 'jobferry.db'}")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(schema_release)).mappings().all()
    db.dispose()
    assert [(r["revision"], r["written_by"]) for r in rows] == [(head_revision(), __version__)]


def test_db_upgrade_answers_json_with_the_revisions(tmp_path: Path) -> None:
    earlier = revisions()[0]
    _database(tmp_path, earlier).dispose()

    result = invoke(["db", "upgrade", "--json"], env=_env(tmp_path))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "before": earlier,
        "after": head_revision(),
        "version": __version__,
    }


def test_db_upgrade_prints_one_message_and_with_debug_the_whole_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobferry.db'}"
    upgrade_that_fails(url).dispose()
    env: dict[str, str | None] = {
        "JOBFERRY_DATA_DIR": str(tmp_path / "data"),
        "JOBFERRY_DATABASE_URL": url,
    }

    plain = invoke(["db", "upgrade"], env=env)
    debug = invoke(["db", "upgrade", "--debug"], env=env)

    assert plain.exit_code == debug.exit_code == 1
    lines = plain.stderr.strip().splitlines()
    assert len(lines) == 1, plain.stderr
    assert lines[0].startswith(
        f"error DLF.9503: Migration {UPGRADE_FAILS_AT[1]} (ledger package time"
    )
    assert "Traceback" not in plain.output
    assert "Traceback (most recent call last)" in debug.stderr
    assert "duplicate column name: package_created_at" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == lines[0]
