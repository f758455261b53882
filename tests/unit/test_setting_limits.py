"""Every setting's limit is stated in docs/settings.md, and a value past it is refused with one
line naming the variable, the value, the rule and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotated_types import Ge, Gt, Le, Lt

from jobferry.errors import InvalidRequestError
from jobferry.setting_limits import choices_of, limit_of, variable
from jobferry.settings import Settings, load_settings

SETTINGS_DOC = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()
FIELDS = Settings.model_fields
BOUNDED = sorted(name for name, field in FIELDS.items() if limit_of(field))


def _row(name: str) -> str:
    rows = [line for line in SETTINGS_DOC.splitlines() if line.startswith(f"| `{variable(name)}`")]
    assert len(rows) == 1, f"docs/settings.md has {len(rows)} rows for {variable(name)}"
    return rows[0]


def _outside(name: str) -> list[str]:
    """Values just past each numeric bound of the setting."""
    past = []
    for rule in FIELDS[name].metadata:
        if isinstance(rule, Ge | Gt):
            low = rule.ge if isinstance(rule, Ge) else rule.gt
            past.append(str(low - 1 if isinstance(rule, Ge) else low))
        if isinstance(rule, Le | Lt):
            high = rule.le if isinstance(rule, Le) else rule.lt
            past.append(str(high + 1 if isinstance(rule, Le) else high))
    return past


def _refusal(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> InvalidRequestError:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(InvalidRequestError) as refused:
        load_settings()
    return refused.value


@pytest.mark.parametrize("name", BOUNDED)
def test_docs_state_every_limit_of_a_setting(name: str) -> None:
    row, limit = _row(name), limit_of(FIELDS[name])
    assert limit
    choices = choices_of(FIELDS[name])
    if choices:
        for choice in choices:
            assert choice in row, f"{variable(name)}: docs/settings.md does not name '{choice}'"
    else:
        assert limit in row, f"{variable(name)}: docs/settings.md does not say '{limit}'"


@pytest.mark.parametrize("name", [n for n in BOUNDED if _outside(n)])
def test_a_value_past_a_limit_is_refused_in_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    for value in _outside(name):
        refused = _refusal(monkeypatch, {variable(name): value})

        assert refused.context["settings"] == [refused.message]
        assert "\n" not in refused.message
        assert refused.message.startswith(f"{variable(name)}={value}: must be ")
        assert str(limit_of(FIELDS[name])) in refused.message
        assert "unset it for the default" in refused.message


def test_the_issue_s_example_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = _refusal(monkeypatch, {"JOBFERRY_DOWNLOAD_TTL_SECONDS": "30"})

    assert refused.message == (
        "JOBFERRY_DOWNLOAD_TTL_SECONDS=30: must be a whole number, 60 or more; change it, or "
        "unset it for the default (259200)."
    )


def test_every_bad_setting_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = _refusal(
        monkeypatch,
        {
            "JOBFERRY_WORKERS": "many",
            "JOBFERRY_BATCH_EXPORT": "maybe",
            "JOBFERRY_OFFSET_MODE": "pages",
            "JOBFERRY_IMPORT_LIMITS": "huge",
        },
    )

    lines = refused.context["settings"]
    assert refused.message.splitlines()[0] == "4 settings are not valid:"
    assert sorted(lines) == [
        "JOBFERRY_BATCH_EXPORT=maybe: must be true or false; change it, or unset it for the "
        "default (true).",
        "JOBFERRY_IMPORT_LIMITS=huge: must be one of 'jobferry', 'dataarts'; change it, or "
        "unset it for the default (jobferry).",
        "JOBFERRY_OFFSET_MODE=pages: must be one of 'page', 'row'; change it, or unset it for "
        "the default (row).",
        "JOBFERRY_WORKERS=many: must be a whole number, 1 to 64; change it, or unset it for the "
        "default (1).",
    ]
    assert all(f"  {line}" in refused.message for line in lines)


def test_good_settings_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBFERRY_DOWNLOAD_TTL_SECONDS", "60")
    monkeypatch.setenv("JOBFERRY_REMOTE_RETRY_SECONDS", "5")

    settings = load_settings()

    assert (settings.download_ttl_seconds, settings.remote_retry_seconds) == (60, 5)
