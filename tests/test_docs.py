"""Docs that cannot rot: every setting, error code, CLI command and exit code is documented in
``docs/``, every error class is in ``errors.py`` and drawn in its tree, the README opens with the
two commands, and every relative link resolves. A failure says what to write where."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from typer.core import TyperGroup

from jobferry import errors
from jobferry.cli.exits import ExitCode
from jobferry.errors import all_error_classes
from jobferry.settings import Settings
from support.cli import whole_command

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
SETTINGS_DOC = (DOCS / "settings.md").read_text(encoding="utf-8")
ERRORS_DOC = (DOCS / "errors.md").read_text(encoding="utf-8")
CLI_DOC = (DOCS / "cli.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _commands(command: object, prefix: str = "jobferry") -> list[str]:
    """Every runnable command of the Typer app, as typed: ``jobferry jobs list``…"""
    if isinstance(command, TyperGroup):
        found: list[str] = []
        for name, sub in command.commands.items():
            found += _commands(sub, f"{prefix} {name}")
        return found
    return [prefix]


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:1200]
    assert "make run" in head
    assert "make test" in head


def test_every_setting_is_documented() -> None:
    undocumented = [
        f"| `JOBFERRY_{name.upper()}` | `{field.default}` | {field.description or '…'} |"
        for name, field in Settings.model_fields.items()
        if f"JOBFERRY_{name.upper()}" not in SETTINGS_DOC
    ]
    assert not undocumented, (
        "add a row for each of these settings to docs/settings.md (variable, default, what it "
        'does, its limit; CONTRIBUTING.md, "Adding a setting"):\n' + "\n".join(undocumented)
    )
    untold = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not untold, (
        "give these fields of Settings (settings.py) a description=, their help text: "
        + ", ".join(untold)
    )


def test_every_error_code_is_documented() -> None:
    undocumented = [
        f"| {cls.status} | `{cls.code}` | … | ({cls.__name__})"
        for cls in all_error_classes()
        if f"`{cls.code}`" not in ERRORS_DOC
    ]
    assert not undocumented, (
        "add a row for each of these codes to docs/errors.md (status, code, when it is "
        'answered, its fields and its fix; CONTRIBUTING.md, "Adding an error code"):\n'
        + "\n".join(undocumented)
    )
    untold = [cls.__name__ for cls in all_error_classes() if not cls.__doc__]
    assert not untold, "give these error classes a one-sentence docstring: " + ", ".join(untold)


SOURCE = ROOT / "src" / "jobferry"


def errors_elsewhere(modules: dict[str, str]) -> list[str]:
    """Each error class ``modules`` (path → source) define outside ``errors.py``: a class
    whose base is a class of the tree, or of such a class."""
    tree = {cls.__name__ for cls in all_error_classes()}
    found: list[str] = []
    for path, text in sorted(modules.items()):
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [
                b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases
            ]
            if any(base in tree for base in bases):
                found.append(f"{path}:{node.lineno} {node.name}({', '.join(bases)})")
    return found


def test_every_error_class_is_in_errors_py() -> None:
    """One error tree, in one module: a class defined beside its service is documented and
    drawn only in a process that happened to import that service."""
    modules = {
        path.relative_to(SOURCE).as_posix(): path.read_text(encoding="utf-8")
        for path in SOURCE.rglob("*.py")
        if path.name != "errors.py" or path.parent != SOURCE
    }
    found = errors_elsewhere(modules)
    assert not found, (
        'move these error classes into src/jobferry/errors.py (CONTRIBUTING.md, "Adding an '
        'error code"), under the same parent, and draw them in its tree:\n' + "\n".join(found)
    )


def test_the_walk_finds_an_error_class_beside_its_service() -> None:
    module = (
        "from jobferry import errors\n\n\nclass TokenGoneError(errors.NotFoundError):\n    ...\n"
    )
    assert errors_elsewhere({"services/x.py": module}) == [
        "services/x.py:4 TokenGoneError(NotFoundError)"
    ]
    assert errors_elsewhere({"services/y.py": "class Plain(ValueError):\n    ...\n"}) == []


TREE_LINE = re.compile(
    r"^(?P<indent> {4}(?:[│ ] {3})*(?:[├└]── )?)(?P<name>\w+Error)\s+(?P<status>\d{3})"
    r"\s+(?P<code>[A-Z]+\.\d+|\(code per kind\))"
)
"""A line of the error tree drawn in ``errors.py``'s docstring: its depth, class, status, code
(``(code per kind)``: its subclasses carry their own)."""


def _drawn(doc: str) -> dict[str, tuple[str | None, str, str]]:
    """Each class the tree draws → (the class drawn above it, its status, its code)."""
    drawn: dict[str, tuple[str | None, str, str]] = {}
    above: list[str] = []
    for line in doc.splitlines():
        found = TREE_LINE.match(line)
        if found is None:
            continue
        depth = (len(found["indent"]) - 4) // 4
        above = above[:depth]
        drawn[found["name"]] = (above[-1] if above else None, found["status"], found["code"])
        above.append(found["name"])
    return drawn


def tree_problems(doc: str, classes: list[type[errors.JobferryError]]) -> list[str]:
    """What the tree ``doc`` draws differently from ``classes``, each with what to draw."""
    drawn = _drawn(doc)
    problems = []
    for cls in classes:
        parent = cls.__mro__[1].__name__ if cls is not errors.JobferryError else None
        line = f"{cls.__name__} {cls.status} {cls.code}"
        if cls.__name__ not in drawn:
            problems.append(f"draw {line} under {parent}")
            continue
        above, status, shown = drawn[cls.__name__]
        if (above, status) != (parent, str(cls.status)) or shown not in (
            cls.code,
            "(code per kind)",
        ):
            problems.append(
                f"{cls.__name__} is drawn {status} {shown} under {above}: {line} under {parent}"
            )
    known = {cls.__name__ for cls in all_error_classes()}
    problems += [
        f"{name} is drawn but is no class of the tree" for name in drawn if name not in known
    ]
    return problems


def test_the_error_tree_drawn_in_errors_py_is_the_tree() -> None:
    problems = tree_problems(errors.__doc__ or "", all_error_classes())
    assert not problems, (
        "errors.py's docstring draws the error tree, one line a class (its status, its code, "
        "what it refuses) under its parent; make it say:\n" + "\n".join(problems)
    )


def test_the_tree_walk_finds_a_class_left_out_or_misplaced() -> None:
    doc = errors.__doc__ or ""
    left_out = doc.replace("        ├── JobExistsError            400 DLF.0102\n", "")
    assert tree_problems(left_out, [errors.JobExistsError]) == [
        "draw JobExistsError 400 DLF.0102 under ConflictError"
    ]
    moved = doc.replace("        ├── ScriptExistsError ", "        │   ├── ScriptExistsError ")
    assert tree_problems(moved, [errors.ScriptExistsError]) == [
        "ScriptExistsError is drawn 400 DLF.0202 under JobExistsError: "
        "ScriptExistsError 400 DLF.0202 under ConflictError"
    ]
    recoded = doc.replace("JobExistsError            400 DLF.0102", "JobExistsError 404 DLF.0103")
    assert tree_problems(recoded, [errors.JobExistsError]) == [
        "JobExistsError is drawn 404 DLF.0103 under ConflictError: "
        "JobExistsError 400 DLF.0102 under ConflictError"
    ]
    assert tree_problems(doc + "\n    └── GoneError 400 DLF.9999\n", []) == [
        "GoneError is drawn but is no class of the tree"
    ]


def test_each_of_jobferrys_own_codes_names_one_error() -> None:
    # DataArts' own codes are shared where DataArts shares them (DLF.3051, DLF.0100); a
    # DLF.9xxx code is jobferry's and tells one refusal from every other (exit codes follow it).
    owners: dict[str, list[str]] = {}
    for cls in all_error_classes():
        if "code" in cls.__dict__ and cls.code.startswith("DLF.9"):
            owners.setdefault(cls.code, []).append(cls.__name__)
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}


def test_the_command_walk_reaches_sub_commands() -> None:
    commands = _commands(whole_command())
    assert "jobferry serve" in commands
    assert "jobferry db upgrade" in commands
    assert "jobferry jobs list" in commands
    assert "jobferry package inspect" in commands
    assert "jobferry" not in commands


def test_every_cli_command_is_documented() -> None:
    missing = [command for command in _commands(whole_command()) if f"`{command}" not in CLI_DOC]
    assert not missing, (
        "document these commands in docs/cli.md (a section or table row naming `jobferry …`, "
        "with what it does and its options): " + ", ".join(missing)
    )


def test_exit_codes_are_documented() -> None:
    missing = [
        f"| {code.value} | … | ({code.name})"
        for code in ExitCode
        if f"| {code.value} |" not in CLI_DOC
    ]
    assert not missing, "add these exit codes to docs/cli.md's table of exit codes:\n" + "\n".join(
        missing
    )


def test_every_relative_link_resolves() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
    broken = [
        f"{page.relative_to(ROOT)} → {target}"
        for page in pages
        for target in LINK.findall(page.read_text(encoding="utf-8"))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_the_design_lives_in_the_repository() -> None:
    design = (DOCS / "design.md").read_text(encoding="utf-8")
    assert "import pipeline" in design.lower() or "Import: read" in design
    for page in (README, (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"), design):
        assert "../shared" not in page


def test_the_backup_s_pg_dump_line_gives_libpq_every_database_url_jobferry_takes() -> None:
    # the guide's expansion dropped "+psycopg" only: a postgresql+psycopg2:// URL, which
    # jobferry reads alike, became "postgresql2://", and pg_dump took it for a database name
    operations = (DOCS / "operations.md").read_text(encoding="utf-8")
    [argument] = re.findall(r'pg_dump --format=custom --file=jobferry\.dump ("[^"]+")', operations)
    taken = {
        "postgresql://jf@db:5432/jobferry": "postgresql://jf@db:5432/jobferry",
        "postgres://jf@db/jobferry": "postgres://jf@db/jobferry",
        "postgresql+psycopg://jf:a+b@db:5432/jobferry": "postgresql://jf:a+b@db:5432/jobferry",
        "postgresql+psycopg2://jf@db:5432/jobferry?sslmode=require": (
            "postgresql://jf@db:5432/jobferry?sslmode=require"
        ),
    }
    for url, expected in taken.items():
        expanded = subprocess.run(
            ["bash", "-c", f"printf %s {argument}"],
            env={"JOBFERRY_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert expanded == expected, url
