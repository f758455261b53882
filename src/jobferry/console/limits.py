"""The server's limits as the admin settings page shows them: counts with thousands
separators, sizes in MB, times in seconds."""

from __future__ import annotations

from jobferry.services.importing.uploads import read_limits
from jobferry.settings import Settings

MIB = 1024 * 1024


def _mb(n: int) -> str:
    """Bytes in MB (MiB, as the settings' defaults are): 1,024 MB, 0.5 MB."""
    value = n / MIB
    return f"{value:,.0f} MB" if value.is_integer() else f"{value:,.1f} MB"


def _seconds(n: int) -> str:
    """Seconds, with the days or hours they make when whole: 259,200 seconds (3 days)."""
    for unit, length in (("day", 86400), ("hour", 3600)):
        if n >= length and n % length == 0:
            count = n // length
            return f"{n:,} seconds ({count:,} {unit}{'s' if count != 1 else ''})"
    return f"{n:,} seconds"


def server_limits(settings: Settings) -> list[tuple[str, str]]:
    """The server's limits as the settings page shows them: counts with thousands separators,
    sizes in MB, times in seconds; the package read limits as import applies them."""
    read = read_limits(settings)
    which = "DataArts' own" if settings.import_limits == "dataarts" else "JOBFERRY_IMPORT_MAX_*"
    return [
        ("Jobs per batch export (ticked jobs)", f"{settings.export_batch_max_jobs:,}"),
        ("Names per name-list export", f"{settings.export_name_list_max:,}"),
        ("Jobs per workspace export (0 = no cap)", f"{settings.export_workspace_max_jobs:,}"),
        (
            "Ticked jobs downloaded at once (more become a task)",
            f"{settings.console_sync_export_max_jobs:,}",
        ),
        ("Package read limits", f"{settings.import_limits} ({which})"),
        ("Largest package", _mb(read.max_package_bytes)),
        ("Most a package unpacks to", _mb(read.max_total_bytes)),
        ("Most entries per package", f"{read.max_entries:,}"),
        ("Nodes per job", f"{settings.max_nodes_per_job:,}"),
        ("Download center keeps packages", _seconds(settings.download_ttl_seconds)),
    ]
