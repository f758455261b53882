"""The code stays readable: small functions and modules of one job (CONTRIBUTING.md, "Tests").

Measured the way the architecture issue measured them: cyclomatic complexity by radon (which
counts every boolean operator and comprehension, so it is stricter than flake8's mccabe), and
module length in lines. The limits, and the few modules or functions allowed past them with
the reason each is, live in one place: ``[tool.jobferry.code-shape]`` in ``pyproject.toml``.
An exception that is no longer needed is reported too, so the list stays true. Beside them,
where code goes: no import circles, the pipelines mirrored by unit tests, every feature module
named in its package's docstring, and the environment read only by the command line.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import grimp
from radon import complexity as radon_complexity

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "jobferry"
SHAPE: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"
]["jobferry"]["code-shape"]
MAX_COMPLEXITY: int = SHAPE["max-complexity"]
MAX_MODULE_LINES: int = SHAPE["max-module-lines"]
MODULES: dict[str, dict[str, Any]] = SHAPE.get("modules", {})
FUNCTIONS: dict[str, dict[str, Any]] = SHAPE.get("functions", {})


def _modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


def _complexities() -> dict[str, int]:
    """``module/path.py:Qualified.name`` → its cyclomatic complexity, for every function."""
    return {
        f"{path.relative_to(SOURCE).as_posix()}:{block.fullname}": block.complexity
        for path in _modules()
        for block in radon_complexity.cc_visit(path.read_text(encoding="utf-8"))
    }


def _lengths() -> dict[str, int]:
    return {
        path.relative_to(SOURCE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in _modules()
    }


def test_every_exception_gives_its_reason() -> None:
    missing = [
        name for name, rule in {**MODULES, **FUNCTIONS}.items() if not rule.get("reason", "")
    ]
    assert not missing, "say why each of these may pass the limit:\n" + "\n".join(missing)


def _over(kind: str, found: dict[str, int], listed: dict[str, dict[str, Any]], limit: str) -> str:
    """What to do about each name past its limit: split it, or, for one listed as an
    exception, split it or raise its own limit in pyproject.toml, where its reason stands."""
    common = MAX_COMPLEXITY if limit == "complexity" else MAX_MODULE_LINES
    unit = "" if limit == "complexity" else " lines"
    plain = [
        f"  {name} ({value}{unit}, limit {common})"
        for name, value in sorted(found.items())
        if name not in listed and value > common
    ]
    kept = [
        f"  {name} ({value}{unit}, its listed limit {listed[name][limit]}: "
        f"{listed[name].get('reason', '')})"
        for name, value in sorted(found.items())
        if name in listed and value > listed[name][limit]
    ]
    said = []
    if plain:
        how = "into named steps" if kind == "functions" else "by what they hold"
        said += [f'split these {kind} {how} (CONTRIBUTING.md, "Tests"):', *plain]
    if kept:
        said += [
            f"these {kind} are listed past the common limit, each with its reason; split them, "
            f"or, if the reason still holds, raise their {limit} in pyproject.toml "
            f"[tool.jobferry.code-shape.{kind}]:",
            *kept,
        ]
    return "\n".join(said)


def test_no_function_is_over_its_complexity_limit() -> None:
    found = _complexities()
    over = _over("functions", found, FUNCTIONS, "complexity")
    assert not over, over
    stale = [name for name in FUNCTIONS if found.get(name, 0) <= MAX_COMPLEXITY]
    assert not stale, "no longer need an exception (remove it):\n" + "\n".join(stale)


def test_no_module_is_over_its_line_limit() -> None:
    found = _lengths()
    long = _over("modules", found, MODULES, "lines")
    assert not long, long
    stale = [name for name in MODULES if found.get(name, 0) <= MAX_MODULE_LINES]
    assert not stale, "no longer need an exception (remove it):\n" + "\n".join(stale)


def test_a_listed_module_past_its_limit_is_told_where_its_limit_and_reason_are() -> None:
    listed = {"settings.py": {"lines": 460, "reason": "the one settings object"}}
    found = {"settings.py": 461, "grab.py": 451, "small.py": 450}
    assert _over("modules", found, listed, "lines").splitlines() == [
        'split these modules by what they hold (CONTRIBUTING.md, "Tests"):',
        "  grab.py (451 lines, limit 450)",
        "these modules are listed past the common limit, each with its reason; split them, or, "
        "if the reason still holds, raise their lines in pyproject.toml "
        "[tool.jobferry.code-shape.modules]:",
        "  settings.py (461 lines, its listed limit 460: the one settings object)",
    ]
    assert _over("functions", {"a.py:f": 13}, {}, "complexity").splitlines() == [
        'split these functions into named steps (CONTRIBUTING.md, "Tests"):',
        "  a.py:f (13, limit 12)",
    ]
    assert _over("modules", {"settings.py": 460}, listed, "lines") == ""


def test_no_module_imports_in_a_circle() -> None:
    """Layers are checked by import-linter; within a layer, no module may reach itself again
    through what it imports (at run time or for type checking)."""
    graph = grimp.build_graph("jobferry", include_external_packages=False)
    circles = set()
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                circles.add(" → ".join((module, *back)))
    assert not circles, "these modules import in a circle:\n" + "\n".join(sorted(circles))


def test_the_pipelines_are_mirrored_module_by_module_by_unit_tests() -> None:
    """Every module of the import and export pipelines, of remotes and of routes has its own
    service-level unit tests (``tests/unit/services/<feature>/test_<module>.py``,
    CONTRIBUTING.md)."""
    tests = ROOT / "tests" / "unit" / "services"
    missing = [
        f"{pipeline}/{module.name} → tests/unit/services/{pipeline}/test_{module.name}"
        for pipeline in ("importing", "exporting", "remotes", "routes")
        for module in sorted((SOURCE / "services" / pipeline).glob("*.py"))
        if module.name != "__init__.py"
        and not _holds_a_test(tests / pipeline / f"test_{module.name}")
    ]
    assert not missing, "write unit tests for these modules:\n" + "\n".join(missing)


def _holds_a_test(path: Path) -> bool:
    """Whether the test module ``path`` exists and defines a test (an empty file is none)."""
    if not path.is_file():
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in ast.walk(tree)
    )


def test_an_empty_test_module_mirrors_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_empty.py").write_text('"""To be written."""\n', encoding="utf-8")
    (tmp_path / "test_real.py").write_text("def test_it() -> None:\n    pass\n", "utf-8")
    assert not _holds_a_test(tmp_path / "test_empty.py")
    assert not _holds_a_test(tmp_path / "test_missing.py")
    assert _holds_a_test(tmp_path / "test_real.py")


def _named(module: str, text: str) -> bool:
    return re.search(rf"(?<![\w.])\.?{re.escape(module)}(?!\w)", text) is not None


def test_every_feature_package_says_what_each_of_its_modules_holds() -> None:
    """``services`` and each of its feature folders (and the import feature's storage) open
    with a docstring that names every module and folder they hold, so the map stays whole."""
    packages = [
        SOURCE / "services",
        *sorted((SOURCE / "services").glob("*/")),
        SOURCE / "storage" / "importing",
    ]
    unnamed = []
    for package in packages:
        if not (package / "__init__.py").is_file():
            continue
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8"))) or ""
        held = [p.stem for p in package.glob("*.py") if p.name != "__init__.py"]
        held += [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]
        rel = package.relative_to(SOURCE).as_posix()
        unnamed += [f"{rel}: {name}" for name in sorted(held) if not _named(name, doc)]
    assert not unnamed, "say what these hold in their package's docstring:\n" + "\n".join(unnamed)


ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
"""What of ``os`` reads or changes the process's environment."""


def environment_reads(text: str) -> list[int]:
    """The lines of ``text`` that reach the process's environment (``os.environ``,
    ``os.getenv``, ``from os import environ``…)."""
    lines = []
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ENVIRONMENT for alias in node.names)
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_the_command_line_reads_the_environment() -> None:
    """A setting is a field of ``Settings``, read from the object the entry point builds
    (CONTRIBUTING.md, "Adding a setting"); the command line, which builds it, and its client
    configuration read the environment themselves, nothing below them does."""
    found = [
        f"{path.relative_to(SOURCE).as_posix()}:{line}"
        for path in _modules()
        if path.relative_to(SOURCE).parts[0] != "cli"
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert not found, (
        "read these from the Settings object (a field of settings.py, JOBFERRY_<NAME>, "
        "documented in docs/settings.md) that the entry point passes down, not from the "
        "environment:\n" + "\n".join(found)
    )


def test_the_environment_walk_finds_each_way_in() -> None:
    text = (
        "import os\nfrom os import getenv\n\n"
        "a = os.environ.get('JOBFERRY_X')\nb = getenv('Y')\nc = os.path.join('a')\n"
    )
    assert environment_reads(text) == [2, 4]
