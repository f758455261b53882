"""The wording walk: every refusal the command line and the console can print speaks their
terms, never the API's (CONTRIBUTING.md, "Tests").

A refusal states its problem once; its fix is said to each audience in its own terms. The
services give API clients theirs (``fix=``, in the API's calls and fields) with a ``remedy``,
and ``cli/remedies.py`` and ``console/fixes.py`` say every remedy with their own commands and
pages. This walk fails on:

* a remedy either adapter has no words for, or whose words name an HTTP method, an API path,
  a wire field name or a JSON body, or a ``jobferry`` command or option that does not exist;
* a text of the code below the adapters (every message a service, the domain, the package
  reader or the task runner writes, which the CLI and the console print as they are) naming
  the API, outside a ``fix=`` given with its remedy — save the few refusals only an API client
  can meet, listed below with why;
* a plan problem whose fix the CLI (for each command that prints plans) or the console says
  in the API's terms, or with an option the command does not have;
* a refusal the CLI or the console writes itself that names the API.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jobferry
from jobferry import errors
from jobferry.cli.fixes import cli_fix
from jobferry.cli.remedies import REMEDIES as CLI_REMEDIES
from jobferry.cli.remedies import refusal_text
from jobferry.console.fixes import REMEDIES as CONSOLE_REMEDIES
from jobferry.console.fixes import console_fix, said, task_refused
from jobferry.domain.enums import ProblemReason
from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import BodyShape
from jobferry.services.tasks import refusal_result
from support.cli import whole_command

SRC = Path(jobferry.__file__).parent
ADAPTERS = ("api", "cli", "console")
API_ROUTES = sorted((SRC / "api").rglob("*.py"))


def _shapes() -> Iterator[BodyShape]:
    for found in pkgutil.walk_packages(jobferry.__path__, "jobferry."):
        if found.name.endswith("__main__") or ".migrations" in found.name:
            continue  # the command line's entry point; alembic's scripts
        for value in vars(importlib.import_module(found.name)).values():
            if isinstance(value, BodyShape):
                yield value


def _field_names(shape: BodyShape) -> Iterator[str]:
    for field in shape.fields:
        yield field.name
        for inner in (field.shape, field.items):
            if isinstance(inner, BodyShape):
                yield from _field_names(inner)


QUERY_PARAMETERS = sorted(
    set(re.findall(r'alias="([a-z]+[A-Z]\w*)"', "".join(p.read_text() for p in API_ROUTES)))
)
"""The API's query parameters that are not plain words (``getJobSubmitVersion``…)."""
WIRE_FIELDS = sorted(
    {name for shape in _shapes() for name in _field_names(shape) if re.search("[a-z][A-Z]", name)}
    | {"taskId", "planId", "errorCode"}
    | set(QUERY_PARAMETERS)
)
"""The request bodies' field names and query parameters that are not plain words
(``onDrift``, ``planId``, ``getJobSubmitVersion``…)."""
RELEASE_FIELDS = (
    "apply_user_id",
    "package_name",
    "pending_item_list",
    "approver_ids",
    "package_ids",
    "startup_mode",
    "deploy_status_filter",
)
"""The release calls' body fields (DataArts' snake_case bodies, read by hand: no body shape
declares them)."""

API_TERM = re.compile(
    r"\b(?:GET|POST|PUT|DELETE|PATCH)\s+(?:/|…|\.\.\.|\{)"  # an HTTP call
    r"|/v[12]/|\{project_id\}"  # an API path
    r"|workspace header"
    r'|\{\s*"\w+"\s*:'  # a JSON body
    r"|\b[a-z]+(?:_[a-z]+)*_factory_[a-z_]+\b"  # an SDK call (list_factory_release_packages)
    r"|\b(?:" + "|".join([*WIRE_FIELDS, *RELEASE_FIELDS]) + r")\b"
)


def api_terms(text: str) -> list[str]:
    """The API's words in ``text``."""
    return [m.group(0) for m in API_TERM.finditer(text)]


