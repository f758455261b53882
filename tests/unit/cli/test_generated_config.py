"""Generated stories of the CLI's config file and contexts (``support/config_stories.py``): a
person runs ``config init`` from a server's credentials (again, ``--replace``, another
``--name``), adds, edits and drops contexts by hand, sets ``default_context``, breaks the file
by hand and mends it, deletes it or leaves it readable by all, sets and unsets ``JOBFERRY_*``
variables, and asks ``config show`` with and without ``--context``, ``-w`` and
``--wait-timeout``; the file named by ``--config``, ``JOBFERRY_CONFIG``, ``XDG_CONFIG_HOME`` or
found at ``~/.config/jobferry/config.toml``. In-process, no server. After every step, whatever
the story, the CLI keeps the promises of docs/cli.md ("Contexts", the ``config`` commands, exit
codes) and README's quickstart (``support/config_model.py`` says them):

- ``config show`` (which context a remote command would use) resolves as documented, in every
  combination: ``--context``, else ``JOBFERRY_CONTEXT``, else ``default_context``, else
  ``default``; the ``JOBFERRY_*`` variables over the context's values field by field (an empty
  one as unset), ``JOBFERRY_SK`` over the variable the context's ``sk_env`` names over its
  ``sk``; ``-w`` (before the command or after it) over both; ``--wait-timeout`` over
  ``JOBFERRY_WAIT_TIMEOUT`` over ``wait_timeout``; a missing file or context is fine (the
  environment alone) unless named;
- the secret key is never printed, by any command, with ``--json`` or without;
- ``config init`` writes the context from the credentials file (endpoint, project, workspace,
  keys), the file's other contexts and its default kept, ``default_context`` set only when
  the file has no default; refuses an existing context unless ``--replace``; leaves the file
  readable by its owner only;
- every refusal (a missing named file or context, a file that is not TOML, ``contexts`` not a
  table, a value of the wrong type, an unknown key, a bad number of seconds, no credentials
  file, a context that exists, an empty ``--name``, a variable ``sk_env`` names unset) exits
  2 with the documented ``error.code``, its message naming the file or context, the rule and
  the fix, and changes no file;
- no command leaves anything beside the config file (a failed write leaves no part file).
"""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.server import write_credentials_file
from jobferry.services.accounts.service import IssuedCredential
from support.cli import invoke
from support.config_model import Ctx, Flags, Model, Refusal
from support.config_stories import (
    CREDENTIALS,
    ConfigStory,
    Step,
    config_stories,
    init_replace_and_break,
    precedence_everywhere,
)
from support.import_stories import generated

pytestmark = pytest.mark.fuzz
GENERATED = generated(10)
"""Stories the test tells (JOBFERRY_FUZZ_EXAMPLES=150 and a ``--hypothesis-seed`` for a longer
run)."""


