"""What the workspace commands of the command line promise, written from docs/cli.md (the
commands table, "Standard output and standard error", "Exit codes") and docs/api.md (the v1
job calls, the v2 rename, export, the workspace settings), not from the code; for
``tests/cli/test_generated_workspace_commands.py``.

The model holds what a story's workspace holds: its jobs (batch or real-time, scheduled or
not, the script each uses, the jobs its saved definition and its latest submitted version
depend on), its scripts and its lock policy. Each step answers an ``Outcome``: the exit code,
the error codes a refusal may carry (several when more than one documented rule refuses the
step, the docs naming no order among them) and what a refusal told to a person must say (the
object, and the command that fixes it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

MISSING_JOB = "DLF.0100"
MISSING_RENAMED = "DLF.30100"
"""The v2 rename's own code for a job that does not exist (docs/api.md)."""
MISSING_SCRIPT = "DLF.6201"
NAME_TAKEN = "DLF.0102"
SCHEDULED = "DLF.9011"
IN_USE = "DLF.9013"
SELF_DEPENDENT = "DLF.3025"
BAD_NAME = frozenset({"DLF.3018", "DLF.3051"})
"""A name breaking the name rule (docs/errors.md: DLF.3018 for a job name, DLF.3051 for an
invalid parameter; the rename's row names no code)."""
USAGE = "usage"
WORKSPACE = "workspace"
"""``error.code`` of a workspace name that is not one of the caller's (docs/cli.md)."""
API_WORDS = re.compile(
    r"\b(GET|POST|PUT|DELETE|PATCH)\s+\S*/|/v[12]/|\{project_id\}|\b[a-z]+[A-Z][A-Za-z]*\b"
)
"""An API call or a wire field named (tests/test_wording.py: the command line speaks its own
commands and flags); every generated command story holds its refusals to it."""
NAME_RULE = re.compile(r"[\w.-]{1,128}")
"""docs/api.md "Names": letters, digits, ``_``, ``-`` and ``.``."""


@dataclass(frozen=True)
class Outcome:
    """How a step ends: its exit code, the codes a refusal may carry, what it says."""

    exit_code: int
    codes: frozenset[str] = frozenset()
    says: tuple[str, ...] = ()
    """Words a refusal told to a person says on standard error (the object, the fix)."""


OK = Outcome(0)


def refused(codes: set[str] | frozenset[str], *says: str, exit_code: int = 1) -> Outcome:
    """A refusal with any of ``codes``, saying ``says``."""
    return Outcome(exit_code, frozenset(codes), says)


@dataclass
class Job:
    """A job of the workspace."""

    realtime: bool
    script: str | None
    upstream: tuple[str, ...]
    """The jobs its saved definition depends on (``dependJobs.jobs``)."""
    submitted: tuple[str, ...]
    """The jobs its latest submitted version depends on (a rename rewrites only the saved
    definition: docs/api.md ``update_factory_job_name``)."""
    scheduled: bool = False

    @property
    def status(self) -> str:
        """``list_jobs``' status (docs/api.md ``start_job``/``stop_job``)."""
        if not self.scheduled:
            return "STOPPED"
        return "NORMAL" if self.realtime else "SCHEDULING"