def test_the_walk_knows_the_api_terms() -> None:
    assert {"onDrift", "sameNamePolicy", "propagateDeletes", "planId"} <= set(WIRE_FIELDS)
    assert {"getJobSubmitVersion", "jobType"} <= set(WIRE_FIELDS)  # query parameters too
    assert set(api_terms("list them with GET /v1/{project_id}/routes")) == {
        "GET /",
        "{project_id}",
    }
    assert api_terms('make that end carried ({"target": {"carried": true}})')
    assert api_terms("the workspace header")
    assert api_terms("stop it (POST .../jobs/daily/stop) first")
    assert api_terms("list_factory_release_packages lists its packages")
    assert api_terms("package_name is longer than 256 characters")
    assert not api_terms("jobferry promote nightly --on-drift keep-target")


# -- commands and options ----------------------------------------------------------------

ROOT: Any = whole_command()
MENTION = re.compile(r"jobferry((?:\s+[\w-]+)+)([^;()]*)")


def _command(words: list[str]) -> tuple[Any, list[str]]:
    """The command ``words`` name (as deep as they go) and the words naming it."""
    command, path = ROOT, []
    for word in words:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command, path = sub, [*path, word]
    return command, path


def _options(command: Any) -> set[str]:
    root = {o for p in ROOT.params for o in (*p.opts, *p.secondary_opts)}
    return root | {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}


def wrong_commands(text: str) -> list[str]:
    """Each ``jobferry …`` the text names that is no command, or with an option the command
    does not have."""
    wrong = []
    for found in MENTION.finditer(text):
        words = found.group(1).split()
        command, path = _command(words)
        if not path or getattr(command, "commands", None):
            wrong.append(f"jobferry {' '.join(words[:2])}: no such command")
            continue
        for option in re.findall(r"(?<![\w-])--[\w-]+", found.group(0)):
            if option not in _options(command):
                wrong.append(f"jobferry {' '.join(path)} has no {option}")
    return wrong


def bare_options(text: str) -> list[str]:
    """The options ``text`` names outside any ``jobferry …`` mention (of the command that
    prints it)."""
    outside = MENTION.sub("", text)
    return re.findall(r"(?<![\w-])--[\w-]+", outside)


def test_the_walk_finds_wrong_commands_and_options() -> None:
    assert wrong_commands("jobferry promote r --out FILE --full; jobferry keys list") == []
    assert wrong_commands("jobferry apply -f DIR --policy skip") == [
        "jobferry apply has no --policy"
    ]
    assert wrong_commands("jobferry frobnicate it") == ["jobferry frobnicate it: no such command"]


# -- remedies ------------------------------------------------------------------------------

CONTEXT = {
    "route": "nightly",
    "name": "dws_conn",
    "kind": "connection",
    "job_name": "daily_sales",
    "task_id": "0123abcd",
    "remote": "prod_remote",
    "workspace": "prod",
    "end": "target",
    "package_route": "other",
    "key_id": "k1",
    "user": "alice",
}


@pytest.mark.parametrize("where", ["", " -w dev"], ids=["context's workspace", "-w given"])
@pytest.mark.parametrize("context", [CONTEXT, {}], ids=["with context", "without"])
@pytest.mark.parametrize("remedy", list(Remedy))
def test_every_remedy_is_said_in_cli_and_console_terms(
    remedy: Remedy, context: dict[str, Any], where: str
) -> None:
    assert remedy in CLI_REMEDIES, f"cli/remedies.py has no words for {remedy}"
    assert remedy in CONSOLE_REMEDIES, f"console/fixes.py has no words for {remedy}"
    cli = CLI_REMEDIES[remedy](context, where)
    console = CONSOLE_REMEDIES[remedy](context)
    for text in (cli, console):
        assert text.rstrip().endswith((".", "…")), text
        assert not api_terms(text), f"{remedy}: {text}"
        assert not wrong_commands(text), f"{remedy}: {wrong_commands(text)} in {text}"


