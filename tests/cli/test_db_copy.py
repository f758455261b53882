"""``jobferry db copy --to URL`` says each table as it ends, the total and what it does not
copy (the package store, the secret key), answers ``--json`` with the rows of each table, never
prints a password of a URL, and refuses in one line, naming the option, what it cannot do."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.copying import copied_tables
from jobferry.storage.presence import SUFFIX, Presence
from support.cli import invoke
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID

PASSWORD = "s3cret-pw"


def a_server(folder: Path) -> dict[str, str | None]:
    """A server's data folder and SQLite database, its project and admin made as at its first
    start; the environment that names them."""
    url = f"sqlite:///{folder / 'jobferry.db'}"
    env: dict[str, str | None] = {"JOBFERRY_DATA_DIR": str(folder / "data")}
    assert invoke(["db", "upgrade"], env={**env, "JOBFERRY_DATABASE_URL": url}).exit_code == 0
    db = Database(url)
    Services.build(Settings(data_dir=folder / "data", database_url=url), db).accounts.bootstrap(
        PROJECT_ID, ADMIN_AK, ADMIN_SK
    )
    db.dispose()
    return {**env, "JOBFERRY_DATABASE_URL": url}


def said(text: str) -> str:
    return " ".join(text.split())


def test_db_copy_says_each_table_the_total_and_what_it_does_not_copy(tmp_path: Path) -> None:
    env = a_server(tmp_path)
    to = f"sqlite:///{tmp_path / 'copy.db'}"

    result = invoke(["db", "copy", "--to", to], env=env)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    tables = [t.name for t in copied_tables()]
    assert [line.split(":")[0] for line in lines[: len(tables)]] == tables
    assert "projects: 1 rows" in lines
    assert "users: 1 rows" in lines
    total = sum(int(line.split(": ")[1].split()[0]) for line in lines[: len(tables)])
    assert lines[len(tables)] == (
        f"copied {total} rows of {len(tables)} tables from {env['JOBFERRY_DATABASE_URL']} to {to}"
    )
    note = said("\n".join(lines[len(tables) + 1 :]))
    assert note.startswith("Not copied: the package store")
    assert "the same JOBFERRY_SECRET_KEY" in note


def test_db_copy_answers_json_with_the_rows_of_each_table(tmp_path: Path) -> None:
    env = a_server(tmp_path)
    to = f"sqlite:///{tmp_path / 'copy.db'}"

    result = invoke(["db", "copy", "--to", to, "--json"], env=env)

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"tables", "rows", "source", "target"}
    assert list(answer["tables"]) == [t.name for t in copied_tables()]
    assert answer["tables"]["projects"] == 1
    assert answer["rows"] == sum(answer["tables"].values())
    assert (answer["source"], answer["target"]) == (env["JOBFERRY_DATABASE_URL"], to)
    assert said(result.stderr).startswith("Not copied: the package store")


@pytest.mark.databases("sqlite", "postgresql")
def test_db_copy_never_prints_the_password_of_a_url(tmp_path: Path, pg_schema_url: str) -> None:
    env = a_server(tmp_path)
    to = make_url(pg_schema_url).set(password=PASSWORD).render_as_string(hide_password=False)

    done = invoke(["db", "copy", "--to", to], env=env)
    answered = invoke(["db", "copy", "--to", to, "--json"], env=env)

    assert done.exit_code == 0, done.output
    assert "to postgresql://postgres:***@127.0.0.1" in done.stdout
    assert answered.exit_code == 1  # the copy holds rows now: refused
    refused = json.loads(answered.stdout)["error"]
    assert refused["code"] == "DLF.9068"
    assert refused["target"].startswith("postgresql://postgres:***@127.0.0.1")
    assert "postgres:***@" in refused["message"]
    for result in (done, answered):
        assert PASSWORD not in result.output


def test_db_copy_into_its_own_database_is_refused_in_one_line(tmp_path: Path) -> None:
    env = a_server(tmp_path)
    spelt = f"sqlite:///{tmp_path / '.' / 'jobferry.db'}"

    result = invoke(["db", "copy", "--to", spelt], env=env)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error DLF.9069: The database to copy to")
    assert "cannot be copied into itself; nothing was written" in lines[0]


def test_db_copy_from_a_folder_without_a_database_refuses_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """SQLite makes a file on connect: a copy whose source is not there (run from another
    folder than the server's) is refused before it connects, leaving neither file behind."""
    source, to = tmp_path / "elsewhere" / "jobferry.db", tmp_path / "copy.db"
    env: dict[str, str | None] = {"JOBFERRY_DATABASE_URL": f"sqlite:///{source}"}

    result = invoke(["db", "copy", "--to", f"sqlite:///{to}"], env=env)

    assert result.exit_code == 1, result.output
    assert f"There is no jobferry database at {source}" in said(result.stderr)
    assert not source.parent.exists()
    assert not to.exists()


def test_db_copy_refuses_a_url_it_cannot_use_naming_the_option(tmp_path: Path) -> None:
    env = a_server(tmp_path)

    result = invoke(["db", "copy", "--to", f"mysql://root:{PASSWORD}@db/jobferry"], env=env)

    assert result.exit_code != 0
    assert "--to names a 'mysql' database" in said(result.stderr)
    assert "JOBFERRY_DATABASE_URL" not in result.stderr
    assert PASSWORD not in result.output


def test_db_copy_of_a_database_a_server_serves_warns_that_later_writes_stay_behind(
    tmp_path: Path,
) -> None:
    env = a_server(tmp_path)
    mark = os.open(tmp_path / f"jobferry.db{SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(mark, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a serving process holds it
    try:
        result = invoke(["db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.db'}"], env=env)
    finally:
        os.close(mark)

    assert result.exit_code == 0, result.output
    warning = said(result.stderr)
    assert warning.startswith("warning a jobferry server serves this database now")
    assert "Stop the server before you start one on the copy" in warning


@pytest.mark.databases("postgresql")
def test_db_copy_of_a_postgresql_database_a_server_serves_warns_too(
    tmp_path: Path, pg_schema_url: str
) -> None:
    """A serving process holds its mark on PostgreSQL too (an advisory lock of the database and
    schema, for as long as it lives): the copy looks for it as for SQLite's lock file."""
    env: dict[str, str | None] = {
        "JOBFERRY_DATA_DIR": str(tmp_path / "data"),
        "JOBFERRY_DATABASE_URL": pg_schema_url,
    }
    assert invoke(["db", "upgrade"], env=env).exit_code == 0
    quiet = invoke(["db", "copy", "--to", f"sqlite:///{tmp_path / 'quiet.db'}"], env=env)
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.stderr

    db = Database(pg_schema_url)
    serving = Presence(db)
    serving.enter()  # as a server process holds it, from start to stop
    try:
        warned = invoke(["db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.db'}"], env=env)
    finally:
        serving.leave()
        db.dispose()

    assert warned.exit_code == 0, warned.output
    warning = said(warned.stderr)
    assert warning.startswith("warning a jobferry server serves this database now")
    assert "Stop the server before you start one on the copy" in warning