class Teller:
    """A story being told in a folder of its own (its home, its config folder)."""

    def __init__(self, folder: Path, where: str) -> None:
        self.folder, self.where = folder, where
        self.home, self.xdg = folder / "home", folder / "xdg"
        path = {
            "xdg": self.xdg / "jobferry" / "config.toml",
            "home": self.home / ".config" / "jobferry" / "config.toml",
        }.get(where, folder / "cfg" / "config.toml")
        self.model = Model(path, explicit=where in ("flag", "env"))
        self.credentials: list[Path | None] = []
        for n, held in enumerate(CREDENTIALS):
            data = folder / f"data{n}"
            if held is None:
                self.credentials.append(data / "admin-credentials.json")
                continue
            issued = IssuedCredential(held["accessKey"], held["secretKey"])
            self.credentials.append(write_credentials_file(data, held["projectId"], issued))

    @property
    def path(self) -> Path:
        return self.model.path

    # -- running the CLI --------------------------------------------------------------------

    def _env(self) -> dict[str, str | None]:
        return {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.xdg) if self.where == "xdg" else None,
            "JOBFERRY_CONFIG": str(self.path) if self.where == "env" else None,
            **self.model.env,
        }

    def _state(self) -> tuple[bytes | None, int | None, list[str]]:
        """The file's bytes and mode, and what its folder holds."""
        if not self.path.exists():
            held = (
                sorted(p.name for p in self.path.parent.iterdir())
                if self.path.parent.exists()
                else []
            )
            return None, None, held
        mode = stat.S_IMODE(self.path.stat().st_mode)
        return self.path.read_bytes(), mode, sorted(p.name for p in self.path.parent.iterdir())

    def run(self, args: list[str]) -> Result:
        """``jobferry <args>`` (the file named as the story names it); nothing secret printed,
        no traceback, nothing left beside the file."""
        root = ["--config", str(self.path)] if self.where == "flag" else []
        result = invoke([*root, *args], self._env())
        note(f"{' '.join(args)} → {result.exit_code}")
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        for secret in self.model.secrets() | {c["secretKey"] for c in CREDENTIALS if c}:
            assert secret not in result.output, (args, secret)
        held = self._state()[2]
        assert held in ([], ["config.toml"]), held
        return result

    def refused(self, result: Result, refusal: Refusal, before: Any) -> None:
        """Refused as documented: the exit code, ``error.code``, a message naming the object,
        the rule and the fix; no file changed."""
        assert result.exit_code == refusal.exit_code, (result.stdout, result.stderr)
        error = json.loads(result.stdout)["error"]
        assert error["code"] == refusal.code, error
        said = " ".join(error["message"].split())
        for name in refusal.names:
            assert name in said, (name, said)
        assert self._state() == before
        event(f"refused: {refusal.rule}")

    # -- the checks -------------------------------------------------------------------------

    def check_file(self) -> None:
        """The file reads as the model holds it (every context, the default)."""
        assert self.path.exists() == self.model.exists
        if self.model.exists and self.model.broken is None:
            assert tomllib.loads(self.path.read_text(encoding="utf-8")) == self.model.data()

    def check_show(self, flags: Flags) -> None:
        """``config show`` with ``flags`` (``--json`` and in words) as the model resolves it."""
        args = ["--context", flags.context] if flags.context else []
        if flags.wait is not None:
            args += ["--wait-timeout", flags.wait]
        given_w = ["-w", flags.workspace] if flags.workspace else []
        first, after = (given_w, []) if flags.workspace_first else ([], given_w)
        before = self._state()
        expected = self.model.show(flags)
        result = self.run([*args, *first, "config", "show", "--json", *after])
        if isinstance(expected, Refusal):
            self.refused(result, expected, before)
            return
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == expected
        worded = self.run([*args, *first, "config", "show", *after])
        assert worded.exit_code == 0, worded.output
        set_said = "secret key:   set" in worded.stdout
        assert set_said == (expected["secretKey"] == "set"), worded.stdout
        assert self._state() == before
        event(f"show: {expected['source'] == 'environment'} {expected['missing'] == []}")

    # -- the steps --------------------------------------------------------------------------

    def write_by_hand(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.model.render(), encoding="utf-8")
        self.model.exists = True

    def init(self, step: Step) -> None:
        name, n, replace, endpoint, workspace, json_mode = step.args
        held = CREDENTIALS[n]
        table = None
        if held is not None:
            table = {
                "endpoint": endpoint,
                "project_id": held["projectId"],
                "workspace": workspace,
                "ak": held["accessKey"],
                "sk": held["secretKey"],
            }
        args = ["config", "init", "--from", str(self.credentials[n]), "--name", name]
        args += ["--endpoint", endpoint, "-w", workspace]
        args += ["--replace"] if replace else []
        before, was = self._state(), name in self.model.contexts
        refusal = self.model.init(name, table, replace)
        result = self.run([*args, "--json"] if json_mode or refusal else args)
        if refusal is not None:
            self.refused(result, refusal, before)
            return
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(self.path.stat().st_mode) == 0o600
        if json_mode:
            view = json.loads(result.stdout)
            assert (view["context"], view["configFile"], view["replaced"]) == (
                name,
                str(self.path),
                was,
            )
        event(f"init: {'replaced' if was else 'added'}")

    def act(self, step: Step) -> None:
        model = self.model
        if step.what == "init":
            self.init(step)
            return
        if step.what == "env":
            variable, value = step.args
            if value is None:
                model.env.pop(variable, None)
            else:
                model.env[variable] = value
            return
        if step.what == "delete":
            self.path.unlink(missing_ok=True)
            model.exists, model.contexts, model.default, model.broken = False, {}, None, None
            return
        if step.what == "chmod":
            if model.exists:
                self.path.chmod(0o644)  # copied from elsewhere, readable by all
            return
        if step.what == "hand":
            name, values = step.args
            model.contexts[name] = Ctx(dict(values))
        elif step.what == "break":
            kind, name = step.args
            if kind in ("toml", "contexts"):
                model.broken = kind
            else:
                model.contexts.setdefault(name, Ctx({})).bad = kind
        elif step.what == "mend":
            model.broken = None
            for context in model.contexts.values():
                context.bad = None
        elif step.what == "default":
            model.default = step.args[0]
        elif step.what == "drop":
            model.contexts.pop(step.args[0], None)
        self.write_by_hand()


def _tell(folder: Path, told: ConfigStory) -> None:
    teller = Teller(folder, told.where)
    teller.check_show(Flags())
    for step, flags in told.steps:
        note(repr(step))
        teller.act(step)
        teller.check_file()
        teller.check_show(flags)


@GENERATED
@given(told=config_stories())
@example(told=init_replace_and_break())
@example(told=precedence_everywhere())
def test_config_stories_keep_the_documented_promises(
    tmp_path_factory: Any, told: ConfigStory
) -> None:
    note(repr(told))
    _tell(tmp_path_factory.mktemp("story"), told)