def test_a_refusal_with_a_remedy_prints_its_problem_and_the_cli_fix() -> None:
    error = errors.RouteNotFoundError(
        "There is no route 'nightly' in this project.",
        fix="List them with GET /v1/{project_id}/routes.",
        remedy=Remedy.LIST_ROUTES,
        route="nightly",
    )
    body = error.envelope()
    assert body["error_msg"] == (
        "There is no route 'nightly' in this project. List them with GET /v1/{project_id}/routes."
    )
    assert (body["remedy"], body["problem"]) == ("list_routes", error.problem)
    assert refusal_text(error.message, body) == (
        "There is no route 'nightly' in this project. jobferry routes list lists them."
    )
    assert said(error).startswith("There is no route 'nightly'")
    assert not api_terms(said(error))
    kept = refusal_result(error, ("remedy", "problem", "route"))  # a task failed by it
    assert task_refused(error.message, kept) == (
        "There is no route 'nightly' in this project. The Routes page lists them."
    )
    assert task_refused("no remedy kept", {"errorCode": "DLF.9016"}) == "no remedy kept"
    plain = errors.RouteNotFoundError("There is no route 'x'.", route="x").envelope()
    assert "remedy" not in plain
    assert refusal_text("from an older server", {"remedy": "unknown"}) == "from an older server"


# -- texts below the adapters ----------------------------------------------------------------

API_ONLY = {
    "services/definitions/jobs.py:list_jobs": "list_jobs' jobType query parameter (the CLI's "
    "--type and the console's job list send BATCH or REAL_TIME)",
    "services/importing/request.py": "the import request's parser: the CLI and the console "
    "build that body themselves, so only an API client's body is refused there",
    "services/exporting/options.py": "the export requests' parsers (bodies the CLI and the "
    "console build)",
    "services/definitions/publishing.py": "targetStatus and approverName of a create or update "
    "call's query (the console's editor and the CLI send none)",
    "services/definitions/starts.py": "a start call's body (jobParams and the scheduling "
    "options; the CLI and the console send a valid one)",
    "services/definitions/resources.py": "a resource body's dependPackages (the API's shape)",
    "services/workspaces/settings.py": "the workspace settings' body (the console's form sends "
    "a valid one)",
    "services/remotes/pushable.py:plan_problems": "a plan problem of the package, which the "
    "CLI and the console say in their own words by its rule (cli/fixes.py, console/fixes.py)",
    "services/workspaces/studio.py": "the DataArts Studio look-ups (instances and their "
    "workspaces), which only SDK clients call",
    "services/connections/studio.py:validate": "the data connection test call, which only an "
    "API client makes",
    "services/connections/migration.py": "the connections' export and import calls, which "
    "only API clients make (no command or page moves connections)",
    "domain/profile.py": "an environment profile's document: the file a person writes for "
    "profiles put -f (or the console's form) is in this format, so its refusals name its "
    "fields",
    "domain/policies.py": "a policy's document: the file a person writes for policies put -f "
    "(or the console's form) is in this format, so its refusals name its fields",
    "domain/routes.py": "a route's document: the file a person writes for routes create -f is "
    "in this format, so its refusals name its fields",
    "package/signature.py:_key_problem": "a package's signature.json, whose own fields "
    "(publicKey, keyId) a refusal of it names",
    "services/accounts/service.py:_project_admin": "projectAdmin of a user body (API only)",
    "services/workspaces/keys.py:parse_trust": "the trust call's body: the CLI sends the key "
    "as publicKey, and its text tells the form ('ed25519:…')",
    "services/workspaces/keys.py:parse_distrust": "the distrust call's body: the CLI and the "
    "console always send the key as publicKey, so only an API client meets its absence",
    "services/releases/approval_keys.py:parse_key": "the approval-key call's body: the CLI "
    "checks the key itself and sends it as publicKey",
    "services/remotes/push.py": "a remote's own answer (its field names), quoted as it came",
    "services/releases/records.py:package_ids": "release package ids in a path or a body: the "
    "CLI checks its ID arguments are numbers, the console's addresses are typed, and both "
    "name one package a call",
    "services/releases/records.py:startup_mode": "the deploy body's startup_mode, which the "
    "CLI (--no-start) and the console (its choice) send valid",
    "services/releases/records.py:parse_package_query": "the package list's filters, a body "
    "the CLI and the console build",
    "services/accounts/tokens.py": "IAM tokens, which only API clients get and send (the CLI "
    "signs with AK/SK, the console signs in with its own form)",
    "services/accounts/tokenrequest.py": "the body of the IAM token call, which only API "
    "clients send",
    "signing.py:_check_params": "the Go SDK gophertelekomcloud's own AK/SK signature, which "
    "only that API client sends (the CLI signs as the API gateway does)",
    "signing.py:_authorization": "a request that is neither signed nor carries a token, which "
    "only an API client sends (the CLI signs every call)",
    "services/remotes/records.py:parse_remote_change": "a remote change's body: remotes edit "
    "checks its options itself, and the console's Edit form says both rules in its own words",
}
"""Texts only an API client meets (or that quote another system), each with why."""

