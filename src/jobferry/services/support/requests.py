"""Request values that several calls take, checked one way for all of them."""

from __future__ import annotations

from jobferry.domain.names import check_object_name
from jobferry.errors import InvalidRequestError


def valid_name(name: object, what: str) -> str:
    """``name`` when it is a valid ``what`` name (e.g. "tag name"); otherwise a refusal
    saying the rule it breaks."""
    problem = check_object_name(name, what)
    if problem:
        raise InvalidRequestError(problem)
    assert isinstance(name, str)
    return name


def is_object_list(value: object, key: str) -> bool:
    """Whether ``value`` is a list of objects that each have a string ``key``: the shape of
    ``jobParams`` (``name``) and ``approvers`` (``approverName``)."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get(key), str) for item in value
    )
