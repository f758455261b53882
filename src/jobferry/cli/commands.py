"""Which module holds each ``jobferry`` command, so that a run imports only the one it runs.

:data:`COMMANDS` is the one table of the root's commands and groups, in the order ``jobferry
--help`` lists them: its name → the module of :mod:`jobferry.cli` and the attribute there (a
command's function, or a group's Typer app), and, for a group some of whose commands live in
other modules, those commands (``routes approve`` is with the other approvals in
:mod:`jobferry.cli.approve`, ``routes history`` in :mod:`jobferry.cli.route_history`).
:func:`load` imports the module of one name and builds its click command the way Typer builds
a subcommand of the root; ``jobferry remotes refresh`` thus never imports the package reader,
the profile options or the approvals that other commands need.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import typer
import typer.main


@dataclass(frozen=True)
class Entry:
    """Where a root command is: ``module:attribute``, a command function or a group's app,
    and the commands a group takes from other modules (name → ``module:attribute``)."""

    target: str
    extra: dict[str, str] = field(default_factory=dict)


COMMANDS: dict[str, Entry] = {
    "serve": Entry("serve:serve_command"),
    "export": Entry("export:export_command"),
    "import": Entry("transfer:import_command"),
    "plan": Entry("transfer:plan_command"),
    "rollback": Entry("transfer:rollback_command"),
    "apply": Entry("apply:apply_command"),
    "pull": Entry("pull:pull_command"),
    "promote": Entry("promote:promote_command"),
    "drift": Entry("drift:drift_command"),
    "audit": Entry("audit:audit_command"),
    "db": Entry("serve:db_app"),
    "admin": Entry("admin:app"),
    "jobs": Entry(
        "jobs:app",
        {
            "versions": "versions:job_versions",
            "diff": "versions:job_diff",
            "restore": "versions:job_restore",
            "submit": "versions:job_submit",
            "lock": "locks:job_lock",
            "unlock": "locks:job_unlock",
        },
    ),
    "scripts": Entry(
        "scripts:scripts_app",
        {
            "versions": "versions:script_versions",
            "diff": "versions:script_diff",
            "restore": "versions:script_restore",
            "submit": "versions:script_submit",
            "lock": "locks:script_lock",
            "unlock": "locks:script_unlock",
        },
    ),
    "resources": Entry("scripts:resources_app"),
    "tags": Entry("tags:app"),
    "locks": Entry("locks:app"),
    "workspaces": Entry(
        "jobs:workspaces_app", {"settings": "workspace_settings:workspace_settings"}
    ),
    "env": Entry("environment:env_app"),
    "profiles": Entry("environment:profiles_app"),
    "policies": Entry("policies:app"),
    "routes": Entry(
        "routes:app",
        {
            "history": "route_history:route_history",
            "approve": "approve:approve_route_plan",
            "approvals": "approve:show_route_approvals",
        },
    ),
    "remotes": Entry("remotes:app"),
    "releases": Entry(
        "releases:app",
        {
            "approve": "approve:approve_package",
            "approvals": "approve:show_approvals",
            "verify": "approve:verify_approvals",
            "rule": "approve:approval_rule",
            "export": "approve:export_release",
            "import": "approve:import_release",
            "rollback": "ledger:rollback_command",
            "restore": "ledger:restore_command",
            "ledger": "ledger:ledger_command",
            "list": "release_list:list_packages",
        },
    ),
    "users": Entry("userkeys:users_app"),
    "keys": Entry("keys:app"),
    "config": Entry("contexts:app"),
    "tasks": Entry("tasks:tasks_app"),
    "downloads": Entry("tasks:downloads_app"),
    "package": Entry("package:app", {"transform": "transform:transform_command"}),
}


def _attribute(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(f"jobferry.cli.{module}"), name)


def _built(name: str, found: Any) -> Any:
    """The click command Typer makes of ``found`` (a function or an app) named ``name``, as
    it makes a root's subcommand: through a root of its own, with the same settings."""
    holder = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
    holder.callback()(_nothing)
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    return typer.main.get_group(holder).commands[name]


def _nothing() -> None:
    """The holder's callback, which makes it a group (never run)."""


def load(name: str) -> Any:
    """The click command (or group) ``jobferry NAME`` runs, its modules imported now."""
    entry = COMMANDS[name]
    command = _built(name, _attribute(entry.target))
    for sub, target in entry.extra.items():
        command.add_command(_built(sub, _attribute(target)), sub)
    return command