NOT_SHOWN = {
    "errors.py": "the error tree's docstrings and the envelope",
    "domain/shapes.py": "body shapes (the API's own document)",
    "settings.py": "the settings' help texts, for the operator (docs/settings.md), which "
    "describe the API's limits in its terms",
}
"""Modules whose texts neither the CLI nor the console prints, each with why."""

FIX_NAMES = ("fix",)
"""A ``fix=`` argument, a ``fix = …`` assignment and a ``"fix":`` entry hold the API's words
for API clients: the adapters say them their own way (a remedy, a problem's reason)."""
API_WORDED_REASONS = (
    ProblemReason.MISSING_REFERENCE,
    ProblemReason.MISSING_SECRET,
    ProblemReason.LOCKED,
    ProblemReason.SCHEDULED,
    ProblemReason.DRIFT,
    ProblemReason.NAME_CONFLICT,
    ProblemReason.SIGNATURE,
)
"""The plan problems whose server fix names the API: texts in a call naming one of them (and
in a ``*_fix`` function) may, because the CLI and the console say their fixes (below)."""
SHAPE_CALLS = ("Field", "BodyShape", "text", "flag", "choice", "text_map")
"""A body shape's field descriptions: the API's own document (OpenAPI), in its words."""


class _Texts(ast.NodeVisitor):
    """The string texts of a module outside docstrings, log calls and ``fix`` values, each
    with the function (and error class) it sits in."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []
        self._where: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scope(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope(node)

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if node.name.endswith("_fix"):
            return  # a fix in the API's words
        self._where.append(node.name)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        for child in [*getattr(node, "decorator_list", []), *body]:
            self.visit(child)
        self._where.pop()

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant | ast.JoinedStr):
            return  # a docstring (of a module or attribute)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = getattr(func, "value", None)
        if isinstance(owner, ast.Name) and owner.id in ("log", "logger", "LOG"):
            return
        if name in SHAPE_CALLS or _names_api_worded_reason(node):
            return
        self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for keyword in node.keywords:
            if keyword.arg in FIX_NAMES:
                continue
            self.visit(keyword.value)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in FIX_NAMES:
                continue
            if key is not None:
                self.visit(key)
            self.visit(value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id in FIX_NAMES for t in node.targets):
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.found.append((node.lineno, ".".join(self._where), node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
        self.found.append((node.lineno, ".".join(self._where), str(text)))


def _names_api_worded_reason(node: ast.Call) -> bool:
    args = [*node.args, *(k.value for k in node.keywords)]
    for arg in (inner for a in args for inner in ast.walk(a)):
        if (
            isinstance(arg, ast.Attribute)
            and isinstance(arg.value, ast.Name)
            and arg.value.id == "ProblemReason"
            and ProblemReason[arg.attr] in API_WORDED_REASONS
        ):
            return True
    return False


def _allowed(module: str, where: str, text: str) -> bool:
    if module in API_ONLY:
        return True
    return any(f"{module}:{part}" in API_ONLY for part in where.split(".")) or (
        f"{module}:{text}" in API_ONLY
    )


def leaks() -> list[str]:
    """Every text below the adapters that names the API outside a ``fix`` (and is not in
    :data:`API_ONLY`)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module.split("/")[0] in ADAPTERS or module in NOT_SHOWN:
            continue
        texts = _Texts()
        texts.visit(ast.parse(path.read_text()))
        for line, where, text in texts.found:
            terms = api_terms(text) if re.search(r"\s", text) else []  # a key is no text
            if terms and not _allowed(module, where, text):
                found.append(f"{module}:{line} ({where}) {terms}: {text[:90]}")
    return found


