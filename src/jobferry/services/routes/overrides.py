"""Overrides: what a promotion's import changed of its route's settings, and who.

A route holds what a promotion does (``sameNamePolicy``, ``propagateDeletes``, ``onDrift``,
``scheduling``, ``mode``, its profile); a run may override any of them (``promote --on-drift
take-package``, options changed in the console's wizard, any API client's plan and import).
When the import is recorded on the promotion, its request (the task's canonical form) is
compared with the settings of the route version the package was made with, and every
difference is kept with the promotion: the setting, the route's value, the run's, and who ran
the import. When drift protection was overridden (``onDrift`` other than the route's), the
objects the plan wrote over changes made in the target are kept too (the first
:data:`SHOWN`, and how many), read from the plan the import carried out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from jobferry.domain.enums import PlanAction
from jobferry.domain.importsettings import SETTINGS, SettingChange
from jobferry.domain.routes import Route
from jobferry.services.importing.plan import PlanLine
from jobferry.services.importing.request import ImportRequest
from jobferry.storage import Tx
from jobferry.storage.importing import plans as plan_repo

SHOWN = 100
"""Objects written over drift kept by name with an override; the rest are counted."""
_WRITTEN = (PlanAction.OVERWRITE, PlanAction.RENAME)
_PAGE = 500


@dataclass(frozen=True)
class Overrides:
    """What a promotion's import changed of its route's settings, and who ran it."""

    by: str
    settings: tuple[SettingChange, ...]
    drift_overwritten: tuple[tuple[str, str], ...] = ()
    """(kind, name) of the objects written over changes made in the target (the first
    :data:`SHOWN`)."""
    drift_overwritten_total: int = 0

    def dump(self) -> str:
        """The stored form (JSON text)."""
        return orjson.dumps(
            {
                "by": self.by,
                "settings": [list(s.wire().values()) for s in self.settings],
                "driftOverwritten": [list(item) for item in self.drift_overwritten],
                "driftOverwrittenTotal": self.drift_overwritten_total,
            }
        ).decode()

    @classmethod
    def load(cls, text: str | None) -> Overrides | None:
        """The stored form read back (``None``: none recorded)."""
        if not text:
            return None
        stored = orjson.loads(text)
        return cls(
            str(stored["by"]),
            tuple(
                SettingChange.of_wire(str(k), route, run) for k, route, run in stored["settings"]
            ),
            tuple((str(kind), str(name)) for kind, name in stored["driftOverwritten"]),
            int(stored["driftOverwrittenTotal"]),
        )


def overrides_of(
    tx: Tx,
    route: Route,
    request: ImportRequest | Mapping[str, Any],
    by: str,
    plan: tuple[str, str] | None,
) -> Overrides | None:
    """What the import ``request`` (typed, or a task's canonical request) changed of
    ``route``'s settings (``domain.importsettings``), run by ``by``; ``plan`` (workspace id,
    plan id) is the plan it carried out, read for the objects written over drift when
    ``onDrift`` was overridden. ``None``: the run took the route's settings."""
    asked = route.settings.wire()
    run = request.settings.wire() if isinstance(request, ImportRequest) else request
    changed = tuple(
        SettingChange.of_wire(s.wire, asked[s.wire], run.get(s.wire))
        for s in SETTINGS
        if run.get(s.wire) != asked[s.wire]
    )
    if not changed:
        return None
    drifted: list[tuple[str, str]] = []
    total = 0
    if plan is not None and any(s.setting.wire == "onDrift" for s in changed):
        drifted, total = _written_over_drift(tx, *plan)
    return Overrides(by, changed, tuple(drifted), total)


def _written_over_drift(
    tx: Tx, workspace_id: str, plan_id: str
) -> tuple[list[tuple[str, str]], int]:
    """The objects a plan writes over changes made in the target (the first :data:`SHOWN`),
    and how many, a page of its written objects at a time."""
    if plan_repo.get_plan(tx, workspace_id, plan_id) is None:
        return [], 0
    shown: list[tuple[str, str]] = []
    total = 0
    for action in _WRITTEN:
        offset = 0
        while True:
            count, lines = plan_repo.plan_objects(
                tx, plan_id, offset=offset, limit=_PAGE, action=action.value
            )
            for line in (PlanLine.of_stored(orjson.loads(text)) for text in lines):
                if line.drift:
                    total += 1
                    if len(shown) < SHOWN:
                        shown.append((line.kind.value, line.name))
            offset += _PAGE
            if offset >= count:
                break
    return shown, total
