"""One invocation's state: global options, the chosen context, the client and the output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import ApiClient
from jobferry.cli.config import Context, load_context, wait_seconds
from jobferry.cli.output import Output, epoch_ms, mapping
from jobferry.cli.workspaces import Workspace, describe, find_by_name, is_workspace_id


@dataclass
class Session:
    """What the root options chose; commands add their own ``--json``/``--workspace``."""

    config: Path | None = None
    context_name: str | None = None
    json_mode: bool = False
    workspace: str | None = None
    wait_timeout: str | None = None
    """``--wait-timeout`` as given (it wins over the context's ``wait_timeout``)."""
    called: bool = False
    """Whether the command reached for a server (a client was made): what Ctrl-C leaves."""
    _context: Context | None = field(default=None, repr=False)
    _client: ApiClient | None = field(default=None, repr=False)
    _output: Output | None = field(default=None, repr=False)
    _workspace: Workspace | None = field(default=None, repr=False)
    _moved: bool = field(default=False, repr=False)
    """Whether the command acts in another workspace than the one it was given (``act_in``)."""

    @property
    def output(self) -> Output:
        """The output of this invocation (JSON or Rich)."""
        if self._output is None:
            self._output = Output(self.json_mode)
        return self._output

    def context(self) -> Context:
        """The context (config file + environment + ``--workspace``); its deprecation notices
        are printed once, on standard error."""
        if self._context is None:
            loaded = load_context(self.config, self.context_name)
            for notice in loaded.notices:
                self.output.err.print(notice, style="yellow", markup=False, highlight=False)
            self._context = loaded.with_workspace(self.workspace)
            if self.wait_timeout is not None:
                seconds = wait_seconds(self.wait_timeout, "--wait-timeout")
                self._context = replace(self._context, wait_timeout=seconds)
        return self._context

    def client(self) -> ApiClient:
        """The signed HTTP client for the context (refuses an incomplete one); a workspace
        given by name is looked up first and sent by id."""
        self.called = True
        if self._client is None:
            context = self.context()
            named = context.workspace
            if named and not is_workspace_id(named):
                client = ApiClient(replace(context, workspace=None), say=self.say)
                self._workspace = find_by_name(client, named)
                self._context = replace(context, workspace=self._workspace.id)
                client.workspace = self._workspace.id
                self._client = client
            else:
                self._client = ApiClient(context, say=self.say)
        return self._client

    def say(self, text: str) -> None:
        """A line about the client's own doing (a wait before a retry), on standard error."""
        self.output.err.print(text, style="yellow", markup=False, highlight=False)

    def target_workspace(self) -> Workspace | None:
        """The workspace the commands act on, when the endpoint can tell (jobferry can; the
        real DataArts endpoint has no workspace list)."""
        client = self.client()
        if self._workspace is None:
            self._workspace = describe(client, client.workspace)
        return self._workspace

    def act_in(self, workspace: Workspace) -> None:
        """Act in ``workspace`` from here on (the server ran the command's task there: a
        remote's refresh, in its shadow), and name it so in a command to copy."""
        self.client().workspace = workspace.id
        self._workspace = workspace
        self._moved = True

    def development_side(self) -> None:
        """Act in the enterprise workspace of the production side named, if one is (by name
        or id): the release calls name the development side."""
        found = self.target_workspace()
        if found is None or found.development is None:
            return
        development = describe(self.client(), found.development)
        self.act_in(development or Workspace(found.development, found.development))

    def workspace_arg(self) -> str | None:
        """The target workspace as ``-w`` names it in a command to copy: its name when the
        endpoint can tell, else its id (``None``: the context's default)."""
        found = self.target_workspace()
        return found.name if found is not None else self.client().workspace or None

    def fix_workspace(self) -> str | None:
        """The workspace a fix printed for this command names with ``-w``: the one it acted in
        when ``--workspace`` chose it, as given (by name, or by id: then the id, which no other
        workspace answers to, docs/cli.md), or its name when the command moved to another;
        ``None`` when it is the context's own, which a fix followed as printed acts on anyway.
        Asks the server nothing (it is said after a refusal)."""
        if self._moved and self._workspace is not None:
            return self._workspace.name
        return self.workspace

    def workspace_label(self) -> str:
        """The target workspace for messages: ``name (id)`` when the endpoint can tell."""
        found = self.target_workspace()
        if found is not None:
            return f"workspace {found.label}"
        client = self.client()
        return f"workspace {client.workspace}" if client.workspace else "the default workspace"

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.close()


def release_session(
    ctx: typer.Context, json_mode: bool = False, workspace: str | None = None
) -> Session:
    """:func:`session` of a release command: a production side named with ``--workspace`` (by
    name or id) stands for its enterprise workspace."""
    found = session(ctx, json_mode, workspace)
    found.development_side()
    return found


def session(ctx: typer.Context, json_mode: bool = False, workspace: str | None = None) -> Session:
    """The invocation's session, with a command's own ``--json`` / ``--workspace`` applied."""
    root = ctx.find_root()
    current = root.obj if isinstance(root.obj, Session) else None
    if current is None:
        current = Session()
        root.obj = current
        root.call_on_close(current.close)
    if json_mode and not current.json_mode:
        current.json_mode = True
        current._output = None
    if workspace is not None:
        current.workspace = workspace
        current._context = None
        current._client = None
        current._workspace = None
        current._moved = False
    return current


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (machine-readable) instead.")
]
VersionOption = Annotated[
    int | None, typer.Option("--version", min=1, metavar="N", help="An older version.")
]
"""A versioned document's older version (a profile's, a policy's, a route's)."""
SubmittedOption = Annotated[
    int | None,
    typer.Option(
        "--version",
        metavar="N",
        min=1,
        help="A submitted version (counted from 1) instead of the development state.",
    ),
]
"""A job's or script's submitted version, shown instead of its development state."""
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace name or id; overrides the context.",
        show_default=False,
        metavar="NAME|ID",
    ),
]


Column = tuple[str, str, Callable[[Any], Any] | None]
"""A listing's column: header, the item's key, and how to show the value (None: as it is)."""
SAVED: list[Column] = [("updated (UTC)", "updateTime", epoch_ms), ("by", "updateUser", None)]
"""When and by whom a stored object was saved: the last columns of its listings."""
VERSIONS: list[Column] = [
    ("version", "version", None),
    ("description", "description", None),
    *SAVED,
]
"""A versioned document's columns (policies, environment profiles)."""


def list_answer(
    s: Session, path: str, key: str, columns: list[Column], empty: str, **query: Any
) -> None:
    """GET ``path`` (with ``query``) and show the items under ``key`` as a table (``--json``:
    the answer)."""
    answer = mapping(s.client().get(path, **query))
    out = s.output
    items = out.items(answer, key)
    if items is None:
        return
    out.table(
        tuple(header for header, _, _ in columns),
        [
            tuple(show(item.get(k)) if show else item.get(k) for _, k, show in columns)
            for item in items
        ],
        empty=empty,
    )
