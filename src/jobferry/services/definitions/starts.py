"""A start call's body (``StartJobReq``), parsed once into a :class:`StartRequest`.

DataArts' start takes the run's parameters and two scheduling options: the day scheduling
starts from (``start_date``, ``YYYYMMDD``) and whether the first day ignores the job's
dependence on its own previous run. The API reference spells the second
``ignore_first_self_dep``; the Terraform provider's job action sends
``ignore_first_self_dependence`` (on every start, ``false`` unless set), and its parameters'
type as ``paramType`` where the SDK writes ``type``. jobferry runs nothing, so none of them
changes what it does; they are checked and kept in the start's audit entry, not dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jobferry.domain.shapes import (
    BodyShape,
    Extra,
    Field,
    JsonType,
    flag,
    json_kind,
    json_text,
    text,
)
from jobferry.errors import InvalidRequestError
from jobferry.services.support.requests import is_object_list

START_DATE = "start_date"
PARAM_TEXTS = ("value", "type", "paramType")
"""A run parameter's fields besides its name: text, or null (Terraform sends ``paramType``
null)."""
IGNORE_FIRST = ("ignore_first_self_dep", "ignore_first_self_dependence")
"""The option's spellings: the API reference's, then the Terraform provider's."""

START = BodyShape(
    "StartJobReq (DataArts)",
    (
        Field(
            "jobParams",
            "parameters of this run",
            (JsonType.ARRAY,),
            items=BodyShape(
                "JobParam",
                (
                    text("name", "the parameter", required=True),
                    text("value", "its value for this run", nullable=True),
                    text("type", "variable or constants (the SDK's spelling)", nullable=True),
                    text(
                        "paramType",
                        "the same (the API reference's and Terraform's spelling)",
                        nullable=True,
                    ),
                ),
                Extra.IGNORED,
            ),
            nullable=True,
        ),
        Field(
            START_DATE,
            "the day scheduling starts from, as the number YYYYMMDD (20241030)",
            (JsonType.INTEGER,),
            nullable=True,
        ),
        flag(
            IGNORE_FIRST[0], "the first day ignores the job's dependence on itself", nullable=True
        ),
        flag(
            IGNORE_FIRST[1], f"the same as {IGNORE_FIRST[0]} (Terraform's spelling)", nullable=True
        ),
    ),
    Extra.IGNORED,
)
"""The body :func:`parse_start` reads; other keys are accepted and ignored."""


@dataclass(frozen=True)
class StartRequest:
    """What a start call asks for: the run's parameters (as sent) and its options."""

    job_params: tuple[dict[str, Any], ...] = ()
    start_date: int | None = None
    ignore_first_self_dependence: bool | None = None

    def detail(self) -> dict[str, Any]:
        """The start's audit detail: its parameters and the options it was given."""
        out: dict[str, Any] = {"jobParams": list(self.job_params)}
        if self.start_date is not None:
            out["startDate"] = self.start_date
        if self.ignore_first_self_dependence is not None:
            out["ignoreFirstSelfDependence"] = self.ignore_first_self_dependence
        return out


def parse_start(body: dict[str, Any] | None) -> StartRequest:
    """A start call's body checked: ``jobParams``, ``start_date`` and the first-day option."""
    given = body or {}
    params = given.get("jobParams")
    if params is not None and not is_object_list(params, "name"):
        raise InvalidRequestError(
            'jobParams must be a list of {"name", "value", "paramType"} objects.',
            parameter="jobParams",
        )
    for i, param in enumerate(params or ()):
        _check_param(i, param)
    return StartRequest(tuple(params or ()), _start_date(given), _ignore_first(given))


def _check_param(index: int, param: dict[str, Any]) -> None:
    """Refuse a run parameter whose value or type is neither text nor null, naming it."""
    for key in PARAM_TEXTS:
        value = param.get(key)
        if value is not None and not isinstance(value, str):
            field = f"jobParams[{index}].{key}"
            raise InvalidRequestError(
                f'{field} must be text or null, not {json_kind(value)}; quote it ("{key}": "...").',
                parameter=field,
            )


def _start_date(body: dict[str, Any]) -> int | None:
    value = body.get(START_DATE)
    if value is None or _is_day(value):
        return value
    raise InvalidRequestError(
        f"{START_DATE} must be a day as the number YYYYMMDD, such as 20241030, not "
        f"{json_text(value)}.",
        parameter=START_DATE,
    )


def _is_day(value: object) -> bool:
    """Whether ``value`` is a whole number spelling a calendar day as YYYYMMDD."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    if not 10000101 <= value <= 99991231:
        return False
    try:
        date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return False
    return True


def _ignore_first(body: dict[str, Any]) -> bool | None:
    given = {name: body[name] for name in IGNORE_FIRST if body.get(name) is not None}
    for name, value in given.items():
        if not isinstance(value, bool):
            raise InvalidRequestError(
                f"{name} must be true or false, not {json_text(value)}.", parameter=name
            )
    if len(set(given.values())) > 1:
        raise InvalidRequestError(
            f"{IGNORE_FIRST[0]} and {IGNORE_FIRST[1]} are the same option and disagree; "
            "give one of them.",
            parameter=IGNORE_FIRST[0],
        )
    return next(iter(given.values()), None)
