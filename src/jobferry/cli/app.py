"""The ``jobferry`` Typer app: global options, command groups, and failures → exit codes.

Every failure a command can meet ends here, once, as a message (or ``{"error": …}`` with
``--json``) and an exit code from :mod:`jobferry.cli.exits` — never as a traceback:

* the endpoint answered with an error → its DataArts code and message, the fix, exit 1 (a
  refusal that carries a ``remedy`` says its problem and the remedy in the CLI's commands:
  :func:`jobferry.cli.remedies.refusal_text`);
* the endpoint cannot be reached → what to check, exit 1;
* the server refuses the package itself (``DLF.9020`` a reader rule, ``DLF.9413`` its size)
  → its code, message and fix, exit 3; a package breaks a reader rule locally → exit 3;
* other jobferry errors of local commands (``admin``, ``db``) → code and message, exit 1;
* an unusable configuration → exit 2 (like a usage error).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry import __version__
from jobferry.cli.client import ApiError, ConnectionProblemError
from jobferry.cli.commands import COMMANDS, load
from jobferry.cli.config import ConfigError
from jobferry.cli.exits import PACKAGE_REFUSALS, CommandError, ExitCode
from jobferry.cli.output import Output
from jobferry.cli.session import Session, WorkspaceOption, session
from jobferry.cli.usage import JSON_META, UsageGroup, make_readable, make_subcommand_readable
from jobferry.errors import JobferryError, PackageError
from jobferry.package import helpers

HINTS = {
    "APIGW.0301": "check the AK/SK and project id of the context, and this machine's clock "
    "(signatures are valid for 15 minutes).",
    "APIGW.0101": "the endpoint does not serve this call; jobferry's extensions (plan, "
    "exports, downloads, packages, workspaces…) need a jobferry server.",
    "DLF.0819": "set workspace in the context, or pass --workspace with a name or id from "
    "'jobferry workspaces list'.",
}


class JobferryGroup(UsageGroup):
    """The root command group: runs a command and turns its failures into exit codes; its
    help, and every subcommand's, names values instead of Python types (cli.usage)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make_readable(self)

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command's name, in the order of the table, none imported."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command of that name, its module imported the first time it is asked for
        (help and completion ask for all, a run only for its own: cli.commands)."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = load(cmd_name)
            make_subcommand_readable(command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context
        try:
            return super().invoke(ctx)
        except ApiError as exc:
            code = _report_api_error(_output(ctx), exc, _fix_workspace(ctx))
        except ConnectionProblemError as exc:
            _output(ctx).error(None, str(exc), kind="unreachable")
            code = ExitCode.FAILED
        except ConfigError as exc:
            _output(ctx).error("config", str(exc))
            code = ExitCode.USAGE
        except CommandError as exc:
            code = _report_command_error(_output(ctx), exc)
        except PackageError as exc:
            _report_local(_output(ctx), exc, _fix_workspace(ctx))
            code = ExitCode.PROBLEMS
        except JobferryError as exc:
            _report_local(_output(ctx), exc, _fix_workspace(ctx))
            code = ExitCode.FAILED
        except KeyboardInterrupt:
            # Ctrl-C outside the follow of a task (which says how to follow it): what the
            # server was asked may or may not be done, as for any interrupted call.
            _output(ctx).error(None, _interrupted(ctx), kind="interrupted")
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            # The reader of the output went away (``jobferry … | head``): as a Unix tool, stop
            # without a word; what is left unflushed goes nowhere rather than to a traceback.
            with contextlib.suppress(OSError, ValueError):  # a stdout with no file (tests)
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = ExitCode.FAILED
        except OSError as exc:
            name = f" {exc.filename}" if exc.filename else ""
            _output(ctx).error(None, f"cannot use{name}: {exc.strerror or exc}", kind="file")
            code = ExitCode.FAILED
        _output(ctx).task_line()  # a followed task's failure: last, the task's id
        raise typer.Exit(int(code))


def _interrupted(ctx: Any) -> str:
    """What Ctrl-C outside the follow of a task says: a command that called no server (the
    package tools, config, one still loading) left nothing behind it."""
    root = ctx.find_root()
    if not (isinstance(root.obj, Session) and root.obj.called):
        return "Interrupted."
    return (
        "Interrupted. A call the server had received may still complete: look before running "
        "it again."
    )


def _output(ctx: Any) -> Output:
    """Where a failure is said: as one JSON document whenever the line asks for ``--json``,
    even when the command failed before it read its own ``--json`` (a check of its options, a
    confirmation no terminal can give)."""
    root = ctx.find_root()
    asked = bool(root.meta.get(JSON_META))
    if not isinstance(root.obj, Session):
        return Output(asked)
    if asked and not root.obj.json_mode:
        session(ctx, json_mode=True)
    return root.obj.output


def _fix_workspace(ctx: Any) -> str | None:
    """The workspace a fix printed for the refused command names with ``-w``: the one it
    acted in, when not the context's own (``Session.fix_workspace``)."""
    root = ctx.find_root()
    return root.obj.fix_workspace() if isinstance(root.obj, Session) else None


def _report_api_error(out: Output, exc: ApiError, workspace: str | None) -> ExitCode:
    from jobferry.cli.remedies import refusal_text  # the texts of fixes: for a refusal only

    extra = {k: v for k, v in exc.body.items() if k not in ("error_code", "error_msg", "errors")}
    said = exc.message if out.json_mode else refusal_text(exc.message, exc.body, workspace)
    out.error(exc.code, said, {"status": exc.status, **extra})
    # (DLF.9016's "conflicts" are already in its message; --json carries the list.)
    _problem_hints(out, exc.body, said)
    hint = _hint(exc)
    if hint:
        out.hint(hint)
    out.request_id(_request_id(exc))
    return ExitCode.PROBLEMS if exc.code in PACKAGE_REFUSALS else ExitCode.FAILED


def _report_command_error(out: Output, exc: CommandError) -> ExitCode:
    """A command's own refusal; one that says a server's refusal in the command's words ends
    with that call's request id too, as the server's refusal would have."""
    request_id = _request_id(exc)
    details = exc.details if request_id is None else {**exc.details, "request_id": request_id}
    out.error(exc.code, exc.message, details, kind=exc.kind)
    out.request_id(request_id)
    return exc.exit_code


def _request_id(exc: BaseException) -> str | None:
    """The id the server gave the call a failure answers: the :class:`ApiError`'s, or the one
    a command's refusal was raised while handling (said in the command's words). ``None`` for
    a failure no server answered, or a task's (its id names it)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain is short; never follow one that loops
        if seen is None:
            break
        if isinstance(seen, ApiError):
            said = seen.body.get("request_id")
            return said if isinstance(said, str) and said else None
        seen = seen.__cause__ or seen.__context__
    return None


def _problem_hints(out: Output, body: dict[str, Any], said: str) -> None:
    """Each problem of a refusal under its message: with its fix as a ``fix:`` line, one
    without as a line of its own (one the message says already is not said again)."""
    for item in body.get("problems") or body.get("details") or []:
        if isinstance(item, dict):
            text = item.get("detail") or item.get("message") or item.get("reason") or str(item)
            fix = f" — {item['fix']}" if item.get("fix") else ""
        else:
            text, fix = str(item), ""
        if fix:
            out.hint(f"{text}{fix}")
        elif str(text) not in said:
            out.detail(str(text))


def _hint(exc: ApiError) -> str | None:
    """What to check for a refusal whose message does not say it already."""
    if "locked_until" in exc.body:  # a locked key's message says until when and how to unlock
        return None
    if "remedy" in exc.body:  # its fix is said already, in this CLI's terms (cli.remedies)
        return None
    if "public_hosts" in exc.body:  # reached by a name the server does not answer to
        return "set the context's endpoint to one of those hosts (jobferry config show shows it)."
    unrouted = exc.status == 404 and not exc.code.startswith("DLF.")  # not a missing object
    if unrouted and "%2F" in exc.path.upper():  # a name with a slash, routed as two segments
        return (
            "a name holds no '/' (letters, digits, _, - and . only), so no call takes it: "
            "check the name given."
        )
    return HINTS.get(exc.code) or (HINTS["APIGW.0101"] if unrouted else None)


def _report_local(out: Output, exc: JobferryError, workspace: str | None) -> None:
    from jobferry.cli.remedies import refusal_text  # the texts of fixes: for a failure only

    body = exc.envelope()
    said = exc.message if out.json_mode else refusal_text(exc.message, body, workspace)
    out.error(exc.code, said, exc.context)
    _problem_hints(out, exc.context, said)


def _print_version(value: bool) -> None:
    if value:
        # Here, not at the top: the migrations' reader is for this option and local commands.
        from jobferry.storage.schema import head_revision

        typer.echo(f"jobferry {__version__} (schema {head_revision()})")
        raise typer.Exit(int(ExitCode.OK))


app = typer.Typer(
    cls=JobferryGroup,
    help="jobferry: move DataArts Factory jobs between environments, safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def root_options(
    ctx: typer.Context,
    context: Annotated[
        str | None,
        typer.Option(
            "--context",
            metavar="NAME",
            help="Context (endpoint and credentials) of the config file; else JOBFERRY_CONTEXT, "
            "else default_context, else 'default'.",
            show_default=False,
        ),
    ] = None,
    old_profile: Annotated[
        str | None,
        typer.Option("--profile", hidden=True, help="Deprecated: --context."),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            envvar="JOBFERRY_CONFIG",
            metavar="FILE",
            help="Config file (default: $JOBFERRY_CONFIG, else "
            "$XDG_CONFIG_HOME/jobferry/config.toml, else ~/.config/jobferry/config.toml).",
        ),
    ] = None,
    json_mode: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output, for every command.")
    ] = False,
    workspace: WorkspaceOption = None,
    wait_timeout: Annotated[
        str | None,
        typer.Option(
            "--wait-timeout",
            metavar="SECONDS",
            help="Stop following a task the server runs (an import, export, plan, rollback…) "
            "after this long, exit 124; it goes on there. Else JOBFERRY_WAIT_TIMEOUT, else the "
            "context's wait_timeout, else 0: to its end.",
            show_default=False,
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and the database schema revision it needs, and exit.",
        ),
    ] = False,
) -> None:
    """jobferry: move DataArts Factory jobs between environments, safely.

    Exit codes: 0 ok, 1 failed, 2 usage, 3 check problems found, 4 changes pending (plan,
    promote), 124 a task still running after --wait-timeout, 130 interrupted.
    """
    current = session(ctx, json_mode, workspace)
    current.wait_timeout = wait_timeout  # read with the context: a bad value exits 2 there
    if old_profile is not None:
        current.output.err.print(
            "notice: --profile is deprecated (connection profiles are now contexts); use "
            "--context.",
            style="yellow",
            markup=False,
            highlight=False,
        )
    current.context_name = context or old_profile
    current.config = Path(config).expanduser() if config else None  # as load_context reads it


# multiprocessing runs the program's main file again in every helper process a large package
# read or write starts, and ``bin/jobferry`` imports ``jobferry.cli`` (the entry point alone,
# light): the forkserver the helpers are forked from imports it once for them
# (jobferry.package.helpers). Here, not in
# ``main``: a server's worker processes (JOBFERRY_WORKERS) import this module without it.
helpers.preload("jobferry.cli")


def main() -> None:
    """Entry point of the ``jobferry`` console script."""
    app()
