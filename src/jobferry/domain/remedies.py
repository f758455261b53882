"""Remedies: the kinds of fix a refusal names that each client says in its own terms.

A refusal states its problem once and gives API clients its fix in the API's terms ("list
them with GET /v1/{project_id}/routes"). When that fix names a call or a field of the API,
the error carries one of these remedies (``JobferryError(..., fix=..., remedy=...)``; on the
wire, the envelope's ``remedy`` and ``problem``), and the command line (``cli/remedies.py``) and
the console (``console/fixes.py``) each say it with their own commands and pages, from the
error's context fields (the route, the task, the name). ``tests/test_wording.py`` fails when
either has no words for one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Remedy(StrEnum):
    """What a refusal's fix asks for, whatever the client."""

    LIST_WORKSPACES = "list_workspaces"
    """Name an existing workspace (``workspace``: the one asked for)."""
    LIST_ACCESS_KEYS = "list_access_keys"
    """Name one of the user's access keys (``user``)."""
    LIST_CONNECTIONS = "list_connections"
    """Name an existing data connection, or create it first."""
    UPDATE_CONNECTION = "update_connection"
    """Choose another name, or change the connection that has it (``name``)."""
    REGISTER_OBJECT = "register_object"
    """Register an environment object (``kind``, ``name``)."""
    LIST_OBJECTS = "list_objects"
    """Name an environment object the workspace holds (``kind``): the name asked for breaks
    the name rule, so none is registered under it."""
    EXPORT_DEVELOPMENT = "export_development"
    """Export the development states of jobs never submitted (``jobs``), or submit a version of
    each first."""
    SHOW_DRIFT = "show_drift"
    """See how each object an import wrote changed since, and who changed it, before putting
    them back (``task_id``: the import)."""
    RENAME_JOB = "rename_job"
    """Rename a job with the rename call, not by saving it under another name (``job_name``)."""
    REFRESH_SHADOW = "refresh_shadow"
    """A shadow workspace changes only with its remote: refresh it, or import to push
    (``remote``)."""
    ENABLE_ENTERPRISE = "enable_enterprise"
    """A workspace in simple mode has no releases: a workspace admin switches it to enterprise
    mode (``workspace``: its name), creating its production side; there is no way back."""
    APPROVAL_OFF = "approval_off"
    """Enterprise mode has no review of submissions: switch the workspace's approval of
    submissions off first (``workspace``: its name), then switch it to enterprise mode."""
    RELEASE_FROM_DEVELOPMENT = "release_from_development"
    """Production changes only by a release: change the development workspace
    (``development``: its id), submit, package and deploy."""
    START_IN_PRODUCTION = "start_in_production"
    """A development side schedules nothing: release the job (``job_name``), then start it in
    production (``workspace``: the development workspace's name)."""
    LIST_RELEASE_PACKAGES = "list_release_packages"
    """Name an existing release package of the workspace."""
    SHOW_RELEASE_PACKAGE = "show_release_package"
    """Read where the release package stands (``package_id``)."""
    MEND_PACKAGE_REQUEST = "mend_package_request"
    """A release package was refused at creation: name 1 to 100 pending items, a name of 1 to
    256 characters and approvers holding admin or deployer, then package again."""
    PACKAGE_AGAIN = "package_again"
    """A release package can no longer be deployed: cancel it (``package_id``) and package its
    items again."""
    DEPLOY_WITHOUT_START = "deploy_without_start"
    """A deploy would start a new job whose schedule could never run (a CRON one without its
    expression): deploy the package without starting new jobs (``package_id``), or give the
    schedule its expression in development and package it again (``jobs``)."""
    TAKE_IN_WITHOUT_START = "take_in_without_start"
    """A signed release taken in would start a new job whose schedule could never run: take
    it in without starting new jobs, or give the schedule its expression at its source and
    export the release again (``jobs``)."""
    REPLAN_RELEASE = "replan_release"
    """A release package's production changed since it was planned: plan it again
    (``package_id``) and deploy."""
    APPROVE_PLAN = "approve_plan"
    """The plan needs more approvals: approvers sign it (``package_id``, or ``route`` and
    ``plan_id``)."""
    REGISTER_APPROVAL_KEY = "register_approval_key"
    """Register the approval key (``key_id``) first, or sign with a registered one."""
    NEW_APPROVAL_KEY = "new_approval_key"
    """The public key is registered already (``key_id``): a key approves for one person, so
    make a new key pair and register its public half."""
    LIST_APPROVAL_KEYS = "list_approval_keys"
    """Name one of the caller's approval keys by its id (``key_id``: the one asked for)."""
    READ_RELEASE_LEDGER = "read_release_ledger"
    """A release rollback or restore named a release that is not the one it can act on:
    read the release ledger for the last release, or restore an earlier one instead."""
    PLAN_AGAIN = "plan_again"
    """The plan is gone or stale: make a new one and import with it."""
    LIST_TASKS = "list_tasks"
    """Name a task of the workspace."""
    READ_AGAIN = "read_again"
    """A job or script changed since it was read for editing: read it again and make the
    change to what is stored now, or save again to replace that change (``kind``, ``name``)."""
    FOLLOW_TASK = "follow_task"
    """Another import runs: follow it to its end (``task_id``), then import again."""
    LIST_REMOTES = "list_remotes"
    """Name an existing remote."""
    EXPORT_WORKSPACE = "export_workspace"
    """Export the whole workspace on the remote's side (``remote``)."""
    CARRY_IN = "carry_in"
    """The route's source is on another server: take its packages in (``route``)."""
    CUT_PACKAGE = "cut_package"
    """The route's source is on this server: promote along it, which cuts its package
    (``route``)."""
    CUT_OUT = "cut_out"
    """A carried package that is not this route's: cut one for the route on its source server
    (``route``; ``package_route``: the route it was cut for)."""
    EDIT_ROUTE_SOURCE = "edit_route_source"
    """A carried package from another source: edit the route's carried source (``route``)."""
    CUT_FULL_PACKAGE = "cut_full_package"
    """A carried package is missing before this one: import it first, or cut a full one
    (``route``)."""
    ROLL_BACK_FIRST = "roll_back_first"
    """The package was taken in and imported already: nothing to do, or roll that import back
    (``task_id``) to import it again."""
    RECORD_PROMOTION_IMPORT = "record_promotion_import"
    """Record an import of the promotion's own package (``route``, ``task_id``)."""
    CARRIED_END = "carried_end"
    """A route's end names a workspace this server lacks: create it, or make the end carried
    (``route``, ``end``)."""
    LIST_ROUTES = "list_routes"
    """Name an existing route."""
    LIST_PROFILES = "list_profiles"
    """Name an existing environment profile."""
    LIST_TRUSTED_KEYS = "list_trusted_keys"
    """Name a key the workspace trusts (``key_id``)."""
    CREATE_SIGNING_KEY = "create_signing_key"
    """The workspace has no signing key: create one."""
    TRUST_SOURCE_KEY = "trust_source_key"
    """Sign the package, or trust the key of the workspace that signed it."""
    DISTRUSTED_SIGNER = "distrusted_signer"
    """The package's signer is a key the workspace distrusts: have it signed again with a
    trusted key, or trust the key again if distrusting it was a mistake (``key_id``,
    ``public_key``, ``workspace``)."""
    DISTRUSTED_APPROVER = "distrusted_approver"
    """A carried release's approval is signed by a key the workspace distrusts: its approver
    approves again with a key trusted here and the release is exported again, or the key is
    trusted again if distrusting it was a mistake (``user``, ``key_id``, ``public_key``,
    ``workspace``)."""
    CARRY_APPROVED_AGAIN = "carry_approved_again"
    """A signed release taken in lacks what its import needs here (approvals the workspace's
    rule, raised since, asks), or was rolled back here: its package is approved (again) on
    its server, the signed release exported again and taken in; one rolled back here is
    brought back by a restore to its ledger entry (``entry_id``)."""
    EXPORT_IN_BACKGROUND = "export_in_background"
    """Too many jobs for one batch export: export them by a names list, in the background."""
    SUBMIT_JOB = "submit_job"
    """The job was never submitted: submit it (``job_name``)."""
    SHOW_DEVELOPMENT_STATE = "show_development_state"
    """The job was never submitted, so it has no submitted version to show: show its
    development state instead, or submit it first (``job_name``)."""
    SCHEDULABLE_VERSION = "schedulable_version"
    """A scheduled job would be given a version whose schedule could never run (a CRON one
    without its expression): give the schedule its expression, stop the job first, or save
    the development state only (``job_name``)."""
    STOP_JOB = "stop_job"
    """The job is scheduled, and what was asked (a rename, a delete) takes a stopped job: stop
    its schedule first, then ask again (``job_name``)."""
    RELEASE_LOCK = "release_lock"
    """Another user holds a lock on the job or script (``kind``, ``name``, ``holder``): they
    release it, or a workspace admin releases it for them."""
    CREATE_PROFILE = "create_profile"
    """A profile named by an import does not exist: save it, or give the profile inline
    (``profile``)."""
    ROUTE_PROFILE = "route_profile"
    """A route names a stored profile its target workspace lacks: save the profile there
    first, or give the route its profile inline (``route``, ``profile``, ``workspace``)."""
    SCHEDULE_AS_RELEASED = "schedule_as_released"
    """A release rollback meets production jobs started or stopped by hand since the release:
    start or stop each as the release left it, then roll back again (``jobs``, ``workspace``:
    the production side's name)."""
    FOLLOW_POLICY = "follow_policy"
    """A policy refuses the plan: change what it does, wait for the freeze window to end, or
    have an admin change the policy (``holder_kind``: workspace or route, ``holder``)."""
    RELEASE_POLICY = "release_policy"
    """A policy refuses a release package's deploy: change the objects in development so
    they keep its rules and release them in a new package (cancelling this one), wait for the
    freeze window to end, or have an admin change the policy (``package_id``, ``rules``,
    ``holder_kind``, ``holder``)."""
    SAVE_POLICY = "save_policy"
    """The workspace or route has no policy (or no such version): save one (``holder_kind``,
    ``holder``)."""
    LIST_DOWNLOADS = "list_downloads"
    """Name a package of the download center as ``download://<workspace id>/<package id>``."""
    KEEP_PROJECT_ADMIN = "keep_project_admin"
    """A project keeps at least one admin: make another user a project admin first (``user``:
    the last one), then remove this one or make them no longer one."""


def rules_named(context: Mapping[str, Any]) -> list[str]:
    """The policy rules a policy's refusal (:attr:`Remedy.FOLLOW_POLICY`,
    :attr:`Remedy.RELEASE_POLICY`) names in its context: ``rules``, else its one ``rule``."""
    return [str(rule) for rule in context.get("rules") or [context.get("rule")]]
