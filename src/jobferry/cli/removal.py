"""What ``jobferry admin remove-user`` says, asking and once done, of the routes and waiting
release packages a user's removal leaves with too few approvers, each with the command that
mends it after (the services' ``accounts.leaving`` finds them; ``-w`` names a package's
workspace, the default one too: the person who runs the fix does it in a context of their
own, whose workspace may be another)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobferry.cli.fix_terms import in_workspace

if TYPE_CHECKING:
    from jobferry.services.accounts.leaving import LeftShort, Shortfall


def _count(item: Shortfall) -> str:
    return (
        f"without {', '.join(item.gone)}, {item.left} of its {item.approvers} approver(s) can "
        f"approve where {item.required} are required"
    )


def left_short_said(left: LeftShort, *, done: bool) -> str:
    """The lines saying ``left`` (empty when it is empty): ``done``, as the removal was made;
    else as it would be."""
    if not left:
        return ""
    lines = [
        ("Now " if done else "Once they are gone, ")
        + "these are left with too few approvers (their import or deploy is refused, "
        "DLF.9044, until mended):"
    ]
    for route in left.routes:
        lines.append(
            f"- route {route.route}: {_count(route)}; name approvers who can: jobferry routes "
            f"edit {route.route} --approvers A,B"
        )
    for package in left.packages:
        # Always -w: this command runs with no context, and the reader's may name another
        # workspace than the default one, which a fix without -w would act in.
        where = in_workspace(package.workspace)
        lines.append(
            f"- release package {package.package_id} ({package.name}) in workspace "
            f"{package.workspace}: {_count(package)}; cancel it with jobferry releases cancel "
            f"{package.package_id}{where}, then package its items again with jobferry releases "
            f"create{where}, naming approvers who can"
        )
    return "\n".join(lines)
