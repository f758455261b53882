"""Where each object goes in a package.

* ``single`` — DataArts' single-job export (``DLF_<job>.zip``), also used for multi-job
  extension exports: ``jobs/<job>.job``, ``scripts/<name>.script``,
  ``resources/<name>.resource``, ``cdm_jobs/<name>.cdmjob``; shared dependencies once.
* ``batch`` — DataArts' batch export (``jobs.zip``): one folder per job under ``jobs/``,
  ``jobs/<job>/<job>.job`` with that job's dependencies beside it
  (``jobs/<job>/<name>.script`` …), as DESIGN §4 specifies.
"""

from __future__ import annotations

from enum import StrEnum

EXTENSIONS = {"job": ".job", "script": ".script", "resource": ".resource", "cdm_job": ".cdmjob"}
FOLDERS = {"job": "jobs", "script": "scripts", "resource": "resources", "cdm_job": "cdm_jobs"}


class Layout(StrEnum):
    """The two layouts jobferry writes."""

    SINGLE = "single"
    BATCH = "batch"


def entry_path(layout: Layout, kind: str, name: str, job: str | None = None) -> str:
    """The path of an object in a package; ``job`` is the owning job folder for batch."""
    file_name = f"{name}{EXTENSIONS[kind]}"
    if layout is Layout.BATCH:
        folder = name if kind == "job" else job
        assert folder is not None, "batch entries of dependencies need their job"
        return f"jobs/{folder}/{file_name}"
    return f"{FOLDERS[kind]}/{file_name}"
