"""Environment objects (the ``/environment`` extension, camelCase) and workspace variables
(DataArts Studio's factory v2 ``/env``, snake_case)."""

from __future__ import annotations

from typing import Any

from jobferry.services.environment.objects import EnvironmentObject
from jobferry.services.environment.variables import Variable

VARIABLES_SAVED = {"is_success": True, "status_code": 200}
"""What DataArts answers a PUT of workspace variables with."""


def environment_object(obj: EnvironmentObject) -> dict[str, Any]:
    """An environment object: config in full, secrets only as 'set'."""
    return {
        "kind": obj.kind.value,
        "name": obj.name,
        "type": obj.type,
        "config": obj.config,
        "secrets": {key: "set" for key in obj.secret_keys},
        "createTime": obj.created_at,
        "updateTime": obj.updated_at,
        "updateUser": obj.updated_by,
    }


def variable(item: Variable) -> dict[str, str]:
    """An ``EnvRespParams``."""
    return {"name": item.name, "type": item.type, "value": item.value, "desc": item.description}


def variables(items: tuple[Variable, ...]) -> dict[str, Any]:
    """``ShowFactoryEnvResponse``: every variable by name."""
    return {"params": [variable(v) for v in items]}