def test_no_text_below_the_adapters_names_the_api_outside_a_fix() -> None:
    found = leaks()
    assert not found, (
        "the CLI and the console print these texts as they are, so they must not name the API: "
        "state the problem in plain words, and give the API's fix as fix=... with a "
        "remedy=Remedy.X (domain/remedies.py) that cli/remedies.py and console/fixes.py say "
        "in their own words; or, if only an API client can meet the text, list it in "
        "API_ONLY with why:\n" + "\n".join(found)
    )


FIX_FOR_API = {
    "NotApplied": "a deletion a plan leaves out: its fix is the API's; the CLI and the console "
    "name their own option for it (--propagate-deletes, the wizard's tick box)",
}
"""Records whose ``fix`` only API clients read, each with why."""


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def test_a_fix_in_the_apis_words_comes_with_its_remedy() -> None:
    """A ``fix=`` naming the API, with no remedy, would reach the CLI and the console as is."""
    bare = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module.split("/")[0] in ADAPTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            given = {k.arg: k.value for k in node.keywords}
            fix = given.get("fix")
            if fix is None or "remedy" in given or _called(node) in FIX_FOR_API:
                continue
            texts = [n.value for n in ast.walk(fix) if isinstance(n, ast.Constant)]
            if any(api_terms(str(t)) for t in texts):
                bare.append(f"{module}:{node.lineno} {api_terms(' '.join(map(str, texts)))}")
    assert not bare, (
        "these fix= name the API but come with no remedy=, so the CLI and the console would "
        "print them as they are: add remedy=Remedy.X (domain/remedies.py; a new one needs its "
        "words in cli/remedies.py and console/fixes.py):\n" + "\n".join(bare)
    )


# -- plan problems ---------------------------------------------------------------------------

PLANNERS = ("plan", "import", "apply", "promote")
"""The commands that print a plan's problems (promote with its route)."""


def sample_problem(reason: ProblemReason) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "reason": str(reason),
        "kind": "job",
        "name": "daily_sales",
        "detail": "…",
        "fix": "import with onDrift KEEP_TARGET (PUT /v1/{project_id}/environment/x)",
    }
    if reason in (ProblemReason.MISSING_REFERENCE, ProblemReason.MISSING_SECRET):
        problem["reference"] = {"kind": "connection", "name": "dws_conn"}
    return problem


def _cli_fix(reason: ProblemReason, command: str, **reference: str) -> str | None:
    problem = sample_problem(reason)
    if reference:
        problem["reference"] = reference
    route = "nightly" if command == "promote" else None
    planner = "plan" if command == "promote" else command
    return cli_fix(problem, "prod", "untrusted", route, planner)


REFERENCES = [{}, {"kind": "script", "name": "s1"}, {"kind": "job", "name": "up"}]


