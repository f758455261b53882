"""``JOBFERRY_DATABASE_URL``: a PostgreSQL URL is read whether it begins ``postgres://`` (as
libpq, Heroku and many tools write it) or ``postgresql://``, with any driver or none, and is
driven by psycopg 3; a database jobferry does not support is refused naming the setting and
the URLs it takes, never repeating the password."""

from __future__ import annotations

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.storage import Database
from jobferry.storage.database import normalise_url
from support.databases import PG_URL, require_postgres


@pytest.mark.parametrize(
    "url",
    [
        "postgres://jobs:pw@db.example:5432/jobferry",
        "postgresql://jobs:pw@db.example:5432/jobferry",
        "postgres+psycopg2://jobs:pw@db.example:5432/jobferry",
        "postgresql+asyncpg://jobs:pw@db.example:5432/jobferry",
        "postgresql+psycopg://jobs:pw@db.example:5432/jobferry",
    ],
)
def test_every_spelling_of_a_postgresql_url_is_driven_by_psycopg(url: str) -> None:
    assert normalise_url(url) == "postgresql+psycopg://jobs:pw@db.example:5432/jobferry"


def test_a_postgres_url_opens_the_database() -> None:
    require_postgres()
    db = Database(PG_URL.replace("postgresql://", "postgres://", 1))
    try:
        assert db.dialect == "postgresql"
        with db.transaction(readonly=True) as tx:
            assert tx.conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        db.dispose()


def test_a_database_jobferry_does_not_support_is_refused_naming_what_it_takes() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        normalise_url("mysql://jobs:hunter2@db.example/jobferry")
    said = refused.value.message
    assert "JOBFERRY_DATABASE_URL names a 'mysql' database" in said
    assert "postgresql://user@host:5432/db" in said
    assert "postgres://" in said
    assert "sqlite:///FILE" in said
    assert "hunter2" not in said
