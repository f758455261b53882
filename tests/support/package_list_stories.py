"""Generated stories of ``list_factory_release_packages`` for
``tests/api/test_generated_package_lists.py``, and what docs/api.md ("Releases") promises of
it: a developer of an enterprise workspace packages one script each into release packages
whose names hold each other and differ in case, some cancelled; then the list is asked with a
drawn ``key_word`` (a part of the name, as written: case counts), ``deploy_status_filter`` (a
cancelled package matches none), ``apply_user_name``, ``order_column`` and
``sorted_direction`` (``desc`` by default, by ``apply_timestamp`` by default), ``limit`` and
``offset`` (a page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.list_model import Model
from support.list_stories import name_filters, names
from support.release_stories import Step

COLUMNS = (None, "apply_timestamp", "package_name", "deploy_status")
DIRECTIONS = (None, "desc", "asc")
STATUS_FILTERS: tuple[list[int] | None, ...] = (None, None, [1], [2], [1, 2], [3])


@dataclass(frozen=True)
class Package:
    name: str
    cancelled: bool


def matches(package: Package, body: dict[str, Any], applicant: str) -> bool:
    """Whether the list holds ``package`` for the request ``body``."""
    word = body.get("key_word")
    if word and word not in package.name:
        return False
    statuses = body.get("deploy_status_filter")
    if statuses and (package.cancelled or 1 not in statuses):
        return False
    user = body.get("apply_user_name")
    return not user or user == applicant


@st.composite
def packages(draw: st.DrawFn) -> list[Package]:
    chosen = draw(st.lists(names, min_size=1, max_size=7, unique=True))
    return [Package(name, draw(st.booleans()) and draw(st.booleans())) for name in chosen]


@st.composite
def package_queries(draw: st.DrawFn, made: list[Package]) -> Step:
    body: dict[str, Any] = {
        "key_word": draw(name_filters(Model(scripts=[p.name for p in made]))),
        "deploy_status_filter": draw(st.sampled_from(STATUS_FILTERS)),
        "apply_user_name": draw(st.sampled_from((None, None, None, "applicant", "nobody"))),
        "order_column": draw(st.sampled_from(COLUMNS)),
        "sorted_direction": draw(st.sampled_from(DIRECTIONS)),
    }
    chosen = {k: v for k, v in body.items() if v is not None}
    return Step("walk", (chosen, draw(st.integers(1, 4)), draw(st.integers(0, 4))))


@st.composite
def package_list_stories(draw: st.DrawFn) -> tuple[list[Package], tuple[Step, ...]]:
    made = draw(packages())
    return made, tuple(draw(st.lists(package_queries(made), min_size=1, max_size=6)))
