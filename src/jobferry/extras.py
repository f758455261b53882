"""The optional pieces of jobferry (pip extras) and what to say when one is missing.

The server's own install (``make run`` in a checkout) has every piece it can use at run time;
an install from a package names the extras it wants. A missing piece is refused with both
ways to get it, since the message cannot know which install it is read in.
"""

from __future__ import annotations

POSTGRES = "postgres"
"""The PostgreSQL driver (psycopg 3)."""
S3 = "s3"
"""The S3 client (boto3) for ``obs://`` paths and the S3 package store."""


def needs_extra(feature: str, extra: str) -> str:
    """The message for ``feature`` used without the extra that provides it."""
    return (
        f"{feature} needs jobferry's '{extra}' extra, which this install lacks. In a checkout: "
        f"'make run' installs it (or run .venv/bin/pip install -e '.[{extra}]'); an installed "
        f"jobferry: pip install 'jobferry[{extra}]'."
    )