@pytest.mark.parametrize("command", PLANNERS)
@pytest.mark.parametrize("reason", list(ProblemReason))
def test_every_plan_problems_cli_fix_names_only_the_commands_options(
    reason: ProblemReason, command: str
) -> None:
    options = _options(_command([command])[0])
    for reference in REFERENCES:
        fix = _cli_fix(reason, command, **reference)
        if fix is None:
            assert reason not in API_WORDED_REASONS, f"{command} has no fix for {reason}"
            continue
        assert not api_terms(fix), fix
        assert not wrong_commands(fix), f"{wrong_commands(fix)} in: {fix}"
        foreign = [o for o in bare_options(fix) if o not in options]
        assert not foreign, f"jobferry {command} has no {foreign}: {fix}"


@pytest.mark.parametrize("in_wizard", [True, False])
@pytest.mark.parametrize("reason", list(ProblemReason))
def test_every_plan_problems_console_fix_is_in_console_terms(
    reason: ProblemReason, in_wizard: bool
) -> None:
    fixed = console_fix(sample_problem(reason), "prod", in_wizard=in_wizard)
    if reason in API_WORDED_REASONS:
        assert fixed["fix"] != sample_problem(reason)["fix"], f"no console fix for {reason}"
    if fixed["fix"] != sample_problem(reason)["fix"]:
        assert not api_terms(fixed["fix"]), fixed["fix"]
        assert not wrong_commands(fixed["fix"]), fixed["fix"]


# -- what the CLI and the console write themselves -------------------------------------------

ADAPTER_TEXTS = {
    "cli/import_options.py:Set basicConfig.executeUser of every job.": "the job definition's "
    "own field (basicConfig.executeUser), which the option sets",
    "console/admin.py:parse_config": "the environment object form's JSON field, whose example "
    "is the JSON a person types there",
    "console/route_form.py": "a pattern matching the server's refusal, to say it in the "
    "route form's words",
}
"""Texts of the adapters that may look like the API's, each with why."""


def _tree(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _tree(sub, (*path, name))


DEFINITION_PATHS = re.compile(r"\bbasicConfig\.\w+")
"""A job definition's own field paths (what a person writes in a job file), not the API's."""


def test_every_commands_help_speaks_the_cli() -> None:
    found = []
    for path, command in _tree(ROOT):
        texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        for text in texts:
            terms = api_terms(DEFINITION_PATHS.sub("", text))
            if terms:
                found.append(f"jobferry {' '.join(path)}: {terms} in {text[:80]}")
    assert not found, (
        "say these in the CLI's words (its commands, options and arguments), not the API's "
        "calls, paths and fields:\n" + "\n".join(found)
    )


def test_the_cli_and_the_console_write_no_api_terms_themselves() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module.split("/")[0] not in ("cli", "console") or module in ADAPTER_TEXTS:
            continue
        texts = _Texts()
        texts.visit(ast.parse(path.read_text()))
        for line, where, text in texts.found:
            allowed = f"{module}:{text}" in ADAPTER_TEXTS or any(
                f"{module}:{part}" in ADAPTER_TEXTS for part in where.split(".")
            )
            if re.search(r"\s", text) and api_terms(text) and not allowed:
                found.append(f"{module}:{line} ({where}) {api_terms(text)}: {text[:90]}")
    assert not found, (
        "the CLI and the console speak their own terms (commands and options; pages and "
        "buttons): say these without the API's calls, paths and fields, or, if a text must "
        "show one, list it in ADAPTER_TEXTS with why:\n" + "\n".join(found)
    )


def test_following_a_task_of_another_workspace_names_it_in_the_cli() -> None:
    here = {"remedy": "follow_task", "problem": "A task runs.", "task_id": "t1"}
    there = {**here, "workspace": "prod"}
    assert refusal_text("A task runs.", here).endswith(
        "jobferry tasks show t1 --wait, and try again when it has ended."
    )
    assert refusal_text("A task runs.", there).endswith(
        "jobferry tasks show t1 --wait -w prod, and try again when it has ended."
    )
