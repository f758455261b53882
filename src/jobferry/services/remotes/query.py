"""The query string DataArts' SDKs send (the remote client and the CLI send the same)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def sdk_query(params: dict[str, Any] | None) -> str:
    """The query string the SDK sends: keys sorted, RFC 3986 encoding, ``None`` left out
    (the CLI's client sends the same)."""
    pairs = []
    for key, value in sorted((params or {}).items()):
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        pairs.append(f"{quote(key, safe='~')}={quote(text, safe='~')}")
    return "&".join(pairs)
