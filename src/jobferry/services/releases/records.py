"""What the release calls take and answer, typed: requests parsed once from the wire body,
records the presenters render (DataArts' snake_case is the API's, not this module's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.bounds import INT64_MAX
from jobferry.domain.releases import MAX_PACKAGE_ITEMS, DeployStatus, StartupMode, TaskType
from jobferry.errors import InvalidRequestError
from jobferry.services.support.paging import MAX_OFFSET, whole
from jobferry.storage.releases import ItemFilter, ItemRecord, PackageRecord


@dataclass(frozen=True)
class PackageRequest:
    """``create_factory_pending_items_package``'s body."""

    apply_user_id: str
    package_name: str
    items: tuple[str, ...]
    approver_ids: tuple[str, ...]


NO_APPLICANT = "no applicant is named; the applicant is the caller, by user id"
ITEMS_SHAPE = "the pending items are not a list of ids"
APPROVERS_SHAPE = "the approvers are not a list of user ids"
"""The problems of a package request's shape, said in no client's terms (a refusal carries
its fix for each client: ``Remedy.MEND_PACKAGE_REQUEST``)."""


def _strings(body: dict[str, Any], key: str, problems: list[str], wrong: str) -> tuple[str, ...]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        problems.append(wrong)
        return ()
    return tuple(str(v) for v in value)


def _text(body: dict[str, Any], key: str, problems: list[str], missing: str) -> str:
    value = body.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        problems.append(missing)
        return ""
    return str(value).strip()


def parse_package_request(body: dict[str, Any]) -> tuple[PackageRequest, list[str]]:
    """The body checked for shape: the request and every shape problem found (the service
    adds the rules' problems and refuses them all at once)."""
    problems: list[str] = []
    name = body.get("package_name")
    request = PackageRequest(
        _text(body, "apply_user_id", problems, NO_APPLICANT),
        str(name).strip() if isinstance(name, str | int) else "",  # its rules: the service's
        _strings(body, "pending_item_list", problems, ITEMS_SHAPE),
        _strings(body, "approver_ids", problems, APPROVERS_SHAPE),
    )
    return request, problems


@dataclass(frozen=True)
class DeployRequest:
    """``deploy_factory_packages``'s body."""

    package_ids: tuple[int, ...]
    startup_mode: StartupMode


def package_ids(body: dict[str, Any], call: str) -> tuple[int, ...]:
    """``package_ids`` checked: 1 to 100 ids, each a package id (an integer as a string)."""
    value = body.get("package_ids")
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(
            f"{call}: package_ids is required: a list of 1 to {MAX_PACKAGE_ITEMS} release "
            "package ids (list_factory_release_packages lists them).",
            parameter="package_ids",
        )
    if len(value) > MAX_PACKAGE_ITEMS:
        raise InvalidRequestError(
            f"{call}: package_ids names {len(value)} packages; name at most "
            f"{MAX_PACKAGE_ITEMS} a call.",
            parameter="package_ids",
        )
    ids = []
    for item in value:
        text = str(item)
        if isinstance(item, bool) or not text.isdigit():
            raise InvalidRequestError(
                f"{call}: package id '{text}' is not a release package id (a number, as "
                "list_factory_release_packages answers it).",
                parameter="package_ids",
            )
        ids.append(int(text))
    return tuple(dict.fromkeys(ids))


def parse_deploy(body: dict[str, Any]) -> DeployRequest:
    """``{"package_ids", "startup_mode"}`` (``startup_mode`` 1 when absent)."""
    ids = package_ids(body, "deploy_factory_packages")
    return DeployRequest(ids, startup_mode(body, "deploy_factory_packages", StartupMode.START))


def startup_mode(body: dict[str, Any], call: str, absent: StartupMode) -> StartupMode:
    """A body's ``startup_mode`` (``absent`` when it has none)."""
    mode = body.get("startup_mode")
    if mode is None:
        return absent
    if isinstance(mode, bool) or mode not in (0, 1, "0", "1"):
        raise InvalidRequestError(
            f"{call}: startup_mode {mode!r} is not 0 (leave scheduling as it is) or 1 (start "
            "the released batch jobs).",
            parameter="startup_mode",
        )
    return StartupMode(int(mode))


@dataclass(frozen=True)
class PackageQuery:
    """``list_factory_release_packages``'s body (every filter optional)."""

    key_word: str | None = None
    apply_user_names: tuple[str, ...] = ()
    deploy_user_names: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    """``deploy_status_filter``: a cancelled package (``delete_flag`` 1) matches none of them,
    since it waits for nothing and is released by no one; listed with no status filter, or
    with ``cancelled``."""
    cancelled: bool = False
    """Only the cancelled packages (the console's "cancelled" state)."""
    apply_between: tuple[int | None, int | None] = (None, None)
    deploy_between: tuple[int | None, int | None] = (None, None)
    ascending: bool = False
    order_column: str = "apply_timestamp"
    limit: int = 10
    page: int = 0


@dataclass(frozen=True)
class Restored:
    """A restore that brought a rolled back release back: its ledger entry, by whom, when."""

    entry_id: int
    by: str
    at: int


