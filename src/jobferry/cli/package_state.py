"""How a release package stands, in the CLI's words (``releases list`` and ``releases show``):
its state as the console says it (a release rolled back, then restored, included), its
deployer, the lines of its deploy, rollback and restore, from the API's package answer, and
what to do after a release its import's plan found against a policy."""

from __future__ import annotations

from typing import Any

from jobferry.cli.fix_terms import in_workspace
from jobferry.cli.output import epoch_ms, moment
from jobferry.domain.policies import PolicyRule, release_changes, rules_broken
from jobferry.domain.releases import DeployStatus

STATUS_WORDS = {
    DeployStatus.PENDING: "waiting for approval",
    DeployStatus.SUCCESS: "released",
    DeployStatus.FAILED: "failed",
    DeployStatus.RELEASING: "releasing",
}


def state(package: dict[str, Any]) -> str:
    """How a package stands, in the console's words: ``released · rolled back`` for a release
    rolled back (DataArts' state stays released; ``rolled_back`` says it), ``released · rolled
    back, then restored`` once production was restored to it since (``restored``)."""
    if package.get("delete_flag"):
        return "cancelled"
    code = package.get("deploy_status")
    said = STATUS_WORDS.get(DeployStatus(code), str(code)) if code in (1, 2, 3, 5) else str(code)
    if package.get("restored"):
        return f"{said} · rolled back, then restored"
    return f"{said} · rolled back" if package.get("rolled_back") else said


def _failed_deploy(package: dict[str, Any]) -> bool:
    """Whether the package's last deploy failed (it waits again, or reads failed): its
    deployer, deploy time and task are that attempt's, not a release's."""
    waiting = package.get("deploy_status") in (DeployStatus.PENDING, DeployStatus.FAILED)
    return waiting and package.get("deploy_timestamp") is not None


def deployer(package: dict[str, Any]) -> str:
    """Who deployed the package, or tried: ``NAME (failed)`` after a failed deploy."""
    name = str(package.get("deploy_user_name") or "")
    return f"{name} (failed)" if name and _failed_deploy(package) else name


def deployed_lines(package: dict[str, Any]) -> list[tuple[str, Any]]:
    """The lines ``releases show`` says of its deploy: by whom, when and its task, or, after
    a failed deploy, that attempt."""
    if _failed_deploy(package):
        return [
            ("deployed", "not yet"),
            (
                "last deploy",
                f"failed: {moment(package.get('deploy_timestamp'))} by "
                f"{package.get('deploy_user_name')} (task {package.get('asy_task_id')})",
            ),
        ]
    return [
        ("deployed by", package.get("deploy_user_name")),
        ("deployed (UTC)", epoch_ms(package.get("deploy_timestamp"))),
        ("release task", package.get("asy_task_id")),
    ]


def rolled_back(package: dict[str, Any]) -> str | None:
    """When and by whom a released package was rolled back (``None``: it was not)."""
    undone = package.get("rolled_back")
    if not isinstance(undone, dict):
        return None
    said = f"{moment(undone.get('at'))} by {undone.get('by')}"
    if package.get("restored"):
        return said
    return f"{said}: production holds again what it held before this release"


def restored_lines(package: dict[str, Any]) -> list[tuple[str, Any]]:
    """The line ``releases show`` says of a restore that brought a rolled back release back."""
    again = package.get("restored")
    if not isinstance(again, dict):
        return []
    return [
        (
            "restored",
            f"{moment(again.get('at'))} by {again.get('by')}: production was restored to this "
            f"release (ledger entry {again.get('entry_id')})",
        )
    ]


def policy_fix(result: dict[str, Any], package: str, workspace: str | None = None) -> str:
    """What to do after a release whose import failed on policy rules (the import's plan
    checks the rules that read definitions: owners, protected connections), in this CLI's
    commands (in ``workspace``, when the command named one); blank when no problem of the task's
    ``result`` is a policy's."""
    problems = result.get("problems")
    rules = list(dict.fromkeys(rules_broken(problems)))
    if not rules:
        return ""
    changes, w = release_changes(rules), in_workspace(workspace)
    said = (
        f" To release it: {changes}; submit what you changed, package the pending items anew "
        f"with jobferry releases create{w} and cancel this one (jobferry releases cancel "
        f"{package}{w})"
        if changes
        else ""
    )
    if PolicyRule.FREEZE in rules:
        said += (
            " once the freeze window ends"
            if said
            else f" Deploy it again (jobferry releases "
            f"deploy {package}{w}) once the freeze window ends"
        )
    return (
        f"{said}; or have an admin change the policy (jobferry policies put -f FILE{w}) and deploy "
        f"it again (jobferry releases deploy {package}{w})."
    )
