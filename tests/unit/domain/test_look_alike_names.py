"""Names that cannot lie: one Unicode form, no look-alike script mixes."""

from __future__ import annotations

import pytest

from jobferry.domain.names import object_name_problem


@pytest.mark.parametrize(
    ("name", "rule", "fix"),
    [
        ("аdmin", "name.mixed_script", "Cyrillic and Latin"),  # Cyrillic а
        ("Ωmega", "name.mixed_script", "Greek and Latin"),
        ("ｊ１", "name.normalized", "'j1'"),  # full-width
        ("\u212a", "name.normalized", "'K'"),  # Kelvin sign
        ("fz_\u212b", "name.normalized", "'fz_\u00c5'"),  # Angstrom sign
        ("fz_A\u030a", "name.normalized", "'fz_\u00c5'"),  # decomposed
        ("\ufb01le", "name.normalized", "'file'"),  # ligature
    ],
)
def test_look_alikes_are_refused_with_the_plain_name(name: str, rule: str, fix: str) -> None:
    problem = object_name_problem(name, "job")
    assert problem is not None
    assert problem.rule == rule
    assert fix in problem.message


@pytest.mark.parametrize(
    "name",
    [
        "订单_orders",
        "отчёт",
        "データ_2024",
        "한국어_job",
        "Straße",
        "café",
        "naïve_job",
        "漢字と한글",
    ],
)
def test_real_names_in_one_script_or_with_cjk_pass(name: str) -> None:
    assert object_name_problem(name, "job") is None
