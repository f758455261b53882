"""The database one benchmark run works on: a SQLite file in the run's folder, or a schema of
its own on PostgreSQL, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
"""The PostgreSQL server the benchmarks use by default (``--pg-url``)."""


@contextmanager
def database(backend: str, data_dir: Path, pg_url: str, prefix: str = "bench") -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL schema (``<prefix>_…``) dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / f'{prefix}.db'}"
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg_url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
