"""What the CLI's config file and contexts promise (docs/cli.md "Contexts", the module doc of
``jobferry.cli.config``, README's quickstart), as a plain model of one person's config file and
environment: which context a command uses, what ``config show`` resolves, what ``config init``
writes or refuses.

The file is held as the contexts it has (each a table of values, perhaps edited by hand into a
value of the wrong type or an unknown key), its ``default_context``, and whether it was broken
as a whole (not TOML; ``contexts`` not a table). The precedence the model applies is the
documented one: ``--context``, else ``JOBFERRY_CONTEXT``, else ``default_context``, else
``default``; the ``JOBFERRY_*`` variables over the context's values, field by field; ``-w`` over
both; ``--wait-timeout`` over ``JOBFERRY_WAIT_TIMEOUT`` over ``wait_timeout``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMES = ("default", "test", "prod")
"""The contexts a story writes (and ``ghost``, one it only names)."""
OVERRIDES = {
    "endpoint": "JOBFERRY_ENDPOINT",
    "project_id": "JOBFERRY_PROJECT_ID",
    "workspace": "JOBFERRY_WORKSPACE",
    "ak": "JOBFERRY_AK",
    "sk": "JOBFERRY_SK",
}
"""The fields ``config show`` shows and the variables that override them."""
SECRET_VARIABLES = ("JOBFERRY_SK", "MY_SK")
"""The variables that hold a secret key: ``JOBFERRY_SK``, and the one ``sk_env`` names."""
TIMEOUT_SECONDS = 120.0
"""How long a call's answer is waited for when nothing says (jobferry.cli.client)."""
MAX_SECONDS = 86_400.0


@dataclass
class Refusal:
    """A command refused: its exit code, ``error.code`` and what its message must name (the
    object, the rule, the fix)."""

    code: str
    names: tuple[str, ...]
    exit_code: int = 2

    @property
    def rule(self) -> str:
        """The rule the refusal names (for the statistics): its words that are no path."""
        return next(n for n in self.names if "/" not in n and not n.startswith("Context"))


@dataclass
class Ctx:
    """One ``[contexts.NAME]`` table: its values and a hand edit the loader refuses
    (``type``: a text key given a number; ``key``: a misspelt key)."""

    values: dict[str, Any]
    bad: str | None = None


@dataclass
class Flags:
    """The options of one ``config show``: ``--context``, ``-w`` (before the command or after
    it) and ``--wait-timeout``."""

    context: str | None = None
    workspace: str | None = None
    workspace_first: bool = False
    wait: str | None = None


def _seconds(given: Any, low_open: bool) -> float | None:
    """``given`` as seconds within the documented bounds, else None (refused)."""
    try:
        seconds = float(given)
    except (TypeError, ValueError):
        return None
    low = seconds > 0 if low_open else seconds >= 0
    good = low and seconds <= MAX_SECONDS
    return seconds if good else None