@dataclass(frozen=True)
class PackageView:
    """A release package as the calls answer it: its stored row, its state now (a deploy
    whose task failed is a failed package), and its items."""

    record: PackageRecord
    status: DeployStatus
    items: tuple[ItemRecord, ...] = ()
    restored: Restored | None = None
    """Its release rolled back, production was restored to it since (``None``: not so)."""

    @property
    def failed_deploy(self) -> bool:
        """Its last deploy failed (it waits again, or reads failed): the record's deployer,
        deploy time and task are that attempt's, not a release's."""
        waiting = self.status in (DeployStatus.PENDING, DeployStatus.FAILED)
        return waiting and self.record.deploy_timestamp is not None


@dataclass(frozen=True)
class Deployed:
    """One package a deploy started: its id, the system task releasing it, its items."""

    package_id: int
    task_id: str
    items: int


@dataclass(frozen=True)
class CreatedPackage:
    """A new release package: its name and id."""

    package_id: int
    name: str
    plan_id: str


def int_parameter(value: Any, name: str, low: int, high: int = INT64_MAX) -> int | None:
    """A number parameter (given as a number or a string of digits) from ``low`` to
    ``high`` (at most what the database stores), or ``None`` when absent."""
    return None if value == "" else whole(value, name, low, high)


def paging(limit: Any, offset: Any) -> tuple[int, int]:
    """``limit`` (1 to 100, 10 when absent) and ``offset`` (a page number, 0 when absent; at
    most ``MAX_OFFSET``), refused in the words of every other list (a blank one too)."""
    rows = whole(limit, "limit", 1, 100)
    return 10 if rows is None else rows, whole(offset, "offset", 0, MAX_OFFSET) or 0


def parse_pending_query(query: dict[str, Any]) -> tuple[ItemFilter, int, int]:
    """``list_factory_pending_items``' query: (filter, limit, page)."""
    task_type = int_parameter(query.get("task_type"), "task_type", 1, 3)
    update_type = int_parameter(query.get("update_type"), "update_type", 1, 3)
    where = ItemFilter(
        item_name=query.get("item_name") or None,
        submit_user_name=query.get("submit_user_name") or None,
        update_type=update_type,
        task_type_kind=str(TaskType(task_type).kind) if task_type is not None else None,
        start_time=int_parameter(query.get("start_time"), "start_time", 0),
        end_time=int_parameter(query.get("end_time"), "end_time", 0),
    )
    limit, page = paging(query.get("limit"), query.get("offset"))
    return where, limit, page


ORDER_COLUMNS = ("apply_timestamp", "deploy_timestamp", "package_name", "deploy_status")


def _names(body: dict[str, Any], many: str, one: str) -> tuple[str, ...]:
    listed = body.get(many)
    if listed is not None and (
        not isinstance(listed, list) or not all(isinstance(n, str) for n in listed)
    ):
        raise InvalidRequestError(f"{many} must be a list of user names.", parameter=many)
    single = body.get(one)
    if single is not None and not isinstance(single, str):
        raise InvalidRequestError(f"{one} must be a user name.", parameter=one)
    names = tuple(listed or ())
    if single:
        if names and single not in names:
            raise InvalidRequestError(
                f"{one} '{single}' is not among {many}; name it there too, or leave one out.",
                parameter=one,
            )
        names = names or (single,)
    return names


def parse_package_query(body: dict[str, Any]) -> PackageQuery:
    """``list_factory_release_packages``' body (a POST that lists)."""
    statuses = body.get("deploy_status_filter") or []
    if not isinstance(statuses, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in statuses
    ):
        raise InvalidRequestError(
            "deploy_status_filter must be a list of deploy statuses (1 pending approval, 2 "
            "released, 3 failed, 5 releasing).",
            parameter="deploy_status_filter",
        )
    direction = str(body.get("sorted_direction") or "desc").lower()
    if direction not in ("asc", "desc"):
        raise InvalidRequestError(
            f"sorted_direction '{direction}' is not asc or desc.", parameter="sorted_direction"
        )
    column = str(body.get("order_column") or "apply_timestamp")
    if column not in ORDER_COLUMNS:
        raise InvalidRequestError(
            f"order_column '{column}' is not one of {', '.join(ORDER_COLUMNS)}.",
            parameter="order_column",
        )
    key_word = body.get("key_word")
    if key_word is not None and not isinstance(key_word, str):
        raise InvalidRequestError("key_word must be text.", parameter="key_word")
    limit, page = paging(body.get("limit"), body.get("offset"))
    return PackageQuery(
        key_word=key_word or None,
        apply_user_names=_names(body, "apply_user_name_filter", "apply_user_name"),
        deploy_user_names=_names(body, "deploy_user_name_filter", "deploy_user_name"),
        statuses=tuple(statuses),
        apply_between=(
            int_parameter(body.get("apply_begin_time"), "apply_begin_time", 0),
            int_parameter(body.get("apply_end_time"), "apply_end_time", 0),
        ),
        deploy_between=(
            int_parameter(body.get("deploy_begin_time"), "deploy_begin_time", 0),
            int_parameter(body.get("deploy_end_time"), "deploy_end_time", 0),
        ),
        ascending=direction == "asc",
        order_column=column,
        limit=limit,
        page=page,
    )
