"""The operators' switches for batch export and batch import (``JOBFERRY_BATCH_EXPORT``,
``JOBFERRY_BATCH_IMPORT``): a platform that only sends promotions turns import off, one that
only receives them turns export off (as NetEase Youshu does per platform)."""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.errors import OperationDisabledError
from jobferry.settings import Settings


@dataclass(frozen=True)
class Switches:
    """Which batch operations this server performs."""

    batch_export: bool = True
    batch_import: bool = True

    @classmethod
    def of(cls, settings: Settings) -> Switches:
        """The switches a server was started with."""
        return cls(settings.batch_export, settings.batch_import)

    def require_export(self) -> None:
        """Refuse unless batch export is on."""
        if not self.batch_export:
            raise OperationDisabledError(
                "Export is switched off on this server (JOBFERRY_BATCH_EXPORT=false): it only "
                "receives promotions. Export from the platform the jobs are developed on, or ask "
                "this server's operators to switch export on."
            )

    def require_import(self) -> None:
        """Refuse unless batch import is on."""
        if not self.batch_import:
            raise OperationDisabledError(
                "Import is switched off on this server (JOBFERRY_BATCH_IMPORT=false): it only "
                "sends promotions. Import on the platform the jobs are promoted to, or ask this "
                "server's operators to switch import on."
            )
