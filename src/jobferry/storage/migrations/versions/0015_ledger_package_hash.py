"""ledger package hash: which package each ledger row came from

A job's provenance (where it came from) names the package an import read; the ledger row kept
the import task but not the package. The new column is filled for the rows already there from
their import task's result (``packageSha256``); a row whose task left none keeps it empty.

Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

_LEDGER = sa.table(
    "promotion_ledger", sa.column("task_id", sa.String), sa.column("package_sha256", sa.String)
)
_TASKS = sa.table("system_tasks", sa.column("id", sa.String), sa.column("result", sa.Text))


def upgrade() -> None:
    op.add_column(
        "promotion_ledger", sa.Column("package_sha256", sa.String(length=64), nullable=True)
    )
    conn = op.get_bind()
    task_ids = [r[0] for r in conn.execute(sa.select(_LEDGER.c.task_id).distinct())]
    for task_id in task_ids:
        result = conn.execute(
            sa.select(_TASKS.c.result).where(_TASKS.c.id == task_id)
        ).scalar_one_or_none()
        sha = _package_sha256(result)
        if sha is not None:
            conn.execute(
                sa.update(_LEDGER).where(_LEDGER.c.task_id == task_id).values(package_sha256=sha)
            )


def _package_sha256(result: str | None) -> str | None:
    try:
        found = json.loads(result or "null")
    except ValueError:
        return None
    sha = found.get("packageSha256") if isinstance(found, dict) else None
    return sha if isinstance(sha, str) and len(sha) == 64 else None


def downgrade() -> None:
    with op.batch_alter_table("promotion_ledger") as batch:
        batch.drop_column("package_sha256")