@dataclass
class Model:
    """The config file at ``path`` and the environment a person runs the CLI in."""

    path: Path
    explicit: bool
    """The file is named (``--config`` / ``JOBFERRY_CONFIG``): a missing one is refused."""
    exists: bool = False
    contexts: dict[str, Ctx] = field(default_factory=dict)
    default: str | None = None
    broken: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    # -- the file -------------------------------------------------------------------------

    def data(self) -> dict[str, Any]:
        """What the file reads as (TOML), when it is not broken as a whole."""
        data: dict[str, Any] = {}
        if self.default is not None:
            data["default_context"] = self.default
        if self.contexts:
            data["contexts"] = {name: self._table(c) for name, c in self.contexts.items()}
        return data

    @staticmethod
    def _table(context: Ctx) -> dict[str, Any]:
        table = dict(context.values)
        if context.bad == "type":
            table["region"] = 5
        elif context.bad == "key":
            table["endpiont"] = "http://typo"
        return table

    def render(self) -> str:
        """The file as a person writes it by hand."""
        if self.broken == "contexts":
            return 'contexts = "default"\n'
        lines = [] if self.default is None else [f"default_context = {json.dumps(self.default)}"]
        for name, context in self.contexts.items():
            lines += ["", f"[contexts.{json.dumps(name)}]"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in self._table(context).items()]
        if self.broken == "toml":
            lines.append("[contexts.oops")
        return "\n".join(lines) + "\n"

    # -- config init ----------------------------------------------------------------------

    def init(self, name: str, table: dict[str, Any] | None, replace: bool) -> Refusal | None:
        """``config init`` of context ``name`` from a credentials file (``None``: missing);
        the model changed as the file must, or the refusal."""
        if not name:
            return Refusal("usage", ("--name is empty", "--name default"))
        if table is None:
            return Refusal("usage", ("does not exist", "start the server once", "--from"))
        if self.exists and self.broken == "toml":
            return Refusal("usage", (str(self.path), "cannot be read", "fix it"))
        if self.exists and self.broken == "contexts":
            return Refusal("usage", (str(self.path), "must be a table", "fix it"))
        if name in self.contexts and not replace:
            return Refusal("usage", (f"Context '{name}'", str(self.path), "--replace", "--name"))
        # the file's default stays the default: its default_context, else its [contexts.default]
        held = self.default is not None or (name != "default" and "default" in self.contexts)
        self.contexts.pop(name, None)
        self.contexts[name] = Ctx(table)
        if not held:
            self.default = name
        self.exists = True
        return None

    # -- config show ----------------------------------------------------------------------

    def chosen(self, flags: Flags) -> tuple[str, bool]:
        """The context's name and whether it was named, or is the file's ``default_context``
        (then it must be in the file)."""
        named = flags.context or self.env.get("JOBFERRY_CONTEXT")
        default = self.default if self.exists else None
        return named or default or "default", bool(named or default)

    def show(self, flags: Flags) -> Refusal | dict[str, Any]:
        """What ``config show --json`` answers with ``flags``, or its refusal."""
        path = str(self.path)
        if not self.exists and self.explicit:
            return Refusal("config", (path, "does not exist", "config init"))
        if self.broken == "toml":
            return Refusal("config", (path, "not valid TOML", "fix the file"))
        if self.broken == "contexts":
            return Refusal("config", (path, "'contexts' must be a table", "fix it in the file"))
        name, named = self.chosen(flags)
        context = self.contexts.get(name) if self.exists else None
        if context is None:
            if named:
                return Refusal("config", (f"Context '{name}'", path, f"[contexts.{name}]"))
            return self._view(flags, name, {}, "environment")
        where = f"{path}: [contexts.{name}]"
        if context.bad == "type":
            return Refusal("config", (where, "region must be a string", "fix it in the file"))
        if context.bad == "key":
            return Refusal("config", (where, "unknown key(s) endpiont", "known keys are"))
        return self._view(flags, name, context.values, path if context.values else "environment")

    def _view(
        self, flags: Flags, name: str, values: dict[str, Any], source: str
    ) -> Refusal | dict[str, Any]:
        got = {k: self.env.get(var) or values.get(k) for k, var in OVERRIDES.items()}
        variable = values.get("sk_env")
        if variable and not self.env.get("JOBFERRY_SK"):
            if not self.env.get(variable):
                where = f"Context '{name}' ({source})"
                return Refusal("config", (where, f"${variable}, which is not set", "set it"))
            got["sk"] = self.env[variable]
        timeout: Any = self.env.get("JOBFERRY_TIMEOUT") or values.get("timeout")
        seconds = TIMEOUT_SECONDS if timeout is None else _seconds(timeout, low_open=True)
        if seconds is None:
            return Refusal("config", ("JOBFERRY_TIMEOUT", "not a number of seconds"))
        wait: Any = self.env.get("JOBFERRY_WAIT_TIMEOUT")
        if wait:
            if _seconds(wait, low_open=False) is None:
                return Refusal("config", ("JOBFERRY_WAIT_TIMEOUT", "not a number of seconds"))
        else:
            wait = values.get("wait_timeout")
        if flags.wait is not None:
            wait = flags.wait
            if wait != "" and _seconds(wait, low_open=False) is None:
                return Refusal("config", ("--wait-timeout", "not a number of seconds"))
        endpoint = got["endpoint"]
        missing = [
            label
            for label, key in (
                ("endpoint", "endpoint"),
                ("project_id", "project_id"),
                ("access key (ak)", "ak"),
                ("secret key (sk)", "sk"),
            )
            if not got[key]
        ]
        return {
            "context": name,
            "source": source,
            "configFile": str(self.path),
            "endpoint": endpoint.rstrip("/") if endpoint else None,
            "projectId": got["project_id"],
            "workspace": flags.workspace or got["workspace"],
            "accessKey": got["ak"],
            "secretKey": "set" if got["sk"] else None,
            "upload": "jobferry",
            "timeout": seconds,
            "waitTimeout": None if wait in (None, "") else _seconds(wait, low_open=False) or None,
            "missing": missing,
        }

    def secrets(self) -> set[str]:
        """Every secret key the file or the environment holds: none may ever be printed."""
        held = {c.values["sk"] for c in self.contexts.values() if c.values.get("sk")}
        return held | {self.env[v] for v in SECRET_VARIABLES if self.env.get(v)}
