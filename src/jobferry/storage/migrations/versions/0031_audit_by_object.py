"""the audit log searched by object

``GET …/audit?objectName=`` (and ``jobferry audit --object``, the console's history of a job)
reads one object's entries, newest first: ``ix_audit_log_object`` serves it without reading
the workspace's whole log, which on a busy server grows by every change made through the API.

Create Date: 2026-11-27 14:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"


def upgrade() -> None:
    op.create_index("ix_audit_log_object", "audit_log", ["workspace_id", "object_name", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_object", table_name="audit_log")
