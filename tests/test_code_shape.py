"""The code stays readable: small functions and modules of one job (STYLE.md, rules 3 and 15).

Measured the way the architecture issue measured them: cyclomatic complexity by radon (which
counts every boolean operator and comprehension, so it is stricter than flake8's mccabe), and
module length in lines.
"""

from __future__ import annotations

from pathlib import Path

from radon import complexity as radon_complexity

SOURCE = Path(__file__).resolve().parents[1] / "src" / "jobferry"
MAX_COMPLEXITY = 15
MAX_MODULE_LINES = 500  # the soft cap is ~450; past 500 a module has taken a second job


def _modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


def test_no_function_is_over_complexity_15() -> None:
    over = [
        f"{path.relative_to(SOURCE)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in _modules()
        for block in radon_complexity.cc_visit(path.read_text(encoding="utf-8"))
        if block.complexity > MAX_COMPLEXITY
    ]
    assert not over, "split these functions into named steps:\n" + "\n".join(over)


def test_no_module_is_over_500_lines() -> None:
    long = [
        f"{path.relative_to(SOURCE)} ({lines} lines)"
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "split these modules by what they hold:\n" + "\n".join(long)
