"""Names that cannot lie: one Unicode form, no look-alike script mixes."""

from __future__ import annotations

import pytest

from jobferry.domain.names import object_name_problem, param_name_problem


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


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("Ωmega", "(Greek 'ο' and Latin 'o')"),
        ("аdmin", "(Cyrillic 'о' and Latin 'o')"),
        ("Ωмega", "(Cyrillic 'о' and Greek 'ο')"),
    ],
)
def test_a_script_mix_is_shown_with_look_alikes_of_the_scripts_it_names(
    name: str, example: str
) -> None:
    problem = object_name_problem(name, "job")
    assert problem is not None
    assert f"can look alike {example}, so write it in one script" in problem.message


def test_a_script_mix_without_a_known_look_alike_gives_no_example_of_other_scripts() -> None:
    problem = object_name_problem("مرحبا_abc", "job")
    assert problem is not None
    assert "mixes Arabic and Latin letters" in problem.message
    assert "can look alike, so write it" in problem.message
    assert "Cyrillic" not in problem.message


@pytest.mark.parametrize("name", ["😀", "😀😀", "😀_"])
def test_a_name_of_nothing_but_refused_characters_gets_no_example(name: str) -> None:
    problem = object_name_problem(name, "job")
    assert problem is not None
    assert problem.rule == "name.charset"
    assert problem.message.endswith("use only letters, digits, '_', '-' and '.'")
    param = param_name_problem(name)
    assert param is not None
    assert param.message.endswith("use only A-Z, a-z, 0-9, '_' and '-'")


def test_a_name_with_letters_left_gets_them_as_the_example() -> None:
    problem = object_name_problem("job😀", "job")
    assert problem is not None
    assert problem.message.endswith("e.g. 'job_'")
