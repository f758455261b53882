"""folder indexes: jobs, scripts and resources by workspace, directory and name

The console lists a workspace's objects one folder at a time (issue #19: a console that holds
100,000 jobs). A folder's listing groups the workspace's directories and reads one page of
the objects stored under a directory, by name; these indexes answer both without reading the
documents. The jobs index also covers the console's scheduling-state filters.

Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_folder",
        "jobs",
        ["workspace_id", "directory", "name", "status", "latest_version"],
    )
    op.create_index("ix_scripts_folder", "scripts", ["workspace_id", "directory", "name"])
    op.create_index("ix_resources_folder", "resources", ["workspace_id", "directory", "name"])


def downgrade() -> None:
    op.drop_index("ix_resources_folder", table_name="resources")
    op.drop_index("ix_scripts_folder", table_name="scripts")
    op.drop_index("ix_jobs_folder", table_name="jobs")
