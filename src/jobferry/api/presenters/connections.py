"""Data connections as DataArts Factory (``/connections``, camelCase settings) and DataArts
Studio (``/data-connections``, snake_case) answer them."""

from __future__ import annotations

from typing import Any

from jobferry.services.connections.dlf import Connection, ConnectionPage
from jobferry.services.connections.studio import ENV_CODES, DataConnection, DataConnectionPage


def connection(item: Connection) -> dict[str, Any]:
    """A ``ConnectionInfo`` (secrets masked)."""
    return {
        "name": item.name,
        "type": item.type,
        "config": item.config,
        "description": item.description,
    }


def connections(page: ConnectionPage) -> dict[str, Any]:
    """The answer of listing connections: a page and how many match in all."""
    return {"total": page.total, "connections": [connection(c) for c in page.items]}


def data_source(item: DataConnection) -> dict[str, Any]:
    """An ``ApigDataSourceView``: a list item, without settings or side."""
    return {
        "dw_name": item.name,
        "dw_type": item.type,
        "create_user": item.created_by,
        "create_time": item.created_at,
        "agent_id": item.agent_id,
        "agent_name": item.agent_name,
        "dw_id": item.dw_id,
        "qualified_name": item.name,
        "description": item.description,
    }


def data_connection(item: DataConnection) -> dict[str, Any]:
    """A ``ShowDataconnectionResponse`` (``dw_catagory`` spelt as the SDK reads it)."""
    return {
        **data_source(item),
        "dw_config": item.config,
        "env_type": ENV_CODES[item.env],
        "dw_catagory": item.category,
        "update_type": 0 if item.updated_at == item.created_at else 1,
    }


def data_connections(page: DataConnectionPage) -> dict[str, Any]:
    """A ``ListDataconnectionsResponse``."""
    return {
        "count": len(page.items),
        "max_records": page.matched,
        "total_size": page.total,
        "data_connection_lists": [data_source(c) for c in page.items],
    }
