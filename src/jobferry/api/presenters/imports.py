"""Imports on the wire: what a package holds (DataArts ``show_file_info`` plus jobferry's
fields), an upload kept for a later import, an import rolled back (or what its rollback would
undo), and whether a profile is enough for a package."""

from __future__ import annotations

from typing import Any

from jobferry.services.importing.contents import PackageContents
from jobferry.services.importing.delivery import RolledBack
from jobferry.services.importing.model import EnvironmentReport
from jobferry.services.importing.uploads import KeptUpload


def contents_view(contents: PackageContents) -> dict[str, Any]:
    """``show_file_info``'s answer."""
    return {
        "jobs": [{"name": j.name, "path": j.path, "params": j.params} for j in contents.jobs],
        "scripts": [{"name": s.name, "path": s.path} for s in contents.scripts],
        "others": [{"kind": str(o.kind), "name": o.name} for o in contents.others],
        "layout": contents.layout,
        "manifest": contents.manifest,
        "signed": contents.signed,
        "signature": contents.signature.as_json(),
        "sha256": contents.sha256,
        "size": contents.size,
    }


def upload_view(kept: KeptUpload) -> dict[str, Any]:
    """An uploaded package: the ``path`` an import names, and what was kept."""
    return {
        "path": kept.path,
        "fileName": kept.file_name,
        "size": kept.size,
        "sha256": kept.sha256,
        "expireTime": kept.expires_at,
    }


def rollback_view(done: RolledBack) -> dict[str, Any]:
    """An import rolled back: how many objects, how many of each action, and the first of
    them."""
    return done.as_result()


def rollback_preview_view(foreseen: RolledBack) -> dict[str, Any]:
    """What an import's rollback would undo as things stand: the rollback's answer, its count
    as ``wouldRollBack``."""
    answer = foreseen.as_result()
    return {"taskId": answer.pop("taskId"), "wouldRollBack": answer.pop("rolledBack"), **answer}


def profile_check_view(report: EnvironmentReport) -> dict[str, Any]:
    """``POST /profiles/check``'s answer: complete or not, what is missing (with the jobs and
    the scripts using it and the fix), each required secret's state, the profile and the
    package checked."""
    return {
        "complete": report.complete,
        "missing": [
            {
                "kind": str(m.kind),
                "name": m.name,
                "jobs": list(m.jobs),
                "scripts": list(m.scripts),
                "fix": m.fix,
            }
            for m in report.missing
        ],
        "secrets": [{"name": name, "state": state} for name, state in report.secrets],
        "profile": report.profile.as_json() if report.profile else None,
        "packageSha256": report.package_sha256,
    }
