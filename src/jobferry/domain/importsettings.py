"""Import settings: what a route decides of its imports, and what one run may override.

:class:`ImportSettings` is the one value type of these settings: the import request carries
them (``ImportRequest.settings``), a route holds them (``Route.settings``), and the CLI's
``promote`` and the console's "Promote now" send the ones a run changes. :data:`SETTINGS` is
the one table of them: each setting's attribute, its wire key (DataArts-style camelCase, the
only spelling on the wire and in stored documents) and its vocabulary (a domain ``StrEnum``,
whose members the CLI spells in kebab case; ``None`` for a flag or the profile).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from jobferry.domain.enums import DriftPolicy, ImportMode, SameNamePolicy, SchedulingPolicy


@dataclass(frozen=True)
class Setting:
    """One import setting: its attribute, its wire key and its vocabulary."""

    attribute: str
    wire: str
    vocabulary: type[StrEnum] | None = None
    """The enum of its values; ``None``: a flag (``propagateDeletes``) or the profile."""

    def parse(self, value: object, problems: list[str]) -> Any:
        """``value`` as the wire spells it, typed (a problem added when it is not one of the
        setting's values; then ``None``)."""
        if self.vocabulary is not None:
            if isinstance(value, str) and value in tuple(self.vocabulary):
                return self.vocabulary(value)
            known = ", ".join(self.vocabulary)
            problems.append(f"{self.wire} must be one of {known}, not {value!r}")
        elif self.attribute == "propagate_deletes":
            if isinstance(value, bool):
                return value
            problems.append(f"{self.wire} must be true or false")
        elif value is None or (isinstance(value, str) and value.strip()):
            return value.strip() if isinstance(value, str) else None
        elif isinstance(value, Mapping):
            return dict(value)
        else:
            problems.append(
                f"{self.wire} must name a profile of the target workspace, be one inline, or null"
            )
        return None

    def wire_value(self, value: Any) -> Any:
        """The setting's typed ``value`` as the wire spells it."""
        return value.value if isinstance(value, StrEnum) else value

    def typed(self, value: Any) -> Any:
        """A wire value read back (stored, or a task's request) typed where it is one of the
        setting's values; kept as it is otherwise (so it is told back as it was)."""
        if (
            self.vocabulary is not None
            and isinstance(value, str)
            and value in tuple(self.vocabulary)
        ):
            return self.vocabulary(value)
        return value


SETTINGS = (
    Setting("same_name_policy", "sameNamePolicy", SameNamePolicy),
    Setting("propagate_deletes", "propagateDeletes"),
    Setting("on_drift", "onDrift", DriftPolicy),
    Setting("scheduling", "scheduling", SchedulingPolicy),
    Setting("mode", "mode", ImportMode),
    Setting("profile", "profile"),
)
"""Every import setting, in the order they are told."""
BY_WIRE = {setting.wire: setting for setting in SETTINGS}


class SettingsError(ValueError):
    """Settings that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SettingChange:
    """One setting a run changes: the route's value and the run's (typed)."""

    setting: Setting
    route: Any
    run: Any

    @classmethod
    def of_wire(cls, key: str, route: Any, run: Any) -> SettingChange:
        """The change of the setting whose wire key is ``key``, from wire values."""
        setting = BY_WIRE[key]
        return cls(setting, setting.typed(route), setting.typed(run))

    def wire(self) -> dict[str, Any]:
        """As the wire tells it: the setting's key, the route's value and the run's."""
        told = self.setting.wire_value
        return {"setting": self.setting.wire, "route": told(self.route), "run": told(self.run)}


@dataclass(frozen=True)
class ImportSettings:
    """The settings of an import a route holds (the defaults are a route's)."""

    same_name_policy: SameNamePolicy = SameNamePolicy.AUTO
    propagate_deletes: bool = False
    on_drift: DriftPolicy = DriftPolicy.FAIL
    scheduling: SchedulingPolicy = SchedulingPolicy.REFUSE
    mode: ImportMode = ImportMode.ATOMIC
    profile: str | dict[str, Any] | None = None

    @classmethod
    def of(cls, holder: object) -> ImportSettings:
        """The settings ``holder`` holds under the same attributes (a route, an import
        request)."""
        return cls(**{f.name: getattr(holder, f.name) for f in fields(cls)})

    def attributes(self) -> dict[str, Any]:
        """The settings by attribute (an ``ImportRequest`` has the same attributes)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def wire(self) -> dict[str, Any]:
        """The settings as the wire spells them (every one written out)."""
        return {s.wire: s.wire_value(getattr(self, s.attribute)) for s in SETTINGS}

    def overridden(self, changes: Mapping[str, object]) -> ImportSettings:
        """These settings with ``changes`` (wire keys, wire values) on top; every problem at
        once (:class:`SettingsError`): a key that is no setting, a value that is not one of
        its setting's."""
        problems: list[str] = []
        typed: dict[str, Any] = {}
        for key, value in changes.items():
            setting = BY_WIRE.get(key)
            if setting is None:
                problems.append(f"{key} is no import setting a run may change (known: {KNOWN})")
                continue
            typed[setting.attribute] = setting.parse(value, problems)
        if problems:
            raise SettingsError(problems)
        return replace(self, **typed)

    def changes_from(self, route: ImportSettings) -> tuple[SettingChange, ...]:
        """The settings in which these differ from ``route``'s, in the table's order."""
        return tuple(
            SettingChange(s, getattr(route, s.attribute), getattr(self, s.attribute))
            for s in SETTINGS
            if getattr(self, s.attribute) != getattr(route, s.attribute)
        )


KNOWN = ", ".join(setting.wire for setting in SETTINGS)
