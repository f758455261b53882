"""remote studio endpoints: a remote's DataArts Studio endpoint beside its Factory endpoint

The DataArts Studio calls a refresh makes (``list_dataconnections``, ``show_dataconnection``,
``show_factory_env``) are published on the Studio host (``https://dayu.<region>...``), not
the Factory one. A remote may name that endpoint; every remote already there keeps it empty,
which means its Factory endpoint, as before.

Create Date: 2026-11-25 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    op.add_column("remotes", sa.Column("studio_endpoint", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remotes") as batch:
        batch.drop_column("studio_endpoint")