@dataclass
class Model:
    """The story's workspace as the docs say the commands leave it."""

    jobs: dict[str, Job] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)
    lock_policy: str = "soft"

    def listed(self, text: str | None, realtime: bool) -> list[tuple[str, str]]:
        """``jobs list [--name TEXT] [--type …]``: name and status, by name in code point
        order (docs/api.md "Names"), ``--name`` a part of the name, case counting."""
        return sorted(
            (name, job.status)
            for name, job in self.jobs.items()
            if job.realtime == realtime and (text is None or text in name)
        )

    def show(self, name: str, version: int | None, submitted: bool) -> Outcome:
        """``jobs show``: one submitted version each job has (every seeded job is saved
        submitted, and nothing here submits again)."""
        if version is not None and version < 1:  # versions count from 1: a bad value
            return refused({USAGE}, "--version", exit_code=2)
        if version is not None and submitted:
            return refused({USAGE}, "--version", "--submitted", exit_code=2)
        if name not in self.jobs:
            return refused({MISSING_JOB}, name)
        if version is not None and version != 1:
            return refused({MISSING_JOB}, name)
        return OK

    def schedule(self, name: str, start: bool) -> Outcome:
        """``jobs start`` / ``jobs stop`` (a job with a submitted version starts)."""
        if name not in self.jobs:
            return refused({MISSING_JOB}, name)
        self.jobs[name].scheduled = start
        return OK

    def rename(self, name: str, new: str) -> Outcome:
        """``jobs rename``: the v2 rename's rules (docs/api.md); renaming to the same name
        changes nothing; dependents' saved definitions follow the new name. A new name that
        breaks the name rule is refused whether or not the job exists (the docs order none of
        the rules)."""
        rules: list[Outcome] = []
        if NAME_RULE.fullmatch(new) is None:  # the name refused is the new one
            rules.append(refused(BAD_NAME, new))
        if name not in self.jobs:
            return _first_of([*rules, refused({MISSING_RENAMED}, name)])
        if new == name:
            return _first_of(rules) if rules else OK
        job = self.jobs[name]
        if new in self.jobs:
            rules.append(refused({NAME_TAKEN}, name, new))
        if job.scheduled:
            rules.append(refused({SCHEDULED}, name, f"jobferry jobs stop {name}"))
        if new in job.upstream:
            rules.append(refused({SELF_DEPENDENT}, name, new))
        if rules:
            return _first_of(rules)
        self.jobs[new] = self.jobs.pop(name)
        for other in self.jobs.values():
            other.upstream = tuple(new if n == name else n for n in other.upstream)
        return OK

    def dependents(self, name: str) -> list[str]:
        """The other jobs depending on ``name``: by their saved definition or their latest
        submitted version (docs/api.md ``delete_job``)."""
        return sorted(
            other
            for other, job in self.jobs.items()
            if other != name and (name in job.upstream or name in job.submitted)
        )

    def delete_job(self, name: str) -> Outcome:
        """``jobs delete NAME --yes``: refused while scheduled or depended on (docs/cli.md)."""
        if name not in self.jobs:
            return refused({MISSING_JOB}, name)
        rules = []
        if self.jobs[name].scheduled:
            rules.append(refused({SCHEDULED}, name, f"jobferry jobs stop {name}"))
        users = self.dependents(name)
        if users:
            rules.append(refused({IN_USE}, name, *users))
        if rules:
            return _first_of(rules)
        del self.jobs[name]
        return OK

    def delete_script(self, name: str) -> Outcome:
        """``scripts delete NAME --yes``: refused while a job uses it, naming the jobs."""
        if name not in self.scripts:
            return refused({MISSING_SCRIPT}, name)
        users = sorted(n for n, job in self.jobs.items() if job.script == name)
        if users:
            return refused({IN_USE}, name, *users)
        self.scripts.discard(name)
        return OK

    def export(self, names: tuple[str, ...]) -> Outcome:
        """``export JOB…``: refused, writing nothing, when a job named is missing."""
        missing = [n for n in names if n not in self.jobs]
        if missing:
            return refused({MISSING_JOB}, missing[0])
        return OK

    def exported_scripts(self, names: tuple[str, ...]) -> set[str]:
        """The scripts an export of ``names`` carries along (``exportDepend`` by default)."""
        return {s for n in names if (s := self.jobs[n].script) is not None}

    def settings(self, known: bool, policy: str | None) -> Outcome:
        """``workspaces settings [WORKSPACE] [--lock-policy …]``: an unknown workspace name
        or a lock policy that is neither ``soft`` nor ``hard`` exits 2."""
        if policy is not None and policy not in ("soft", "hard"):
            return refused({USAGE}, "--lock-policy", exit_code=2)
        if not known:
            return refused({WORKSPACE}, "jobferry workspaces list", exit_code=2)
        if policy is not None:
            self.lock_policy = policy
        return OK


def _first_of(rules: list[Outcome]) -> Outcome:
    """A step more than one rule refuses: refused by any of them, saying what that one says
    (the docs order none of them), so only its code is predicted; one rule: all it says."""
    if len(rules) == 1:
        return rules[0]
    codes = frozenset().union(*(rule.codes for rule in rules))
    return Outcome(rules[0].exit_code, codes)


class Predicted(Protocol):
    """What the stream checks read of any story's outcome (each model has its own)."""

    @property
    def codes(self) -> frozenset[str]: ...

    @property
    def says(self) -> tuple[str, ...]: ...


def json_answer(stdout: str, predicted: Predicted, said: Any) -> Any:
    """``--json``'s one document (nothing else on standard output): the refusal predicted,
    ``{"error": {"code", …}}``, or an answer that is none."""
    body = json.loads(stdout)
    if predicted.codes:
        assert set(body) == {"error"}, said
        assert body["error"]["code"] in predicted.codes, said
    else:
        assert "error" not in body, said
    return body


def refusal_told(
    stderr: str, predicted: Predicted, said: Any, *, checked: str | None = None
) -> None:
    """A refusal told to a person on standard error: ``error CODE: …`` with a code predicted
    (a usage error's may be left out, or said in the parser's own usage box), no API call or
    wire field in ``checked`` (the standard error, less what a story knows to be quoted from
    elsewhere), and every word predicted said (lines joined)."""
    found = re.match(r"error(?: ([\w.]+))?: ", stderr)
    if USAGE not in predicted.codes:
        assert found is not None, said
    if found is not None and predicted.codes != {USAGE}:  # a usage error's code may be left out
        assert found[1] in predicted.codes or (found[1] is None and USAGE in predicted.codes), said
    assert not API_WORDS.search(stderr if checked is None else checked), said
    flat = " ".join(stderr.split())
    for word in predicted.says:
        assert word in flat, (word, said)


def told_where_documented(
    stdout: str, stderr: str, predicted: Predicted, json_mode: bool, said: Any, **told: Any
) -> Any:
    """Where docs/cli.md puts what a command says: with ``--json`` one document (returned);
    else an answer on standard output and nothing on standard error, or a refusal on standard
    error alone (:func:`refusal_told`, given ``told``); None."""
    if json_mode:
        return json_answer(stdout, predicted, said)
    if not predicted.codes:
        assert stderr == "", said
        assert stdout.strip(), said
        return None
    assert stdout == "", said
    refusal_told(stderr, predicted, said, **told)
    return None
