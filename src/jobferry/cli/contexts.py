"""``jobferry config show``: which context a remote command would use, and where it came from."""

from __future__ import annotations

import typer

from jobferry.cli.config import default_config_path
from jobferry.cli.session import JsonOption, WorkspaceOption, session

app = typer.Typer(help="The config file's contexts (endpoint, project, credentials).")


@app.command("show")
def show_context(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Show the context remote commands use (--context, JOBFERRY_CONTEXT, default_context or
    'default', with the JOBFERRY_* overrides); the secret key is never shown."""
    s = session(ctx, json_mode, workspace)
    context = s.context()
    view = {
        "context": context.name,
        "source": context.source,
        "configFile": str(s.config or default_config_path()),
        "endpoint": context.endpoint,
        "projectId": context.project_id,
        "workspace": context.workspace,
        "accessKey": context.ak,
        "secretKey": "set" if context.sk else None,
        "upload": context.upload,
        "missing": list(context.missing),
    }
    out = s.output
    if out.json_mode:
        out.emit(view)
        return
    out.fields([(key, "" if value is None else value) for key, value in view.items()])
