"""A fixed manifest header for package tests."""

from __future__ import annotations

from jobferry.package.manifest import ManifestHeader

HEADER = ManifestHeader(
    producer_version="0.1.0",
    project_id="0123456789abcdef0123456789abcdef",
    workspace_id="ws-1",
    workspace_name="default",
    created_at_ms=1_760_000_000_000,
    options={"exportDepend": True},
)
